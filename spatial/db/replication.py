"""Streaming replication as PostgreSQL reports it: WAL positions and a standby's replay lag.

One place for the SQL that both the replica manager (``pishraft db status``) and the read
router (:mod:`spatial.db.routing`) ask. WAL positions (LSNs, ``'0/3000148'``) are handled
as integers so that they compare; :func:`lsn_text` writes them back in PostgreSQL's form.

Examples
--------
>>> lsn_int("0/3000148")
50331976
>>> lsn_text(50331976)
'0/3000148'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: The primary's WAL position once a transaction has committed (what a replica must replay for a reader to see it).
COMMIT_LSN_SQL = "SELECT pg_current_wal_lsn()::text"

#: A standby's replayed position and how far behind it is in seconds: nothing when it has
#: replayed all it received, else the age of the last transaction it replayed.
REPLAY_SQL = """SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0
            ELSE COALESCE(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0.0)::float8
       END"""

#: The primary's view of a standby by its ``application_name``: state and bytes not yet replayed.
STANDBY_SQL = """SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint
                 FROM pg_stat_replication WHERE application_name = %s"""

_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")


def lsn_int(text: str | None) -> int | None:
    """A WAL position as an integer; ``None`` for nothing or for text that is not one."""
    match = _LSN.match(text.strip()) if text else None
    if match is None:
        return None
    return (int(match[1], 16) << 32) | int(match[2], 16)


def lsn_text(value: int) -> str:
    """An integer WAL position in PostgreSQL's ``high/low`` hexadecimal form."""
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


@dataclass(frozen=True)
class Replay:
    """Where a server stands: a standby (``in_recovery``) with what it replayed and its lag."""

    in_recovery: bool
    lsn: int
    lag_s: float

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Replay:
        """From a row of :data:`REPLAY_SQL`."""
        return cls(bool(row[0]), lsn_int(row[1]) or 0, float(row[2] or 0.0))
