"""Corrections from the roadmap, action and measurement pages: archive (with a reason) and
restore (administrators) a roadmap, an action, a financing line or a key result; withdraw,
restore or correct a measurement (:mod:`spatial.planning.corrections`).

Each form posts here and is answered with a redirect to the page it came from; a form
sent without its reason gets the reason form again (422), with nothing written. The core
checks the editor's area (403 outside it, nothing written).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.pages.forms import FormErrors
from api.pages.handovers import editor
from api.pages.planning import WRITE
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput
from spatial.models.roadmaps import Financing, KeyResult, Measurement
from spatial.planning import corrections
from spatial.planning.references import get_or_404
from spatial.planning.roadmap_inputs import MeasurementPatch
from spatial.planning.roadmaps import get_action

router = page_router()

#: A correction: (session, object id, reason, editor) -> the changed document.
Correct = Callable[[Session, int, str, Any], dict[str, Any]]


def _action_of(model: type[Financing] | type[KeyResult] | type[Measurement], what: str) -> Callable[[Session, int], str]:
    """Where to go back to after correcting a part of an action: the action's roadmap page."""
    def back(session: Session, object_id: int) -> str:
        obj = get_or_404(session, model, object_id, what)
        if isinstance(obj, Measurement):
            return f"/actions/{get_or_404(session, KeyResult, obj.key_result_id, 'key result').action_id}/measure"
        return f"/roadmaps/{get_action(session, obj.action_id)['roadmap_id']}"
    return back


def _roadmap_page(session: Session, roadmap_id: int) -> str:
    return f"/roadmaps/{roadmap_id}"


def _action_roadmap(session: Session, action_id: int) -> str:
    return f"/roadmaps/{get_action(session, action_id)['roadmap_id']}"


def _apply(request: Request, sent: Submitted, object_id: int, change: Correct, back: Callable[[Session, int], str],
           *, reason_required: bool) -> Response:
    """Run one correction in one transaction and go back; without a reason, the reason form (422)."""
    errors = FormErrors(lang_of(request))
    who = editor(sent)
    reason = errors.text(sent, "reason", "fix.reason", required=reason_required, max_len=corrections.REASON_MAX)
    if not errors:
        try:
            with session_scope() as session:
                target = back(session, object_id)
                change(session, object_id, reason, who)
            return redirect(request, target)
        except InvalidInput as exc:
            errors.from_domain(exc, {"reason": "fix.reason"})
    return render(request, "reason_form.html", {"action": request.url.path, "errors": errors}, status_code=422)


def _restorer(restore: Callable[..., dict[str, Any]]) -> Correct:
    """A restore function in the shape of :data:`Correct` (its reason is optional and comes last)."""
    return lambda session, object_id, reason, who: restore(session, object_id, who, reason)


#: (path, what archives it, what restores it, where to go back to)
_ARCHIVABLE: tuple[tuple[str, Correct, Callable[..., dict[str, Any]], Callable[[Session, int], str]], ...] = (
    ("/roadmaps/{object_id}", corrections.archive_roadmap, corrections.restore_roadmap, _roadmap_page),
    ("/actions/{object_id}", corrections.archive_action, corrections.restore_action, _action_roadmap),
    ("/financing/{object_id}", corrections.archive_financing, corrections.restore_financing,
     _action_of(Financing, "financing line")),
    ("/key-results/{object_id}", corrections.archive_key_result, corrections.restore_key_result,
     _action_of(KeyResult, "key result")),
)


def _routes(path: str, archive: Correct, restore: Callable[..., dict[str, Any]],
            back: Callable[[Session, int], str]) -> None:
    @router.post(f"{path}/archive")
    def archive_form(request: Request, object_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
        return _apply(request, sent, object_id, archive, back, reason_required=True)

    @router.post(f"{path}/restore")
    def restore_form(request: Request, object_id: int, sent: Submitted = Depends(form_for("admin"))) -> Response:
        return _apply(request, sent, object_id, _restorer(restore), back, reason_required=False)


for _path, _archive, _restore, _back in _ARCHIVABLE:
    _routes(_path, _archive, _restore, _back)

_measurement_page = _action_of(Measurement, "measurement")


@router.post("/measurements/{object_id}/withdraw")
def withdraw_measurement(request: Request, object_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    return _apply(request, sent, object_id, corrections.withdraw_measurement, _measurement_page,
                  reason_required=True)


@router.post("/measurements/{object_id}/restore")
def restore_measurement(request: Request, object_id: int, sent: Submitted = Depends(form_for("admin"))) -> Response:
    return _apply(request, sent, object_id, _restorer(corrections.restore_measurement), _measurement_page,
                  reason_required=False)


@router.post("/measurements/{object_id}/correct")
def correct_measurement(request: Request, object_id: int, sent: Submitted = Depends(form_for(WRITE))) -> Response:
    """A corrected value, with why; the old value stays in the history."""
    errors = FormErrors(lang_of(request))
    value = errors.number(sent, "value", "ms.value")
    if errors:
        return render(request, "reason_form.html", {"action": request.url.path, "errors": errors, "correct": True},
                      status_code=422)

    def change(session: Session, object_id: int, reason: str, who: Any) -> dict[str, Any]:
        return corrections.correct_measurement(session, object_id, MeasurementPatch(value=value), reason, who)

    return _apply(request, sent, object_id, change, _measurement_page, reason_required=True)
