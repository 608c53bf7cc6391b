"""A roadmap's history as people read it (who changed which field, from what to what, when,
and the handovers of responsibility), and the roadmap as it was on a chosen Jalali day.

The records come from :mod:`spatial.planning.history` (``events``, ``as_of``) and
:func:`spatial.planning.people.list_handovers`; this module only puts them into words.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.pages.forms import FormErrors
from api.pages.render import lang_of, page_router, render
from spatial.db.engine import session_scope
from spatial.errors import NotFound, PishraftError
from spatial.jalali import IRAN, format_date, format_number, parse_jalali, persian_digits
from spatial.messages import has, label, t
from spatial.planning import history
from spatial.planning.people import list_handovers, organisation_names, person_names
from spatial.planning.roadmaps import get_roadmap

router = page_router()

#: Bookkeeping fields of every document, not worth a line in the history.
_QUIET = frozenset({"id", "created_at", "created_by", "updated_at", "updated_by", "version", "synthetic", "unit",
                    "roadmap_id", "action_id", "archived_at", "archived_by", "archive_reason"})
_DATES = frozenset({"start_date", "end_date", "measured_on", "target_date", "handed_over_on"})
_STATUS_VOCABULARY = {"roadmap": "roadmap_status", "action": "action_status"}


def moment(value: datetime | str, lang: str) -> str:
    """A recorded time for display: its Jalali day and hour:minute, Iran time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(IRAN)
    clock = local.strftime("%H:%M")
    return f"{format_date(local.date(), lang)} {persian_digits(clock) if lang == 'fa' else clock}"


class Words:
    """Puts recorded values into the page's words: people and organisations by name,
    codes by their catalogue label, dates in Jalali, numbers with the page's digits."""

    def __init__(self, session: Session, lang: str) -> None:
        self.lang = lang
        self.people = person_names(session)
        self.organisations = organisation_names(session)

    def field(self, name: str) -> str:
        key = f"history.field.{name}"
        return t(key if has(key) else "history.field.other", self.lang)

    def value(self, entity: str, name: str, value: Any) -> str:
        lang = self.lang
        if value is None or value == "" or value == []:
            return t("common.none", lang)
        if name == "status":
            return label(_STATUS_VOCABULARY.get(entity, "action_status"), value, lang)
        if name == "sector":
            return label("sector", value, lang)
        if name in _DATES and isinstance(value, str):
            return format_date(date.fromisoformat(value[:10]), lang)
        if name.endswith("person_id"):
            return self.people.get(value, f"#{value}")
        if name in ("sponsor_id", "responsible_organisation_id", "organisation_id"):
            return self.organisations.get(value, f"#{value}")
        if name in ("parent_roadmap_id", "core_id", "key_result_id"):
            return persian_digits(f"#{value}") if lang == "fa" else f"#{value}"
        if name == "strategies":
            return "، ".join(value) if lang == "fa" else "; ".join(value)
        if name in ("capacities", "advantages"):
            return "، ".join(c.get("text") or "" for c in value)
        if name == "financing":
            return "، ".join(f"{label('financing', f['source'], lang)}: {format_number(f['amount_rials'], lang)} "
                             f"{t('common.rials', lang)}" for f in value)
        if name == "key_results":
            return "، ".join(f"{k['indicator']} → {format_number(k.get('target'), lang)}" for k in value)
        if name == "geometry":
            return t("history.geometry", lang)
        if name == "current_state":
            return t("history.snapshot", lang)
        if isinstance(value, bool):
            return t("history.yes" if value else "history.no", lang)
        if isinstance(value, int | float):
            return format_number(value, lang)
        return str(value)

    def entry(self, event: dict[str, Any]) -> dict[str, Any]:
        """One recorded change as the page lists it."""
        entity, op = event["entity"], event["operation"]
        doc = event["after"] or event["before"] or {}
        changes = []
        if op not in ("create", "delete"):  # a correction of a part shows what left or came back
            changes = [(self.field(name), self.value(entity, name, old), self.value(entity, name, new))
                       for name, (old, new) in event["changes"].items() if name not in _QUIET]
        return {
            "kind": "change", "at": event["at"], "author": event["author"],
            "what": t(f"history.entity.{entity}", self.lang), "entity": entity,
            "name": doc.get("title") or (self.value(entity, "value", doc.get("value")) if entity == "measurement"
                                         else self.money(doc) if entity == "disbursement" else ""),
            "operation": t(f"history.op.{op}", self.lang), "op": op, "changes": changes,
            "reason": event.get("reason"),
            # What it was made from (spatial.planning.sources), said when it was made.
            "sources": _sources(entity, doc) if op == "create" else [],
        }

    def money(self, doc: dict[str, Any]) -> str:
        """Money recorded on a financing line, in words: which kind, how many rials, which day."""
        lang = self.lang
        return t("history.disbursement", lang, kind=t(f"monitor.money.{doc['kind']}", lang),
                 amount=format_number(doc["amount_rials"], lang), on=format_date(date.fromisoformat(doc["on"]), lang),
                 line=persian_digits(f"#{doc['financing_id']}") if lang == "fa" else f"#{doc['financing_id']}")

    def handover(self, row: dict[str, Any]) -> dict[str, Any]:
        """A handover of responsibility as the page lists it."""
        return {
            "kind": "handover", "at": row["created_at"], "author": row["created_by"],
            "from": self.people.get(row["from_person_id"], f"#{row['from_person_id']}"),
            "to": self.people.get(row["to_person_id"], f"#{row['to_person_id']}"),
            "on": row["handed_over_on"], "note": row["note"],
        }


