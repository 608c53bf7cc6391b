"""Multidimensional deprivation by the Alkire-Foster method (the global MPI's method).

A definition names indicators, each with a deprivation cut-off and a weight (weights sum
to 1), and a poverty cut-off ``k``. An observation is deprived in an indicator when its
value is on the wrong side of the cut-off; its deprivation score c is the weighted count
of its deprivations; it is multidimensionally deprived when c ≥ k. Over a population:
H (headcount) is the share deprived, A (intensity) their average score, M0 = H × A
(adjusted headcount), each indicator's censored headcount the share both deprived overall
and in that indicator, and its contribution w_j × censored headcount_j / M0.

The observations are the units of the definition's ``level`` (say neighbourhoods),
weighted by population; every unit above them (county, province, the nation) gets H,
A, M0, censored headcounts and contributions over the observations below it. Results
are stored with the definition's SHA-256, as composite indices are.

Definition (YAML or JSON)::

    code: mpi
    name_fa: شاخص فقر چندبعدی
    name_en: Multidimensional deprivation
    level: neighbourhood
    period: "2024"
    k: 0.34
    indicators:
      - {code: unemployment_rate, cutoff: 12, weight: 0.34}    # higher_is_worse: deprived above 12
      - {code: literacy_rate, cutoff: 85, weight: 0.33}        # higher_is_better: deprived below 85
      - {code: health_centres_per_10k, cutoff: 2.5, weight: 0.33}

``deprived_when: below | above`` overrides the side taken from the indicator's direction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.periods import optional_period_key
from spatial.analytics.indicators import indicator_info, indicator_matrix, latest_common_period
from spatial.analytics.indices import definition_mapping
from spatial.db.bulk import copy_rows
from spatial.errors import InvalidInput, NotFound
from spatial.models.units import LEVELS
from spatial.units.hierarchy import get_unit

WEIGHT_TOLERANCE = 1e-6
SIDES: tuple[str, ...] = ("below", "above")


@dataclass(frozen=True)
class AfIndicator:
    """One indicator of a measure: its deprivation cut-off, weight and side."""

    code: str
    cutoff: float
    weight: float
    deprived_when: str | None = None


@dataclass(frozen=True)
class AfDefinition:
    """A validated Alkire-Foster definition; see the module docstring."""

    code: str
    name_fa: str
    name_en: str
    level: str
    k: float
    indicators: tuple[AfIndicator, ...]
    period: str | None = None

    def canonical(self) -> dict[str, Any]:
        """Plain JSON-ready data (what is stored and hashed)."""
        data = asdict(self)
        data["indicators"] = [asdict(i) for i in self.indicators]
        return data

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON."""
        blob = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AfResult:
    """Alkire-Foster measures of one population."""

    h: float
    a: float
    m0: float
    censored_headcounts: np.ndarray
    contributions: np.ndarray


def deprivation_scores(values: np.ndarray, cutoffs: np.ndarray, weights: np.ndarray,
                       below: np.ndarray) -> np.ndarray:
    """Weighted deprivation count c of each row: Σ_j w_j [row deprived in j].

    Deprived in j means strictly below the cut-off (``below[j]``) or strictly above it.

    Examples
    --------
    >>> deprivation_scores(np.array([[1.0, 5.0]]), np.array([2.0, 4.0]), np.array([0.5, 0.5]),
    ...                    np.array([True, True])).tolist()
    [0.5]
    """
    x = np.asarray(values, dtype=float)
    deprived = np.where(np.asarray(below, dtype=bool), x < cutoffs, x > cutoffs)
    return (deprived * np.asarray(weights, dtype=float)).sum(axis=1)


def alkire_foster(values: np.ndarray, cutoffs: np.ndarray, weights: np.ndarray, below: np.ndarray, k: float,
                  population: np.ndarray | None = None) -> AfResult:
    """H, A, M0, censored headcounts and contributions of the rows of ``values`` (optionally weighted).

    Examples
    --------
    >>> r = alkire_foster(np.array([[0.0, 0.0], [0.0, 1.0]]), np.array([0.5, 0.5]), np.array([0.5, 0.5]),
    ...                   np.array([True, True]), k=1.0)
    >>> (r.h, r.a, r.m0)
    (0.5, 1.0, 0.5)
    """
    x = np.asarray(values, dtype=float)
    pop = np.ones(len(x)) if population is None else np.asarray(population, dtype=float)
    total = pop.sum()
    if total <= 0:
        return AfResult(0.0, 0.0, 0.0, np.zeros(x.shape[1]), np.zeros(x.shape[1]))
    deprived = np.where(np.asarray(below, dtype=bool), x < cutoffs, x > cutoffs)
    scores = (deprived * np.asarray(weights, dtype=float)).sum(axis=1)
    poor = scores >= k - 1e-12  # a score equal to k counts (weights like 1/3 do not add up exactly)
    h = float(pop[poor].sum() / total)
    m0 = float((pop * scores * poor).sum() / total)
    a = m0 / h if h > 0 else 0.0
    censored = (pop[:, None] * (deprived & poor[:, None])).sum(axis=0) / total
    contributions = np.asarray(weights, dtype=float) * censored / m0 if m0 > 0 else np.zeros(x.shape[1])
    return AfResult(h, a, m0, censored, contributions)


