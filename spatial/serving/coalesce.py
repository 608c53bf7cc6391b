"""Administrative units coalesced per tile for zooms 0–10: whole coverage, light tiles.

At a national zoom 50,000 neighbourhoods are a few screen pixels each. Leaving the small
ones out of a tile shows empty country; drawing each one makes megabyte tiles. As
tippecanoe's ``--coalesce-smallest-as-needed`` does, a unit too small to draw at a zoom
is merged with its small neighbours **within the same parent**, and the merged feature
says how many units it holds (``units``), whose children they are (``parent``) and the
headline values rolled up by each indicator's rule (``indicator.rollup``: ``sum`` or
``weighted_mean`` by population; population itself is summed).

For each level and zoom up to :data:`~spatial.models.generalised.GENERALISED_MAX_ZOOM`:

1. the level's boundaries (Web Mercator) are simplified as one coverage
   (``shapely.coverage_simplify``, half a tile pixel): each shared edge is simplified
   once, so neighbours keep a common edge, with no slivers and no gaps;
2. for every tile, the units whose interior meets the tile's buffered bounds are its
   *members*; each member's simplified boundary is clipped to those bounds;
3. a member whose simplified boundary covers less than :data:`COALESCE_BELOW_PX` screen
   pixels is *small*; small members of one parent that touch are merged (connected
   components of the adjacency graph: deterministic), and a small member with no small
   neighbour joins its largest neighbour of the same parent; others are drawn alone
   (``units = 1``). A tile that would still weigh more than
   :data:`TILE_BUDGET_ESTIMATE` merges from a larger size, four times larger each time;
4. the features are quantised for their tile by ``ST_AsMVTGeom`` and stored in
   ``admin_unit_coalesced_tile`` with the codes of their members, so that a tile is
   one statement (``ST_AsMVT`` over its rows) and every unit can be found in the table.

Every tile therefore holds every unit that meets it, alone or inside a merged feature,
and no two of its features overlap. :func:`refresh_coalesced_tiles` rebuilds the table
(the demo load, ``pishraft tiles refresh``, and the server's background refresher
:mod:`spatial.serving.freshness` after boundaries or indicator values change: one hook marks
a level's tiles stale, migration ``0026_refresh_queue``, and its tiles are drawn from the
exact boundaries until the rebuild) and starts a new data generation, so that no tile
cached before is served again.

Examples
--------
>>> seconds = refresh_coalesced_tiles(session)    # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import copy_rows, ewkb_hex
from spatial.db.refresh_queue import clear_marks, stale_marks
from spatial.models.generalised import GENERALISED_MAX_ZOOM
from spatial.serving.collections import ADMIN_COLLECTIONS
from spatial.serving.tiles import BUFFER, EXTENT, SCREEN_PIXEL, WORLD_M, pixel_m

#: A unit whose piece of a tile covers less than this many screen pixels is merged with
#: its small neighbours of the same parent (4 × 4 pixels: below it a choropleth cell is noise).
COALESCE_BELOW_PX = 16
#: Estimated tile weight above which a tile merges from a four times larger size. Well
#: under the 500 KB budget: the estimate counts the features' vertices, not encoded bytes.
TILE_BUDGET_ESTIMATE = 350_000
#: Bytes estimated per vertex and per feature of a tile (zigzag-varint pairs and attributes).
_BYTES_PER_VERTEX = 3
_BYTES_PER_FEATURE = 60
#: The levels served as collections (``spatial.serving.collections.ADMIN_COLLECTIONS``).
LEVELS = tuple(ADMIN_COLLECTIONS.values())

#: Starts a new data generation: tiles cached before the refresh are drawn from other rows.
BUMP_GENERATION_SQL = """UPDATE pishraft_meta SET value = to_jsonb(nextval('pishraft_data_generation'))
                         WHERE key = 'data_generation'"""


def _tile_m(z: int) -> float:
    return WORLD_M / (1 << z)


@dataclass
class _Level:
    """A level's current units, in Web Mercator, with what merged features roll up."""

    ids: np.ndarray
    codes: np.ndarray
    parents: np.ndarray  # parent code per unit ('' for none)
    population: np.ndarray  # float, NaN when unknown
    geoms: np.ndarray
    keys: list[str]  # rolled-up value names (headline indicators and index scores)
    values: np.ndarray  # (units, keys) float, NaN when missing
    sums: np.ndarray  # bool per key: summed rather than population-weighted


