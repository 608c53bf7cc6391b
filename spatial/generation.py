"""The data generation: one number that changes whenever published data changes.

Statement-level triggers (migration ``0005_partner``) set ``pishraft_meta['data_generation']``
to a fresh number from a sequence whenever ``admin_unit``, ``indicator``,
``indicator_value`` or ``layer`` (a replaced layer bumps ``layer.version``) change. The
collection catalogue and the tile cache are keyed by it, so a change invalidates them
in every worker without any message passing.

Reading it is one indexed row; a worker re-reads it at most every
``PISHRAFT_TILE_CACHE_CHECK_S`` seconds (default 1 s), so other workers see a change
within that time.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.settings import get_settings

_lock = threading.Lock()
_last: tuple[float, int] | None = None  # (monotonic time read, generation)


def read_generation(session: Session) -> int:
    """The committed generation number, straight from the database."""
    value = session.execute(text("SELECT value FROM pishraft_meta WHERE key = 'data_generation'")).scalar()
    return int(value) if value is not None else 0


def data_generation(session: Session) -> int:
    """The generation number, re-read at most every ``tile_cache_check_s`` seconds."""
    global _last
    now = time.monotonic()
    last = _last
    if last is not None and now - last[0] < get_settings().tile_cache_check_s:
        return last[1]
    generation = read_generation(session)
    with _lock:
        _last = (now, generation)
    return generation


def remembered_generation() -> int | None:
    """The generation read less than ``tile_cache_check_s`` ago, or ``None`` (no database access)."""
    last = _last
    if last is not None and time.monotonic() - last[0] < get_settings().tile_cache_check_s:
        return last[1]
    return None


def forget_generation() -> None:
    """Drop the remembered number, so the next call reads the database (after local writes, in tests)."""
    global _last
    with _lock:
        _last = None