def parse_af_definition(source: Mapping[str, Any] | str) -> AfDefinition:
    """Validate an Alkire-Foster definition given as a mapping or YAML/JSON text."""
    data = definition_mapping(source, "deprivation")
    code = str(data["code"])
    level = data.get("level")
    if level not in LEVELS:
        raise InvalidInput(f"'level' (the units observed) must be one of: {', '.join(LEVELS)}.", field="level")
    k = data.get("k")
    if not isinstance(k, int | float) or isinstance(k, bool) or not 0 < k <= 1:
        raise InvalidInput("'k' (the poverty cut-off, a share of the weighted indicators) must be in (0, 1].",
                           field="k")
    items = data.get("indicators")
    if not isinstance(items, list) or not items:
        raise InvalidInput("The definition needs a non-empty list 'indicators'.", field="indicators")
    indicators = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput(f"indicators[{i}] must be a mapping with code, cutoff and weight.",
                               field=f"indicators[{i}]")
        for key in ("cutoff", "weight"):
            value = item.get(key)
            if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value):
                raise InvalidInput(f"indicators[{i}].{key} must be a number.", field=f"indicators[{i}].{key}")
        if item["weight"] <= 0:
            raise InvalidInput(f"indicators[{i}].weight must be above 0.", field=f"indicators[{i}].weight")
        side = item.get("deprived_when")
        if side is not None and side not in SIDES:
            raise InvalidInput(f"indicators[{i}].deprived_when must be below or above.",
                               field=f"indicators[{i}].deprived_when")
        indicators.append(AfIndicator(str(item.get("code", "")), float(item["cutoff"]), float(item["weight"]), side))
    codes = [i.code for i in indicators]
    if len(set(codes)) != len(codes):
        raise InvalidInput("An indicator appears twice in 'indicators'.", field="indicators")
    total = sum(i.weight for i in indicators)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise InvalidInput(f"The indicator weights sum to {total:g}; they must sum to 1.", field="weights")
    period = data.get("period")
    return AfDefinition(code, str(data["name_fa"]), str(data["name_en"]), str(level), float(k), tuple(indicators),
                        optional_period_key(None if period is None else str(period)))


#: Every current unit above the observed ones, with the observed unit it contains.
_ANCESTORS = """
    WITH RECURSIVE up(observed, ancestor) AS (
        SELECT u.id, u.parent_id FROM admin_unit u
        WHERE u.id = ANY(:ids) AND u.parent_id IS NOT NULL
        UNION ALL
        SELECT up.observed, p.parent_id FROM up JOIN admin_unit p ON p.id = up.ancestor
        WHERE p.parent_id IS NOT NULL
    )
    SELECT up.observed, up.ancestor, a.level FROM up JOIN admin_unit a ON a.id = up.ancestor
"""


