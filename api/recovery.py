"""What work interrupted by a crash or a kill left behind, found and cleared before a
process starts writing again: the server at start, and ``pishraft demo load`` before it
loads. Temporary and orphan layer files and work folders of dead processes
(:func:`layers.datafiles.clear_leftovers`), and derivation jobs whose process died
(:func:`spatial.analytics.jobs.clear_interrupted`). The database itself needs nothing:
every long write is one transaction, which died with its process."""

from __future__ import annotations

from layers import datafiles
from layers.ingest import RASTER_FOLDER
from spatial.analytics import jobs
from spatial.db.engine import session_scope

#: How the log says it (the crash tests look for these words).
CLEARED = "cleared {count} leftovers of interrupted work: {what}"


def clear_interrupted_work() -> list[str]:
    """Clear the leftovers of interrupted work, in one transaction; returns what was cleared, in words."""
    with session_scope() as session:
        cleared = datafiles.clear_leftovers(session, RASTER_FOLDER)
        cleared += [f"derivation job {job_id} (marked failed)" for job_id in jobs.clear_interrupted(session)]
    return cleared


def said(cleared: list[str]) -> str:
    """The log line for ``cleared`` (non-empty)."""
    return CLEARED.format(count=len(cleared), what=", ".join(cleared))
