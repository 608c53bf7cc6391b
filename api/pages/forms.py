"""Reading a submitted form: each reader takes a field, checks it, and on a problem records
a message in the page's language that names the field; the handler re-renders the form
with :class:`FormErrors` and writes nothing.

The pattern of every POST handler (see the README, "Workspace pages: how to add one")::

    @router.post("/things/new")
    def create(request: Request, sent: Submitted = Depends(form_for("roadmaps:write"))) -> Response:
        errors = FormErrors(lang_of(request))
        title = errors.text(sent, "title", "thing.title", max_len=200)
        due = errors.date(sent, "due", "thing.due", required=False)
        if not errors:
            try:
                with session_scope() as session:      # one transaction, committed here,
                    made = things.create(session, …)  # before the answer is sent
                return redirect(request, f"/things/{made['id']}")
            except InvalidInput as exc:                # the core refused: nothing was written
                errors.from_domain(exc, {"title": "thing.title"})
        return render(request, "thing_form.html", {"errors": errors, "values": sent.form}, 422)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from datetime import date

from api.pages.security import Submitted
from spatial.errors import PishraftError, VersionMismatch
from spatial.jalali import latin_digits, parse_jalali, persian_digits
from spatial.messages import has, refusal, t
from spatial.planning.versions import Opened


class FormErrors:
    """The problems of one submitted form, by field, in ``lang``; falsy when there are none."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.by_field: dict[str, str] = {}

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_field.values())

    def get(self, name: str) -> str | None:
        """The message for field ``name``, if it has one (the macros show it beside the field)."""
        return self.by_field.get(name)

    def add(self, name: str, label_key: str, message_key: str, **params: object) -> None:
        """Record ``message_key`` for field ``name``, naming it by its catalogue label;
        ``params`` fill placeholders of both (e.g. ``row=2`` for a label "{part}, line {row}")."""
        field = t(label_key, self.lang, **params)
        self.by_field.setdefault(name, t(message_key, self.lang, field=field, **params))

    def text(self, sent: Submitted, name: str, label_key: str, *, required: bool = True,
             max_len: int = 500, **params: object) -> str:
        """A text field, stripped; '' when optional and empty."""
        value = sent.text(name)
        if required and not value:
            self.add(name, label_key, "form.required", **params)
        elif len(value) > max_len:
            self.add(name, label_key, "form.too_long", max=max_len, **params)
        return value

    def choice(self, sent: Submitted, name: str, label_key: str, allowed: Collection[str], *,
               required: bool = True, **params: object) -> str | None:
        """One of ``allowed`` (a select list); ``None`` when optional and empty."""
        value = sent.text(name)
        if not value:
            if required:
                self.add(name, label_key, "form.required", **params)
            return None
        if value not in allowed:
            self.add(name, label_key, "form.bad_choice", **params)
            return None
        return value

    def number(self, sent: Submitted, name: str, label_key: str, *, required: bool = True,
               **params: object) -> float | None:
        """A number, typed in Persian or Western digits (``٫`` or ``.`` as decimal point)."""
        raw = latin_digits(sent.text(name)).replace("٫", ".").replace("٬", "").replace(",", "")
        if not raw:
            if required:
                self.add(name, label_key, "form.required", **params)
            return None
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):  # "nan" and "inf" parse as floats but are no one's number
            self.add(name, label_key, "form.bad_number", **params)
            return None
        return number

    def date(self, sent: Submitted, name: str, label_key: str, *, required: bool = True,
             **params: object) -> date | None:
        """A Jalali date typed as ``۱۴۰۵/۰۱/۱۵`` or ``1405/01/15`` (the date macro's format)."""
        raw = sent.text(name)
        if not raw:
            if required:
                self.add(name, label_key, "form.required", **params)
            return None
        try:
            return parse_jalali(raw, field=name)
        except PishraftError:
            self.add(name, label_key, "form.bad_date", **params)
            return None

    def unchanged(self, sent: Submitted, name: str, label_key: str, current: str,
                  message_key: str = "form.cannot_change") -> None:
        """A field this form does not change (a roadmap's unit, an action's roadmap): a
        forged form that sends it with another value than ``current`` is refused whole,
        never half-applied with the field silently ignored."""
        if name in sent.form and sent.text(name) != current:
            self.add(name, label_key, message_key)

    def from_domain(self, exc: PishraftError, labels: Mapping[str, str]) -> None:
        """Record a refusal of the core (``spatial``, ``layers``) against the field it names.

        ``labels`` maps the core's field names to catalogue label keys; the refusal is told
        from the catalogue in the page's language (:func:`spatial.messages.refusal`), after
        the field's label, beside that field (or above the form when it names none).
        """
        field = exc.field if exc.field in labels else None
        label_key = labels[field] if field else next(iter(labels.values()), "common.unknown")
        label = t(label_key if has(label_key) else "common.unknown", self.lang, **exc.params)
        self.by_field.setdefault(field or "_form", refusal(exc, self.lang, label))


# --- edits of an object changed since the form was opened ---------------------------------
#: The hidden field of an edit form holding the version it was opened with (``csrf_field()``
#: writes it when the page's context has ``version``).
VERSION_FIELD = "version"


def opened_version(sent: Submitted) -> Opened | None:
    """The version the edit form was opened with; a stale edit is merged where nothing conflicts."""
    raw = sent.text(VERSION_FIELD)
    return Opened(int(raw), merge=True) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _shown(value: object, lang: str) -> str:
    """A document value in a few words: lists joined, lines by their text, nothing as a dash."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return "، ".join(_shown(v, lang) for v in value) if lang == "fa" else "; ".join(_shown(v, lang) for v in value)
    if isinstance(value, dict):
        return str(value.get("text") or value.get("title") or value.get("indicator") or "")
    return persian_digits(str(value)) if lang == "fa" else str(value)


def stale_context(exc: VersionMismatch, labels: Mapping[str, str], lang: str) -> dict[str, object]:
    """What the form shows when its object changed since it was opened: each changed field
    the form has (``labels``) with its value then, now and in this edit (``stale``, shown by
    ``form_errors``), and the current version for the next save. Fields the form does not
    show (a retirement, a snapshot) are bookkeeping to the person editing: not listed."""
    rows = [{"label": t(labels[c["field"]], lang),
             "opened": _shown(c["opened"], lang), "now": _shown(c["now"], lang),
             "yours": _shown(exc.yours[c["field"]], lang) if c["field"] in exc.yours else "",
             "conflict": c["field"] in exc.conflicts} for c in exc.changed if c["field"] in labels]
    return {"stale": rows, "version": exc.version}