def _read_level(session: Session, level: str) -> _Level | None:
    rows = session.execute(text(
        """SELECT u.id, u.code, coalesce(p.code, '') AS parent, u.population,
                  ST_AsBinary(ST_Transform(
                      -- Web Mercator stops at ±85.06°; clip only the rare unit that reaches beyond.
                      CASE WHEN ST_YMax(u.geom) > 85.06 OR ST_YMin(u.geom) < -85.06
                           THEN ST_Intersection(u.geom, ST_MakeEnvelope(-180, -85.06, 180, 85.06, 4326))
                           ELSE u.geom END, 3857)) AS wkb,
                  x.properties
           FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
           LEFT JOIN pishraft_units_properties(ARRAY(
               SELECT id FROM admin_unit WHERE level = :level AND valid_to IS NULL)) x ON x.unit_id = u.id
           WHERE u.level = :level AND u.valid_to IS NULL AND NOT ST_IsEmpty(u.geom)
           ORDER BY u.code"""), {"level": level}).all()
    if not rows:
        return None
    rules: dict[str, str] = {code: rule for code, rule in session.execute(text("SELECT code, rollup FROM indicator"))}
    properties = [r.properties or {} for r in rows]
    keys = sorted({k for p in properties for k, v in p.items() if isinstance(v, (int, float))})
    values = np.array([[float(p[k]) if isinstance(p.get(k), (int, float)) else np.nan for k in keys]
                       for p in properties], dtype=float).reshape(len(rows), len(keys))
    geoms = shapely.make_valid(shapely.from_wkb([bytes(r.wkb) for r in rows]))
    return _Level(
        ids=np.array([r.id for r in rows]), codes=np.array([r.code for r in rows], dtype=object),
        parents=np.array([r.parent for r in rows], dtype=object),
        population=np.array([np.nan if r.population is None else float(r.population) for r in rows]),
        geoms=geoms, keys=keys, values=values, sums=np.array([rules.get(k) == "sum" for k in keys], dtype=bool))


