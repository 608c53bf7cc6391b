"""A derivation running in the background: its progress bar, refreshed while it runs, and its
cancel button (:mod:`spatial.analytics.jobs` keeps the state; any server process shows it)."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.render import page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.analytics import jobs
from spatial.db.engine import session_scope

router = page_router()


@router.get("/indicators/derive/jobs/{job_id}")
def job_page(request: Request, job_id: int, _: Principal = Depends(require("read"))) -> Response:
    """The job's state and progress; the page reloads itself every two seconds while the job runs."""
    with session_scope() as session:
        job = jobs.job_state(session, job_id)
    return render(request, "derive_job.html", {"job": job})


@router.post("/indicators/derive/jobs/{job_id}/cancel")
def cancel(request: Request, job_id: int, _: Submitted = Depends(form_for("indicators:write"))) -> Response:
    """Ask the job to stop after the part under way; its derivation then writes nothing."""
    with session_scope() as session:
        jobs.request_cancel(session, job_id)
    return redirect(request, f"/indicators/derive/jobs/{job_id}")