def _sources(entity: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """What a roadmap or an action was made from (a measurement's ``source`` is words, not a reference)."""
    if entity == "roadmap":
        return list(doc.get("sources") or [])
    if entity == "action" and doc.get("source"):
        return [doc["source"]]
    return []


def _title(session: Session, roadmap_id: int, events: list[dict[str, Any]]) -> tuple[str, bool]:
    """The roadmap's title now (or, deleted, its last recorded one) and whether it still exists."""
    try:
        return str(get_roadmap(session, roadmap_id)["title"]), True
    except NotFound:
        last = next(e for e in reversed(events) if e["entity"] == "roadmap")
        return str((last["after"] or last["before"])["title"]), False


@router.get("/roadmaps/{roadmap_id}/history")
def history_page(request: Request, roadmap_id: int, _: Principal = Depends(require("read"))) -> Response:
    lang = lang_of(request)
    with session_scope() as session:
        events = history.events(session, roadmap_id)
        title, exists = _title(session, roadmap_id, events)
        words = Words(session, lang)
        entries = [words.entry(e) for e in events]
        entries += [words.handover(h) for h in list_handovers(session, roadmap=roadmap_id)]
    entries.sort(key=lambda e: str(e["at"]), reverse=True)  # newest first; ISO times sort as text
    for e in entries:
        e["when"] = moment(e["at"], lang)
        # "As it was before this change": a microsecond earlier.
        e["before_at"] = (datetime.fromisoformat(str(e["at"])) - timedelta(microseconds=1)).isoformat()
    return render(request, "history.html", {"roadmap_id": roadmap_id, "title": title, "exists": exists,
                                            "entries": entries, "errors": FormErrors(lang)})


@router.get("/roadmaps/{roadmap_id}/as-of")
def as_of_page(request: Request, roadmap_id: int, on: str = Query("", max_length=40),
               at: str = Query("", max_length=40), _: Principal = Depends(require("read"))) -> Response:
    """The roadmap as it was at the end of Jalali day ``on`` (Iran time), or at moment ``at``
    (an ISO time, from the history's "as it was before this change" links)."""
    lang = lang_of(request)
    errors = FormErrors(lang)
    moment_wanted: datetime | None = None
    day: date | None = None
    if on:
        try:
            day = parse_jalali(on, field="on")
            moment_wanted = datetime.combine(day, time.max, tzinfo=IRAN)
        except PishraftError:
            errors.add("on", "history.as_of_day", "form.bad_date")
    elif at:
        try:
            moment_wanted = history.parse_as_of(at)
        except PishraftError:
            errors.add("on", "history.as_of_day", "form.bad_date")
    else:
        errors.add("on", "history.as_of_day", "form.required")
    values: dict[str, Any] = {"roadmap_id": roadmap_id, "on": on, "errors": errors, "roadmap": None}
    with session_scope() as session:
        events = history.events(session, roadmap_id)  # NotFound: the roadmap never existed
        values["title"] = _title(session, roadmap_id, events)[0]
        if moment_wanted is not None:
            values["when"] = moment(moment_wanted, lang) if day is None else format_date(day, lang)
            try:
                values["roadmap"] = history.as_of(session, roadmap_id, moment_wanted)
            except NotFound:
                values["absent"] = True
            words = Words(session, lang)
            values["people"], values["organisations"] = words.people, words.organisations
    status = 422 if errors else 404 if values.get("absent") else 200
    return render(request, "as_of.html", values, status_code=status)
