"""Access to services by the two-step floating catchment area (2SFCA) and its enhanced form (E2SFCA).

"Health centres per 1,000 inside the unit" ignores that people cross unit borders to reach
a centre. 2SFCA (Luo & Wang 2003) floats a catchment of radius d0 around every supply
point and every demand point instead:

1. each supply point j gets a ratio R_j = S_j / Σ_k P_k·W(d_kj) over the demand k within d0;
2. each demand point i sums the ratios of the supply within d0: A_i = Σ_j R_j·W(d_ij).

W is 1 inside the catchment in 2SFCA; E2SFCA (Luo & Qi 2009) lets it fall with distance in
bands (their weights 1, 0.68 and 0.22 for the three thirds of the catchment) or as a
Gaussian. The same weights serve both steps, so the population-weighted total of A equals
the supply that some demand reaches. Supply is a point layer (a capacity column, or 1 per
point); demand is the population of the units of a level, placed at their population-weighted
centres (their populated children's interior points) or, without populated children, at a
point on their surface. Distances are geodesic (haversine on the mean Earth radius).

Examples
--------
>>> two_step_fca(np.array([10.0]), np.array([1000.0, 4000.0]), np.array([[500.0], [1500.0]]), 2000.0)
array([0.002, 0.002])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.indicators import define_indicator, roll_up
from spatial.analytics.overlay import insert_values
from spatial.analytics.overlay_methods import NUMERIC_TYPES
from spatial.catalogue import get_layer
from spatial.db.engine import driver_connection
from spatial.errors import InvalidInput
from spatial.periods import period_key
from spatial.units.hierarchy import check_level

#: Distance decays of E2SFCA: none (plain 2SFCA), stepwise bands, or a Gaussian.
DECAYS: tuple[str, ...] = ("none", "stepwise", "gaussian")
#: Luo & Qi (2009): the weights of the three equal bands of the catchment.
LUO_QI_BANDS: tuple[float, ...] = (1.0, 0.68, 0.22)
#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
#: Demand points per block of the distance matrix: 2,000 × 5,000 supply points is 80 MB.
BLOCK_ROWS = 2_000

Weights = Callable[[np.ndarray], np.ndarray]


def two_step_fca(supply: np.ndarray, demand: np.ndarray, distances: np.ndarray, catchment: float,
                 weights: Weights | None = None) -> np.ndarray:
    """Accessibility A_i of every demand point: supply per person within reach (2SFCA, E2SFCA).

    ``supply`` (n_supply) capacities, ``demand`` (n_demand) populations, ``distances``
    (n_demand × n_supply) in the unit of ``catchment``; ``weights`` maps distances to decay
    weights (see :func:`stepwise`, :func:`gaussian`), 1 everywhere if None. Pairs farther
    than ``catchment`` weigh 0; a supply point that reaches no demand gives its supply to
    nobody, and a demand point that reaches no supply gets 0.
    """
    supply, demand = np.asarray(supply, dtype=float), np.asarray(demand, dtype=float)
    distances = np.asarray(distances, dtype=float)
    if distances.shape != (demand.size, supply.size):
        raise InvalidInput(f"Distances are {distances.shape}; expected (demand, supply) = "
                           f"({demand.size}, {supply.size}).", field="distances")
    return _floating_catchments(supply, demand, _catchment_weights(distances, catchment, weights))


def _catchment_weights(distances: np.ndarray, catchment: float, weights: Weights | None) -> np.ndarray:
    """W(d) for the pairs within ``catchment``, 0 for the others."""
    decay = np.ones_like(distances) if weights is None else np.asarray(weights(distances), dtype=float)
    return np.where(distances <= catchment, decay, 0.0)


def _floating_catchments(supply: np.ndarray, demand: np.ndarray,
                         w: np.ndarray | scipy.sparse.csr_array) -> np.ndarray:
    """The two steps over the (demand × supply) catchment weights ``w``, dense or sparse."""
    reached = w.T @ demand  # weighted population within each supply point's catchment
    ratio = np.divide(supply, reached, out=np.zeros_like(supply), where=reached > 0)
    return np.asarray(w @ ratio, dtype=float)


def stepwise(catchment: float, band_weights: Sequence[float] = LUO_QI_BANDS) -> Weights:
    """E2SFCA weights by equal distance bands of ``catchment`` (Luo & Qi 2009: 1, 0.68, 0.22)."""
    levels = np.asarray(band_weights, dtype=float)
    if levels.size == 0 or np.any(levels < 0):
        raise InvalidInput("Band weights must be one or more numbers ≥ 0.", field="bands")

    def weigh(distances: np.ndarray) -> np.ndarray:
        band = np.clip((distances / catchment * levels.size).astype(int), 0, levels.size - 1)
        return levels[band]
    return weigh


def gaussian(catchment: float) -> Weights:
    """The Gaussian decay of Dai (2010): 1 at distance 0, 0 at ``catchment``."""
    edge = np.exp(-0.5)

    def weigh(distances: np.ndarray) -> np.ndarray:
        return (np.exp(-0.5 * (distances / catchment) ** 2) - edge) / (1 - edge)
    return weigh


def haversine_m(lon_a: np.ndarray, lat_a: np.ndarray, lon_b: np.ndarray, lat_b: np.ndarray) -> np.ndarray:
    """Great-circle distances in metres between every point a (rows) and every point b (columns)."""
    la, pa = np.radians(np.asarray(lon_a, dtype=float))[:, None], np.radians(np.asarray(lat_a, dtype=float))[:, None]
    lb, pb = np.radians(np.asarray(lon_b, dtype=float))[None, :], np.radians(np.asarray(lat_b, dtype=float))[None, :]
    h = np.sin((pb - pa) / 2) ** 2 + np.cos(pa) * np.cos(pb) * np.sin((lb - la) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _sparse_weights(demand_xy: np.ndarray, supply_xy: np.ndarray, catchment: float,
                    weights: Weights | None) -> scipy.sparse.csr_array:
    """The catchment weights of every (demand, supply) pair of lon/lat points, sparse.

    Distances are computed a block of demand points at a time and only the pairs within
    ``catchment`` are kept, so that tens of thousands of villages and thousands of
    clinics do not need their whole distance matrix in memory at once.
    """
    blocks = []
    for start in range(0, len(demand_xy), BLOCK_ROWS):
        block = demand_xy[start:start + BLOCK_ROWS]
        distances = haversine_m(block[:, 0], block[:, 1], supply_xy[:, 0], supply_xy[:, 1])
        blocks.append(scipy.sparse.csr_array(_catchment_weights(distances, catchment, weights)))
    if not blocks:
        return scipy.sparse.csr_array((0, len(supply_xy)))
    return scipy.sparse.vstack(blocks, format="csr")


# Demand: each current unit of the level with its population at the population-weighted mean
# of its populated children's interior points, else at a point on its own surface.
_DEMAND_SQL = """
SELECT u.id, coalesce(u.population, 0), ST_X(o.pt), ST_Y(o.pt)
FROM admin_unit u CROSS JOIN LATERAL (SELECT coalesce((
    SELECT ST_MakePoint(
               sum(ST_X(ST_PointOnSurface(c.geom)) * c.population) / nullif(sum(c.population), 0),
               sum(ST_Y(ST_PointOnSurface(c.geom)) * c.population) / nullif(sum(c.population), 0))
    FROM admin_unit c WHERE c.parent_id = u.id AND c.valid_to IS NULL AND c.population > 0),
    ST_PointOnSurface(u.geom)) AS pt) o
