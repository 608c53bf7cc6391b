"""The end of a POST handler that writes: save what the form sent in one transaction and go on,
or show the form again with what was sent and why it was refused (422), nothing written.

The pattern (see :mod:`api.pages.forms` for reading the fields)::

    def write(session: Session) -> str:
        return f"/things/{things.create(session, …)['id']}"

    return saved(request, errors, LABELS, write) or form_again(request, "thing_form.html", sent, FIELDS, errors)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.pages.forms import FormErrors
from api.pages.render import redirect, render
from api.pages.security import Submitted
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput, PishraftError


def saved(request: Request, errors: FormErrors, labels: dict[str, str], write: Callable[[Session], str],
          refused: tuple[type[PishraftError], ...] = (InvalidInput,)) -> Response | None:
    """When the form was read without errors, ``write`` in one transaction and the redirect to
    the path it returns; else (or when the core refuses with one of ``refused``: the reason
    beside its field, told by ``labels``) ``None``, the caller then shows the form again."""
    if errors:
        return None
    try:
        with session_scope() as session:
            return redirect(request, write(session))
    except refused as exc:
        errors.from_domain(exc, labels)
        return None


def form_again(request: Request, template: str, sent: Submitted, fields: Iterable[str], errors: FormErrors,
               **context: Any) -> Response:
    """``template`` again (422) with the ``fields`` as sent, the reasons of the refusal, and ``context``
    (the record edited, the choices the form offers)."""
    values = {name: sent.text(name) for name in fields}
    return render(request, template, {**context, "values": values, "errors": errors}, status_code=422)
