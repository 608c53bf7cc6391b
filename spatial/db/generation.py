"""The data generation number, as stored: changed by triggers whenever published data changes.

Statement-level triggers (migration ``0005_partner``) set ``pishraft_meta['data_generation']``
to a fresh number whenever ``admin_unit``, ``indicator``, ``indicator_value`` or ``layer``
change, so anything computed from those tables can be cached under it. The serving
room's :mod:`spatial.serving.generation` adds the process-wide memory of the last read.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

#: The scalar query of the generation number (also embedded in the tile statement).
GENERATION_SQL = "SELECT value::bigint FROM pishraft_meta WHERE key = 'data_generation'"


def read_generation(session: Session) -> int:
    """The generation number as ``session`` sees it, straight from the database."""
    value = session.execute(text(GENERATION_SQL)).scalar()
    return int(value) if value is not None else 0