WHERE u.level = :level AND u.valid_to IS NULL
ORDER BY u.id
"""

# Supply: one point per feature (the centroid of a multipoint) and its capacity (missing: 0).
_SUPPLY_SQL = """
SELECT ST_X(ST_Centroid(f.geom)), ST_Y(ST_Centroid(f.geom)), {capacity}
FROM {table} f WHERE f.geom IS NOT NULL AND NOT ST_IsEmpty(f.geom)
"""


def derive_access(
    session: Session, layer: str, level: str, *, code: str, period: str, catchment_m: float,
    capacity: str | None = None, decay: str = "none", per: float = 1000.0,
    name_fa: str | None = None, name_en: str | None = None, synthetic: bool = False,
) -> dict[str, Any]:
    """Derive indicator ``code``: the (E)2SFCA access of every unit at ``level`` to the points of ``layer``.

    Supply is ``capacity`` (a numeric column; 1 per point if None), demand the units'
    population; the value is supply per ``per`` people within ``catchment_m`` metres,
    with ``decay`` ``none`` (2SFCA), ``stepwise`` (Luo & Qi's bands) or ``gaussian``.
    The indicator's values for ``period`` are replaced and rolled up, in the caller's
    transaction.
    """
    check_level(level)
    period = period_key(period)
    if not np.isfinite(catchment_m) or catchment_m <= 0:
        raise InvalidInput("The catchment must be a positive distance in metres.", field="catchment_m")
    if decay not in DECAYS:
        raise InvalidInput(f"Unknown decay '{decay}'; use one of: {', '.join(DECAYS)}.", field="decay")
    if not np.isfinite(per) or per <= 0:
        raise InvalidInput("'per' must be a positive number of people.", field="per")
    info = get_layer(session, layer, field="layer")
    if info.storage != "vector" or not info.table_name \
            or (info.geometry_type or "").upper() not in ("POINT", "MULTIPOINT"):
        raise InvalidInput(f"Layer '{layer}' is not a point layer; access needs points of supply.", field="layer")
    columns = {c["name"]: c["type"] for c in info.columns}
    if capacity is not None and columns.get(capacity) not in NUMERIC_TYPES:
        numeric = [name for name, kind in columns.items() if kind in NUMERIC_TYPES]
        raise InvalidInput(f"Capacity '{capacity}' is not a numeric column of '{layer}'; use one of: "
                           f"{', '.join(numeric) or 'none (leave it out to count points)'}.", field="capacity")
    statement = sql.SQL(_SUPPLY_SQL).format(
        table=sql.Identifier("layers", str(info.table_name)),
        capacity=sql.SQL("coalesce(CAST(f.{} AS float8), 0)").format(sql.Identifier(capacity))
        if capacity else sql.SQL("1.0"),
    ).as_string(driver_connection(session))
    supply = np.array(session.execute(text(statement)).all(), dtype=float).reshape(-1, 3)
    if supply.shape[0] == 0:
        raise InvalidInput(f"Layer '{layer}' has no points; there is no supply to reach.", field="layer")
    demand_rows = session.execute(text(_DEMAND_SQL), {"level": level}).all()
    unit_ids = np.array([r[0] for r in demand_rows], dtype=np.int64)
    demand = np.array([r[1:] for r in demand_rows], dtype=float).reshape(-1, 3)
    weights = {"none": None, "stepwise": stepwise(catchment_m), "gaussian": gaussian(catchment_m)}[decay]
    w = _sparse_weights(demand[:, 1:], supply[:, :2], catchment_m, weights)
    values = _floating_catchments(supply[:, 2], demand[:, 0], w) * per

    recipe = {"layer": layer, "method": "2sfca" if decay == "none" else "e2sfca", "level": level,
              "catchment_m": catchment_m, "capacity": capacity, "decay": decay, "per": per}
    indicator_id = define_indicator(session, {
        "code": code, "name_fa": name_fa or code, "name_en": name_en or code, "domain": "capacity",
        "direction": "higher_is_better", "rollup": "weighted_mean",
        "source": f"layer {layer} ({recipe['method']}, {catchment_m:g} m)",
        "unit_of_measure": f"{capacity or 'points'} per {per:g} people", "meta": {"derived": recipe},
    }, synthetic=synthetic)
    session.execute(text("DELETE FROM indicator_value WHERE indicator_id = :id AND period = :period"),
                    {"id": indicator_id, "period": period})
    insert_values(session, {"indicator_id": indicator_id, "period": period}, unit_ids, values)
    if synthetic:
        session.execute(text("UPDATE indicator_value SET synthetic = true WHERE indicator_id = :id AND period = :p"),
                        {"id": indicator_id, "p": period})
    roll_up(session, code, period, replace=True)
    reached = float(supply[:, 2] @ (w.T @ demand[:, 0] > 0))
    return {"indicator": code, "period": period, **recipe, "units": int(unit_ids.size),
            "supply_points": int(supply.shape[0]), "supply_total": float(supply[:, 2].sum()),
            "supply_reaching_demand": reached}