def compute_af(session: Session, source: Mapping[str, Any] | str | AfDefinition,
               created_by: str = "system") -> dict[str, Any]:
    """Compute and store an Alkire-Foster measure: every observed unit and every unit above them.

    The measure version is found or created by (code, definition hash, period) and its
    results replaced. Returns a summary with the national H, A, M0, censored headcounts
    and contributions (over all observed units).
    """
    definition = source if isinstance(source, AfDefinition) else parse_af_definition(source)
    codes = [i.code for i in definition.indicators]
    below = []
    for item in definition.indicators:
        info = indicator_info(session, item.code)  # NotFound names an unknown indicator
        below.append(item.deprived_when == "below" if item.deprived_when
                     else info["direction"] == "higher_is_better")
    period = definition.period or latest_common_period(session, codes)
    table = indicator_matrix(session, codes, definition.level, period)
    table = table.dropna(subset=codes)
    if table.empty:
        raise InvalidInput(f"No {definition.level} unit has every indicator in {period}.", field="indicators")
    x = table[codes].to_numpy()
    pop = table["population"].fillna(0).to_numpy(dtype=float)
    cutoffs = np.array([i.cutoff for i in definition.indicators])
    weights = np.array([i.weight for i in definition.indicators])
    below_mask = np.array(below)
    scores = deprivation_scores(x, cutoffs, weights, below_mask)
    deprived = np.where(below_mask, x < cutoffs, x > cutoffs)
    poor = scores >= definition.k - 1e-12

    def entry(unit_id: int, level: str, rows: np.ndarray) -> tuple[Any, ...]:
        result = alkire_foster(x[rows], cutoffs, weights, below_mask, definition.k, pop[rows])
        return (unit_id, level, float(pop[rows].sum()), result.h, result.a, result.m0,
                json.dumps(dict(zip(codes, result.censored_headcounts.round(12).tolist(), strict=True))),
                json.dumps(dict(zip(codes, result.contributions.round(12).tolist(), strict=True))))

    unit_ids = table["unit_id"].astype(int).to_numpy()
    position = {int(u): i for i, u in enumerate(unit_ids)}
    entries = [entry(int(u), definition.level, np.array([i])) for i, u in enumerate(unit_ids)]
    ancestors = pd.DataFrame(session.execute(text(_ANCESTORS), {"ids": unit_ids.tolist()}).all(),
                             columns=["observed", "ancestor", "level"])
    for (ancestor, level), group in ancestors.groupby(["ancestor", "level"], sort=False):
        entries.append(entry(int(ancestor), str(level), np.array([position[int(o)] for o in group["observed"]])))
    measure_id = _measure_version(session, definition, period, created_by)
    session.execute(text("DELETE FROM af_result WHERE measure_id = :id"), {"id": measure_id})
    copy_rows(session, "af_result", ("measure_id", "unit_id", "level", "population", "h", "a", "m0",
                                     "censored_headcounts", "contributions"),
              ((measure_id, *e) for e in entries))
    nation = alkire_foster(x, cutoffs, weights, below_mask, definition.k, pop)
    return {"id": measure_id, "code": definition.code, "definition_hash": definition.hash, "period": period,
            "observed": {"level": definition.level, "units": len(table), "deprived": int(poor.sum())},
            "h": nation.h, "a": nation.a, "m0": nation.m0,
            "censored_headcounts": dict(zip(codes, nation.censored_headcounts.tolist(), strict=True)),
            "contributions": dict(zip(codes, nation.contributions.tolist(), strict=True)),
            "uncensored_headcounts": dict(zip(codes, ((pop[:, None] * deprived).sum(axis=0)
                                                      / max(pop.sum(), 1e-300)).tolist(), strict=True))}


def _measure_version(session: Session, definition: AfDefinition, period: str, created_by: str) -> int:
    found = session.execute(
        text("SELECT id FROM af_measure WHERE code = :code AND definition_hash = :hash AND period = :period"),
        {"code": definition.code, "hash": definition.hash, "period": period},
    ).scalar()
    if found is not None:
        return int(found)
    return int(session.execute(
        text("""INSERT INTO af_measure (code, name_fa, name_en, definition, definition_hash, period, created_by)
                VALUES (:code, :fa, :en, CAST(:definition AS jsonb), :hash, :period, :by) RETURNING id"""),
        {"code": definition.code, "fa": definition.name_fa, "en": definition.name_en,
         "definition": json.dumps(definition.canonical(), ensure_ascii=False), "hash": definition.hash,
         "period": period, "by": created_by},
    ).scalar_one())


def af_results(session: Session, code: str, level: str, parent_code: str | None = None) -> dict[str, Any]:
    """The latest stored version of measure ``code`` at ``level`` (below ``parent_code``), by M0, highest first."""
    measure = session.execute(
        text("""SELECT id, code, name_fa, name_en, definition, definition_hash, period, created_at
                FROM af_measure WHERE code = :code ORDER BY id DESC LIMIT 1"""),
        {"code": code},
    ).mappings().first()
    if measure is None:
        raise NotFound(f"No deprivation measure '{code}'. Compute one with POST /api/deprivation.", field="measure")
    parent_id = get_unit(session, parent_code).id if parent_code else None
    rows = session.execute(
        text("""SELECT u.code, u.name_fa, u.name_en, p.code AS parent_code, r.population, r.h, r.a, r.m0,
                       r.censored_headcounts, r.contributions
                FROM af_result r JOIN admin_unit u ON u.id = r.unit_id LEFT JOIN admin_unit p ON p.id = u.parent_id
                WHERE r.measure_id = :id AND r.level = :level
                  AND (CAST(:parent AS integer) IS NULL OR u.parent_id = :parent)
                ORDER BY r.m0 DESC, u.code"""),
        {"id": measure["id"], "level": level, "parent": parent_id},
    ).mappings().all()
    return {"measure": dict(measure), "level": level, "units": [dict(r) for r in rows]}


def unit_deprivation(session: Session, unit_id: int) -> list[dict[str, Any]]:
    """The unit's results on the latest version of every measure (for its profile)."""
    rows = session.execute(
        text("""SELECT DISTINCT ON (m.code) m.code, m.name_fa, m.name_en, m.period, m.definition_hash, r.h, r.a, r.m0,
                       r.censored_headcounts, r.contributions
                FROM af_result r JOIN af_measure m ON m.id = r.measure_id
                WHERE r.unit_id = :unit ORDER BY m.code, m.id DESC"""),
        {"unit": unit_id},
    ).mappings().all()
    return [dict(r) for r in rows]

