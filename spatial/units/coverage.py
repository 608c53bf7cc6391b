"""Boundaries of a whole level simplified for its national map, stored beside the units.

A map draws its units as a coverage simplified by half a screen pixel at the map's
deepest zoom (GEOS coverage simplification, :func:`simplify_for_zoom`: each shared edge
is simplified once, so neighbours keep a common edge). For the 50,000 neighbourhoods of
a national map that takes about two seconds: too long for a request. So a level of more
than :data:`STORED_FROM` units keeps its simplified coverage in ``map_coverage`` and
``map_coverage_geom`` (migration ``0024_map_coverage``):

- :func:`refresh_coverage` simplifies a level and stores it; the demo loader calls it in
  the transaction that writes the boundaries, and a map that finds a large level without
  one starts it in the background (:func:`refresh_in_background`), so it is ready for the
  next request of every process;
- the one "boundaries or data changed" hook (migration ``0026_refresh_queue``,
  :mod:`spatial.db.refresh_queue`) forgets a level's stored coverage and marks it stale
  when any of its units is added, removed, reshaped or retired, so what is stored is never
  stale; the server's background refresher (:mod:`spatial.serving.freshness`) makes it again;
- :func:`stored_coverage` says whether a level has one, and for which zoom;
  :func:`spatial.units.frames.units_frame` with ``simplified`` reads it; the maps keep
  their compact encoding of it beside it (:func:`keep_encoding`).

Examples
--------
>>> stored_coverage(session, "neighbourhood").zoom   # doctest: +SKIP
8
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import binary_fetch, copy_rows, ewkb_hex
from spatial.db.refresh_queue import clear_marks, stale_marks
from spatial.geometry import as_multipolygons

log = logging.getLogger("pishraft.coverage")

TILE_SIZE = 256
#: Zoom levels a map allows beyond the one that fits its units; geometry detail follows.
ZOOM_IN_LEVELS = 3
#: Levels with more current units than this keep their simplified coverage stored.
STORED_FROM = 2_000
#: Advisory lock key of a refresh ('pishraft map coverage'), one refresh at a time per database.
REFRESH_LOCK = 7_316_020_401


def pixel_degrees(zoom: int) -> float:
    """Width of one screen pixel in degrees of longitude at Web Mercator ``zoom``."""
    return 360.0 / (TILE_SIZE * 2**zoom)


def fit_zoom(bounds: tuple[float, float, float, float], width_px: int = 1000, height_px: int = 700) -> int:
    """The zoom at which ``bounds`` (minx, miny, maxx, maxy in degrees) fills a window of that size."""
    minx, miny, maxx, maxy = bounds
    span_x = max(maxx - minx, 1e-6)
    # Latitude degrees stretch by 1/cos(lat) in Web Mercator.
    span_y = max(maxy - miny, 1e-6) / max(math.cos(math.radians((miny + maxy) / 2)), 0.1)
    zoom = min(math.log2(360 * width_px / (TILE_SIZE * span_x)), math.log2(360 * height_px / (TILE_SIZE * span_y)))
    return max(0, min(18, math.floor(zoom)))


def detail_zoom(geoms: np.ndarray) -> int:
    """The deepest zoom of a map of ``geoms``, which their drawn detail follows."""
    minx, miny, maxx, maxy = (float(b) for b in shapely.total_bounds(geoms))
    return min(fit_zoom((minx, miny, maxx, maxy)) + ZOOM_IN_LEVELS, 18)


def simplify_for_zoom(geoms: np.ndarray, zoom: int) -> np.ndarray:
    """The coverage ``geoms`` simplified by half a pixel at ``zoom``, shared edges kept shared."""
    simplified = shapely.coverage_simplify(geoms, pixel_degrees(zoom) / 2, simplify_boundary=True)
    return as_multipolygons(simplified)


_LEVEL_SQL = """SELECT id, ST_AsBinary(geom) FROM admin_unit
                WHERE level = :level AND valid_to IS NULL AND NOT ST_IsEmpty(geom) ORDER BY id"""


def refresh_coverage(session: Session, level: str) -> int | None:
    """Simplify the current units of ``level`` for their national map and store them, in
    ``session``'s transaction; returns the zoom, or ``None`` for a level of at most
    :data:`STORED_FROM` units (drawn fast enough without).

    Writers of ``admin_unit`` wait until the transaction ends, so that the boundaries
    stored are the ones committed. The level's coverage is no longer marked stale.
    """
    session.execute(text("LOCK TABLE admin_unit IN SHARE MODE"))
    clear_marks(session, "coverage", stale_marks(session, "coverage", [level]))
    session.execute(text("DELETE FROM map_coverage WHERE level = :level"), {"level": level})
    rows = binary_fetch(session, _LEVEL_SQL, {"level": level})()
    if len(rows) <= STORED_FROM:
        return None
    ids = np.array([r[0] for r in rows])
    geoms = shapely.from_wkb([r[1] for r in rows])
    zoom = detail_zoom(geoms)
    simplified = simplify_for_zoom(geoms, zoom)
    session.execute(text("INSERT INTO map_coverage (level, zoom, units) VALUES (:level, :zoom, :units)"),
                    {"level": level, "zoom": zoom, "units": len(ids)})
    copy_rows(session, "map_coverage_geom", ("level", "unit_id", "geom"),
              ((level, int(i), g) for i, g in zip(ids, ewkb_hex(simplified), strict=True)))
    return zoom


def refresh_large_levels(session: Session) -> dict[str, int]:
    """:func:`refresh_coverage` of every level (only those of more than :data:`STORED_FROM`
    current units store one); returns {level: zoom} of those stored."""
    levels = session.execute(text("SELECT DISTINCT level FROM admin_unit WHERE valid_to IS NULL ORDER BY level")
                             ).scalars()
    stored = {level: refresh_coverage(session, level) for level in list(levels)}
    return {level: zoom for level, zoom in stored.items() if zoom is not None}


#: Levels being refreshed by this process's background threads.
_refreshing: set[str] = set()
_refreshing_lock = threading.Lock()


def refresh_in_background(level: str) -> threading.Thread | None:
    """Start :func:`refresh_coverage` of ``level`` in a thread of its own, on the primary,
    unless this process is refreshing it already or another process holds the refresh
    lock; returns the thread started."""
    with _refreshing_lock:
        if level in _refreshing:
            return None
        _refreshing.add(level)

    def run() -> None:
        from spatial.db.engine import session_scope

        try:
            with session_scope() as session:
                if session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": REFRESH_LOCK}).scalar():
                    refresh_coverage(session, level)
        except Exception:  # a background refresh only saves time: the map draws without it
            log.exception("refreshing the stored coverage of %s failed", level)
        finally:
            with _refreshing_lock:
                _refreshing.discard(level)

    thread = threading.Thread(target=run, name=f"coverage-{level}", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class StoredCoverage:
    """What is stored of a level's coverage: its zoom, when it was stored, and the maps'
    compact encoding of it when they have kept one (:func:`keep_encoding`)."""

    zoom: int
    stored_at: datetime
    encoded: dict[str, Any] | None


def stored_coverage(session: Session, level: str) -> StoredCoverage | None:
    """The stored coverage of ``level``, or ``None`` when there is none (its geometry:
    :func:`spatial.units.frames.units_frame` with ``simplified``)."""
    row = session.execute(text("SELECT zoom, stored_at, encoded FROM map_coverage WHERE level = :level"),
                          {"level": level}).one_or_none()
    return None if row is None else StoredCoverage(int(row.zoom), row.stored_at, row.encoded)


def keep_encoding(level: str, stored_at: datetime, encoded: dict[str, Any]) -> threading.Thread:
    """Keep ``encoded`` (JSON) with the coverage of ``level`` stored at ``stored_at``, in a
    thread of its own on the primary; nothing is written if that coverage is gone."""
    def run() -> None:
        from spatial.db.engine import session_scope

        try:
            with session_scope() as session:
                session.execute(text("UPDATE map_coverage SET encoded = CAST(:encoded AS jsonb) "
                                     "WHERE level = :level AND stored_at = :stored_at"),
                                {"level": level, "stored_at": stored_at, "encoded": json.dumps(encoded)})
        except Exception:  # keeping it only saves the next process time
            log.exception("keeping the encoded coverage of %s failed", level)

    thread = threading.Thread(target=run, name=f"coverage-encoding-{level}", daemon=True)
    thread.start()
    return thread