def _tile_pairs(geoms: np.ndarray, z: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(x, y, indices of the units whose bounding box meets the buffered tile), tile by tile."""
    half, size = WORLD_M / 2, _tile_m(z)
    margin = size * BUFFER / EXTENT
    bounds = shapely.bounds(geoms)
    last = (1 << z) - 1
    x0 = np.clip(np.floor((bounds[:, 0] - margin + half) / size), 0, last).astype(np.int64)
    x1 = np.clip(np.floor((bounds[:, 2] + margin + half) / size), 0, last).astype(np.int64)
    y0 = np.clip(np.floor((half - bounds[:, 3] - margin) / size), 0, last).astype(np.int64)
    y1 = np.clip(np.floor((half - bounds[:, 1] + margin) / size), 0, last).astype(np.int64)
    counts = (x1 - x0 + 1) * (y1 - y0 + 1)
    unit = np.repeat(np.arange(len(geoms)), counts)
    offset = np.arange(len(unit)) - np.repeat(np.cumsum(counts) - counts, counts)
    width = np.repeat(x1 - x0 + 1, counts)
    xs = np.repeat(x0, counts) + offset % width
    ys = np.repeat(y0, counts) + offset // width
    tile = xs * (1 << z) + ys
    order = np.argsort(tile, kind="stable")
    tile, unit = tile[order], unit[order]
    starts = np.flatnonzero(np.r_[True, tile[1:] != tile[:-1]])
    for start, stop in zip(starts, np.r_[starts[1:], len(tile)], strict=True):
        yield int(tile[start] >> z), int(tile[start] & ((1 << z) - 1)), unit[start:stop]


def _buffered_box(z: int, x: int, y: int) -> shapely.Geometry:
    half, size = WORLD_M / 2, _tile_m(z)
    margin = size * BUFFER / EXTENT
    return shapely.box(-half + x * size - margin, half - (y + 1) * size - margin,
                       -half + (x + 1) * size + margin, half - y * size + margin)


def _largest_neighbour(left: np.ndarray, right: np.ndarray, wanted: np.ndarray,
                       size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges from each ``wanted`` member to its neighbour of largest ``size`` among the
    pairs (``left``, ``right``), either way round."""
    a, b = np.r_[left, right], np.r_[right, left]
    pick = wanted[a]
    a, b = a[pick], b[pick]
    order = np.lexsort((-size[b], a))
    a, b = a[order], b[order]
    first = np.r_[True, a[1:] != a[:-1]] if len(a) else np.zeros(0, dtype=bool)
    return a[first], b[first]


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _groups(parents: np.ndarray, small: np.ndarray, areas: np.ndarray, pieces: np.ndarray, raw: np.ndarray,
            drawable: float) -> np.ndarray:
    """A group label per member of a tile.

    Small touching members of one parent share a group; a lone small member joins its
    largest neighbour of the same parent; the rest stand alone. A group whose pieces
    cover less than ``drawable`` (it would vanish when quantised: the sliver of a unit
    that barely enters the tile's buffer) joins its largest neighbour of the same
    parent, or of any parent when it has none: every unit that meets the tile is counted.
    """
    n = len(raw)
    left, right = shapely.STRtree(raw).query(raw, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    kin = parents[left] == parents[right]
    both = small[left] & small[right] & kin
    edges_l, edges_r = [left[both]], [right[both]]
    has_small_neighbour = np.zeros(n, dtype=bool)
    has_small_neighbour[left[both]] = has_small_neighbour[right[both]] = True
    a, b = _largest_neighbour(left[kin], right[kin], small & ~has_small_neighbour, areas)
    edges_l.append(a)
    edges_r.append(b)
    labels = _components(n, np.concatenate(edges_l), np.concatenate(edges_r))
    covered = np.bincount(labels, weights=shapely.area(pieces))
    vanishing = covered[labels] < drawable
    if vanishing.any():
        crossing = labels[left] != labels[right]
        for pairs in (crossing & kin, crossing):
            a, b = _largest_neighbour(left[pairs], right[pairs], vanishing, covered[labels])
            edges_l.append(a)
            edges_r.append(b)
            vanishing &= ~np.isin(labels, labels[a])  # its whole group has found a neighbour
        labels = _components(n, np.concatenate(edges_l), np.concatenate(edges_r))
    return labels


def _rollup(level: _Level, members: np.ndarray) -> dict[str, float | int]:
    """The values of a merged feature: population summed, each key by its rule."""
    population = level.population[members]
    rolled: dict[str, float | int] = {}
    if not np.isnan(population).all():
        rolled["population"] = int(np.nansum(population))
    weights = np.where(np.isnan(population), 0.0, population)
    values = level.values[members]
    for k, key in enumerate(level.keys):
        column = values[:, k]
        known = ~np.isnan(column)
        if not known.any():
            continue
        if level.sums[k]:
            rolled[key] = float(column[known].sum())
        elif weights[known].sum() > 0:
            rolled[key] = float(np.average(column[known], weights=weights[known]))
        else:
            rolled[key] = float(column[known].mean())
    return rolled


def _tile_features(level: _Level, simplified: np.ndarray, areas: np.ndarray, z: int, x: int, y: int,
                   candidates: np.ndarray) -> list[tuple[Any, ...]]:
    """The rows of one tile: (unit id or None, units, parent, codes, rollup, geometry).

    Whether a unit is small is decided on its whole simplified boundary (``areas``), not
    on its piece of the tile, so that a large unit crossing the tile's edge stays itself."""
    box = _buffered_box(z, x, y)
    raw = level.geoms[candidates]
    inside = shapely.intersects(raw, box) & ~shapely.touches(raw, box)
    members = candidates[inside]
    if not len(members):
        return []
    raw = raw[inside]
    pieces = shapely.intersection(simplified[members], box)
    # A unit whose simplified piece vanished still meets the tile: its own boundary draws it.
    empty = shapely.is_empty(pieces) | (shapely.area(pieces) == 0)
    if empty.any():
        pieces[empty] = shapely.intersection(raw[empty], box)
    areas = areas[members]
    pixel_area = (pixel_m(z) * SCREEN_PIXEL) ** 2
    threshold = COALESCE_BELOW_PX
    while True:
        labels = _groups(level.parents[members], areas < threshold * pixel_area, areas, pieces, raw,
                         drawable=(pixel_m(z) * SCREEN_PIXEL / 2) ** 2)
        rows = _grouped_rows(level, members, pieces, areas, labels)
        weight = sum(shapely.get_num_coordinates(row[-1]) * _BYTES_PER_VERTEX + _BYTES_PER_FEATURE for row in rows)
        if weight <= TILE_BUDGET_ESTIMATE or threshold >= 4 ** 8:
            return rows
        threshold *= 4


def _grouped_rows(level: _Level, members: np.ndarray, pieces: np.ndarray, areas: np.ndarray,
                  labels: np.ndarray) -> list[tuple[Any, ...]]:
    """A row per group: the unit alone, or the members merged with their values rolled up."""
    rows: list[tuple[Any, ...]] = []
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    for start, stop in zip(starts, np.r_[starts[1:], len(order)], strict=True):
        group = order[start:stop]
        units = members[group]
        parent = level.parents[units[np.argmax(areas[group])]] or None
        codes = sorted(level.codes[units].tolist())
        if len(group) == 1:
            rows.append((int(level.ids[units[0]]), 1, parent, codes, None, pieces[group[0]]))
        else:
            rows.append((None, len(group), parent, codes, _rollup(level, units), shapely.union_all(pieces[group])))
    return rows


def coalesced_rows(level: _Level, zooms: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """Rows (zoom, x, y, seq, unit id, units, parent, codes, rollup, geometry) of the level."""
    for z in zooms:
        simplified = shapely.coverage_simplify(level.geoms, pixel_m(z) / 2, simplify_boundary=True)
        areas = shapely.area(simplified)
        for x, y, candidates in _tile_pairs(level.geoms, z):
            for seq, row in enumerate(_tile_features(level, simplified, areas, z, x, y, candidates)):
                yield (z, x, y, seq, *row)


def refresh_coalesced_tiles(session: Session, levels: Sequence[str] = LEVELS) -> float:
    """Rebuild the coalesced tile features of ``levels`` in ``session``'s transaction;
    the seconds it took. Starts a new data generation; the levels' tiles are no longer
    marked stale, unless they changed again meanwhile."""
    started = time.perf_counter()
    marks = stale_marks(session, "tiles", levels)
    rebuild_coalesced_tiles(session, levels)
    clear_marks(session, "tiles", marks)
    return time.perf_counter() - started


def rebuild_coalesced_tiles(session: Session, levels: Sequence[str] = LEVELS) -> None:
    """:func:`refresh_coalesced_tiles` without reading or clearing the stale marks (for
    migration ``0023_coalesced_tiles``, which is older than they are)."""
    session.execute(text("DELETE FROM admin_unit_coalesced_tile WHERE level = ANY(:levels)"),
                    {"levels": list(levels)})
    session.execute(text(
        """CREATE TEMPORARY TABLE coalesced_stage (level text, zoom smallint, x integer, y integer, seq integer,
               unit_id integer, units integer, parent text, codes text[], rollup jsonb, geom geometry)
           ON COMMIT DROP"""))
    for level_name in levels:
        level = _read_level(session, level_name)
        if level is None:
            continue
        batch: list[tuple[Any, ...]] = []
        geoms: list[Any] = []
        for z, x, y, seq, unit_id, units, parent, codes, rollup, geom in coalesced_rows(
                level, range(GENERALISED_MAX_ZOOM + 1)):
            batch.append((level_name, z, x, y, seq, unit_id, units, parent, codes,
                          None if rollup is None else json.dumps(rollup)))
            geoms.append(geom)
        if not batch:
            continue
        hexes = ewkb_hex(np.array(geoms, dtype=object), srid=3857)
        copy_rows(session, "coalesced_stage",
                  ("level", "zoom", "x", "y", "seq", "unit_id", "units", "parent", "codes", "rollup", "geom"),
                  [(*row, g) for row, g in zip(batch, hexes, strict=True)])
    session.execute(text(
        """INSERT INTO admin_unit_coalesced_tile (level, zoom, x, y, seq, unit_id, units, parent, codes, rollup, geom)
           SELECT s.level, s.zoom, s.x, s.y, s.seq, s.unit_id, s.units, s.parent, s.codes, s.rollup, t.geom
           FROM coalesced_stage s
           CROSS JOIN LATERAL ST_AsMVTGeom(s.geom, ST_TileEnvelope(s.zoom, s.x, s.y), :extent, :buffer, true) t(geom)
           WHERE t.geom IS NOT NULL"""), {"extent": EXTENT, "buffer": BUFFER})
    session.execute(text("DROP TABLE coalesced_stage"))
    session.execute(text("ANALYZE admin_unit_coalesced_tile"))
    session.execute(text(BUMP_GENERATION_SQL))
