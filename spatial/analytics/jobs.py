"""Derivation jobs: an overlay derivation run in the background, its state kept in the database.

A page starts one (:func:`start_job`, then :func:`run_in_background`) and answers at
once; the thread runs :func:`spatial.analytics.overlay.derive_indicator` in a
transaction of its own and writes the job's progress (partitions tallied of all) in
short transactions beside it, so that any server process can show it
(:func:`job_state`) or ask to stop it (:func:`request_cancel`). A cancelled or failed
job writes no value: its derivation's transaction is rolled back.

Examples
--------
>>> job = start_job(session, "clinics_count", {"layer": "clinics", "level": "neighbourhood",
...                 "method": "count", "code": "clinics_count", "period": "2024"}, "analyst")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.engine import session_scope
from spatial.errors import NotFound, PishraftError
from spatial.models.analytics import DerivationJob

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)

#: States in which a job still runs (its page refreshes and offers to cancel it).
ACTIVE = ("queued", "running")


#: The advisory lock space of running jobs: the process running a job holds (space, job id)
#: for as long as it runs, so a job left active whose lock is free was being run by a
#: process that died (:func:`clear_interrupted`). The lock goes with its connection.
LOCK_SPACE = 7321
#: A queued job is picked up by its process's thread at once; one queued longer than this
#: (seconds) with nobody holding its lock never will be.
QUEUED_GRACE_S = 60


class JobCancelled(Exception):
    """The job was cancelled while it ran."""


def start_job(session: Session, code: str, request: dict[str, Any], requested_by: str) -> int:
    """Record a queued derivation of indicator ``code`` (``request``: derive_indicator's arguments)."""
    job = DerivationJob(code=code, request=request, requested_by=requested_by)
    session.add(job)
    session.flush()
    return job.id


def run_in_background(job_id: int) -> threading.Thread:
    """Run job ``job_id`` in a daemon thread of this process (after its row is committed)."""
    thread = threading.Thread(target=run_job, args=(job_id,), name=f"derivation-job-{job_id}", daemon=True)
    thread.start()
    return thread


def run_job(job_id: int) -> None:
    """Run job ``job_id`` to its end: ``done``, ``cancelled`` or ``failed`` (with the reason)."""
    from spatial.analytics.overlay import derive_indicator

    with session_scope() as session:
        request = dict(_job(session, job_id).request)
    try:
        with session_scope() as session:
            session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"), {"space": LOCK_SPACE, "id": job_id})
            _update(job_id, "state = 'running'")  # only once the lock says this process runs it
            derive_indicator(session, request.pop("layer"), request.pop("level"), request.pop("method"),
                             watch=JobWatch(job_id), **request)
    except JobCancelled:
        _update(job_id, "state = 'cancelled', finished_at = now()")
    except PishraftError as exc:
        _update(job_id, "state = 'failed', message = :message, finished_at = now()", message=exc.message)
    except Exception as exc:  # the reason is kept for the analyst's page; the trace goes to the log
        log.exception("derivation job %s failed", job_id)
        _update(job_id, "state = 'failed', message = :message, finished_at = now()", message=type(exc).__name__)
    else:
        _update(job_id, "state = 'done', done = total, finished_at = now()")


class JobWatch:
    """Writes a job's progress as partitions are tallied; stops it when cancellation was asked."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id

    def started(self, client: Client, futures: list[Future]) -> None:
        _update(self.job_id, "total = :total", total=len(futures))
        self._check()

    def advanced(self, done: int, total: int) -> None:
        _update(self.job_id, "done = :done", done=done)
        self._check()

    def _check(self) -> None:
        with session_scope() as session:
            if _job(session, self.job_id).cancel_requested:
                raise JobCancelled


def clear_interrupted(session: Session) -> list[int]:
    """Mark failed the jobs left queued or running by a process that died (killed, crashed):
    those whose lock (:data:`LOCK_SPACE`) no process holds. Their derivation wrote nothing
    (its transaction died with the process). Returns their ids."""
    return list(session.execute(text("""
        UPDATE derivation_job SET state = 'failed', finished_at = now(),
               message = 'Interrupted: the server stopped while this derivation ran, and nothing was written. '
                         || 'Start it again.'
         WHERE id IN (SELECT id FROM derivation_job
                       WHERE (state = 'running'
                              OR (state = 'queued' AND created_at < now() - make_interval(secs => :grace)))
                         AND pg_try_advisory_xact_lock(:space, id))
        RETURNING id"""), {"space": LOCK_SPACE, "grace": QUEUED_GRACE_S}).scalars())


def job_state(session: Session, job_id: int) -> dict[str, Any]:
    """The job's code, state, progress (``done`` of ``total``), reason of failure and times."""
    job = _job(session, job_id)
    return {"id": job.id, "code": job.code, "state": job.state, "done": job.done, "total": job.total,
            "active": job.state in ACTIVE, "cancel_requested": job.cancel_requested, "message": job.message,
            "requested_by": job.requested_by, "created_at": job.created_at, "finished_at": job.finished_at}


def request_cancel(session: Session, job_id: int) -> None:
    """Ask the process running job ``job_id`` to stop it (after the partition it is on)."""
    _job(session, job_id).cancel_requested = True


def _job(session: Session, job_id: int) -> DerivationJob:
    job = session.get(DerivationJob, job_id, populate_existing=True)
    if job is None:
        raise NotFound(f"No derivation job {job_id}.", field="job")
    return job


def _update(job_id: int, assignments: str, **params: Any) -> None:
    """Set ``assignments`` (fixed SQL of this module, values as parameters) on the job, committed now."""
    with session_scope() as session:
        session.execute(text(f"UPDATE derivation_job SET {assignments} WHERE id = :id"), {"id": job_id, **params})
