"""The monitoring centre over HTTP: ``GET /api/monitor/{unit}/...`` answers what the page
``/monitor/{unit}`` shows, as JSON (and CSV where it is a table), for every signed-in
caller (anonymous ones only where the ``monitor_anonymous`` setting allows). ``IR`` is
the whole country. Money is recorded on a financing line with
``POST /api/financing/{id}/disbursements``."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import Field

from api.auth import Principal, require
from api.deps import DbSession
from api.pages.render import lang_of
from api.routers.roadmaps import PathId
from spatial.errors import InvalidInput
from spatial.jalali import persian_digits
from spatial.messages import label
from spatial.planning import monitor
from spatial.planning.roadmap_inputs import Day, InputModel
from spatial.tables import to_csv

router = APIRouter(tags=["monitoring centre"])

#: The code that names the whole country in monitoring paths.
COUNTRY = "IR"


def area_of(code: str) -> str | None:
    """The area a path names: ``None`` (the country) for :data:`COUNTRY`, else the unit code."""
    return None if code == COUNTRY else code


def _id(value: str | None, field: str) -> int | None:
    """An id filter from the query: empty means no filter (as a page's form sends it)."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 2**31 - 1:
        raise InvalidInput(f"{field} must be the id of one (a whole number), or left empty.", field=field)
    return int(value)


def late_filters(
    sector: str | None = Query(None, max_length=200), sponsor: str | None = Query(None, max_length=12),
    person: str | None = Query(None, max_length=12), organisation: str | None = Query(None, max_length=12),
    core: str | None = Query(None, max_length=12), level: str | None = Query(None, max_length=40),
    min_days_late: str | None = Query(None, max_length=7), sort: str = Query("days_late", max_length=40),
    order: Literal["asc", "desc"] = Query("desc"),
) -> monitor.LateFilters:
    """The late list's filters and order from the query (empty values: no filter)."""
    if min_days_late and not (min_days_late.isascii() and min_days_late.isdigit()):
        raise InvalidInput("min_days_late must be a whole number of days, 0 or more.", field="min_days_late")
    return monitor.LateFilters(sector=sector or None, sponsor=_id(sponsor, "sponsor"), person=_id(person, "person"),
                               organisation=_id(organisation, "organisation"), core=_id(core, "core"),
                               level=level or None, min_days_late=int(min_days_late or 0), sort=sort,
                               descending=order == "desc")


def _jsonable(action: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in action.items()}


@router.get("/api/monitor/{code}", summary="The monitoring dashboard of an area (IR: the whole country)")
def dashboard(code: str, session: DbSession, _: Principal = Depends(require("monitor"))) -> dict[str, Any]:
    return {k: v for k, v in monitor.dashboard(session, area_of(code)).items() if k != "actions"}


@router.get("/api/monitor/{code}/late", summary="The late actions of an area, filtered and sorted")
def late(code: str, request: Request, session: DbSession, filters: monitor.LateFilters = Depends(late_filters),
         format: Literal["json", "csv"] = Query("json"),  # noqa: A002
         _: Principal = Depends(require("monitor"))) -> Any:
    actions = monitor.late_actions(monitor.area_actions(session, area_of(code)), filters)
    if format == "csv":
        lang = lang_of(request)
        table = monitor.late_table(actions, code, lang)
        return Response(to_csv(table, lang), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="late-{code}.csv"'})
    return {"area": code, "count": len(actions), "actions": [_jsonable(a) for a in actions]}


def over_time_rows(series: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The series flat, one row per month and status, with the month as the page writes it."""
    return [{"month": m["month"], "label": persian_digits(m["month"]) if lang == "fa" else m["month"],
             "day": m["day"].isoformat(), "status": label("progress", s, lang), "code": s, "n": n}
            for m in series for s, n in m["counts"].items()]


@router.get("/api/monitor/{code}/over-time", summary="Actions by status at the end of each Jalali month")
def over_time(code: str, request: Request, session: DbSession, format: Literal["json", "csv"] = Query("json"),  # noqa: A002
              _: Principal = Depends(require("monitor"))) -> Any:
    lang = lang_of(request)
    series = monitor.over_time(session, area_of(code))
    rows = over_time_rows(series, lang)
    if format == "csv":
        lines = ["month,status,actions", *(f"{r['month']},{r['code']},{r['n']}" for r in rows)]
        return Response(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"), media_type="text/csv; charset=utf-8")
    return {"area": code, "months": [{**m, "day": m["day"].isoformat()} for m in series], "rows": rows}


@router.get("/api/monitor/{code}/money", summary="Money planned, committed and disbursed, by sponsor and source")
def money(code: str, session: DbSession, _: Principal = Depends(require("monitor"))) -> dict[str, Any]:
    area = area_of(code)
    return monitor.money(session, area, monitor.area_actions(session, area))


class MoneyIn(InputModel):
    kind: Literal["committed", "disbursed"]
    on: Day
    amount_rials: int = Field(ge=1, le=10**15)
    note: str = Field("", max_length=2000)


@router.get("/api/financing/{financing_id}/disbursements", summary="Money committed and disbursed on a line")
def list_disbursements(financing_id: PathId, session: DbSession,
                       _: Principal = Depends(require("read"))) -> list[dict[str, Any]]:
    return monitor.disbursements(session, financing_id)


@router.post("/api/financing/{financing_id}/disbursements", status_code=status.HTTP_201_CREATED,
             summary="Record money committed or disbursed on a financing line")
def add_disbursement(financing_id: PathId, body: MoneyIn, session: DbSession,
                     principal: Principal = Depends(require("roadmaps:write"))) -> dict[str, Any]:
    return monitor.record_disbursement(session, financing_id, body.kind, body.on, body.amount_rials, principal,
                                       note=body.note)
