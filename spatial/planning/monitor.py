"""The monitoring centre (مرکز رصد و پایش): the progress of a whole area on one page.

An *area* is a unit code, or ``None`` for the whole country; its *children* are the
units directly below it (the provinces of the country, the counties of a province…).
Every action under the area is judged by the progress watch's one rule
(:mod:`spatial.planning.progress`: key results against their straight line, rolled up
to the action); cancelled and archived actions are left out, as progress leaves them
out. From those statuses come:

- counts by status for the area, and by child, sector, sponsor and responsible
  organisation (the responsible person's organisation, else the roadmap's);
- the *late* actions (``overdue`` or ``behind``, as on the unit page), each with how
  many days late it is: days since the earliest target date it missed (0 for an
  action that is behind but has missed no date yet);
- progress over time: on the last day of each Jalali month, how many of the actions
  that existed then (made on or before that day) were in each status, judged with the
  measurements taken by then — recomputed from the stored records, never kept in a
  table that could drift;
- money: per financing line the planned amount and the sums committed and disbursed
  (the ``disbursement`` table), by sponsor and by source (fund), and the share of the
  money disbursed in the area's children that reached its most deprived fifth (by the
  newest deprivation index scored at the children's level).

All SQL is in ``sql/monitor.sql``. Nothing here knows HTTP.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from spatial.analytics import fairness
from spatial.analytics.indicators import units_in_scope
from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput, NotFound
from spatial.jalali import month_ends, to_jalali
from spatial.messages import label, t
from spatial.models.roadmaps import MONEY_KINDS, Disbursement, Financing
from spatial.planning import history
from spatial.planning.history import Editor, now, row_document
from spatial.periods import JALALI_OFFSET
from spatial.planning.progress import STATUSES, action_progress, action_statuses_on
from spatial.planning.references import guard, unit_filter
from spatial.tables import Table

#: Statuses that make an action late (the unit page's rule), worst first.
LATE: tuple[str, ...] = ("overdue", "behind")
#: What the late list may be sorted by.
SORTS: tuple[str, ...] = ("days_late", "end_date", "title", "unit", "sector", "sponsor", "person", "organisation")
#: How many Jalali months "progress over time" goes back.
MONTHS = 24
#: Levels a late list may be narrowed to.
LEVELS: tuple[str, ...] = ("province", "county", "district", "rural_district", "neighbourhood", "village")


def _queries() -> dict[str, TextClause]:
    """The named queries of ``sql/monitor.sql`` (each after a ``-- name:`` line)."""
    source = (Path(__file__).parent / "sql" / "monitor.sql").read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (\w+)\n", source, flags=re.MULTILINE)
    return {name: text(body.strip().rstrip(";")) for name, body in zip(parts[1::2], parts[2::2], strict=True)}


SQL = _queries()


def _without_jit(session: Session) -> None:
    """Turn PostgreSQL's JIT off for the rest of this transaction: the planner's estimate of
    an area's subtree (a recursive query) runs a hundred times high, which makes it compile
    the area's queries, seconds spent to save nothing on ten thousand rows."""
    session.execute(text("SET LOCAL jit = off"))


def check_area(session: Session, area: str | None) -> str | None:
    """``area`` if it is a current unit's code (or ``None``, the country); :class:`NotFound` otherwise."""
    return unit_filter(session, area)


#: The numbers of the areas looked at lately, under the plans generation (a counter that
#: triggers bump at the commit of any change of plans, progress, money, people or indices;
#: migration ``0018_monitor_money``) and the data generation, and the day they were judged on.
#: Shared between requests: callers must not change what they get.
_computed: GenerationCache[Any] = GenerationCache(size=32)


def _cached(session: Session, what: str, area: str | None, day: date, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept under the committed plans generation; computed afresh (and not kept)
    in a transaction that has itself changed plans, whose numbers others must not see."""
    plans, changed = session.execute(text(
        """SELECT (SELECT value::bigint FROM pishraft_meta WHERE key = 'plans_generation'),
                  current_setting('pishraft.plans_changed', true) = 'yes'""")).one()
    if changed:
        return compute()
    return _computed.get(session, (what, plans, area, day), compute)


def area_actions(session: Session, area: str | None, on: date | None = None) -> list[dict[str, Any]]:
    """Every live action under ``area`` with its ``status`` on day ``on`` (default today) and
    ``days_late``, its ``child`` of the area, unit (code and names), level, sector, sponsor, responsible person,
    organisation and core (ids and names), dates and roadmap. (Shared: do not change them.)"""
    check_area(session, area)
    day = on or date.today()
    return list(_cached(session, "actions", area, day, lambda: _area_actions(session, area, day)))


def _area_actions(session: Session, area: str | None, day: date) -> list[dict[str, Any]]:
    _without_jit(session)
    rows = [dict(r) for r in session.execute(SQL["area_actions"], {"area": area}).mappings()]
    progress = action_progress(session, [r["id"] for r in rows], day)
    for r in rows:
        entry = progress[r["id"]]
        r["status"] = entry["status"]
        missed = [kr["target_date"] for kr in entry["key_results"] if kr["status"] == "overdue"]
        r["days_late"] = (day - min(missed)).days if missed and r["status"] in LATE else 0
    return rows


def children(session: Session, area: str | None) -> list[dict[str, Any]]:
    """The children of ``area``: ``code, name_fa, name_en``."""
    return [dict(r) for r in session.execute(SQL["children"], {"area": area}).mappings()]


def count_by(actions: Iterable[dict[str, Any]], key: str, name: str | None = None) -> list[dict[str, Any]]:
    """Counts by status per value of ``key`` (``name``: the column naming it), most actions first:
    ``[{key, name, total, counts: {status: n}}]``."""
    groups: dict[Any, Counter[str]] = defaultdict(Counter)
    names: dict[Any, Any] = {}
    for a in actions:
        groups[a[key]][a["status"]] += 1
        names[a[key]] = a[name] if name else a[key]
    out = [{"key": k, "name": names[k], "total": sum(c.values()), "counts": {s: c[s] for s in STATUSES}}
           for k, c in groups.items()]
    return sorted(out, key=lambda g: (-g["total"], str(g["name"] or "")))


def status_counts(actions: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many actions are in each status."""
    found = Counter(a["status"] for a in actions)
    return {s: found[s] for s in STATUSES}


def by_child(session: Session, area: str | None, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every child of the area (those without actions too) with its counts by status and
    ``share_late``/``share_on_track`` (of its actions; ``None`` without actions)."""
    grouped = {g["key"]: g for g in count_by(actions, "child")}
    out = []
    for child in children(session, area):
        counts = grouped.get(child["code"], {"counts": {s: 0 for s in STATUSES}})["counts"]
        total = sum(counts.values())
        out.append({**child, "counts": counts, "total": total,
                    "share_late": (counts["overdue"] + counts["behind"]) / total if total else None,
                    "share_on_track": (counts["on_track"] + counts["achieved"]) / total if total else None})
    return out


@dataclass(frozen=True)
class LateFilters:
    """What narrows the late list: ids of sponsor, person, organisation and core, a sector, a
    level, and a least number of days late; then its order."""

    sector: str | None = None
    sponsor: int | None = None
    person: int | None = None
    organisation: int | None = None
    core: int | None = None
    level: str | None = None
    min_days_late: int = 0
    sort: str = "days_late"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise InvalidInput(f"sort '{self.sort}' is unknown; sort by one of: {', '.join(SORTS)}.", field="sort")
        if self.level is not None and self.level not in LEVELS:
            raise InvalidInput(f"level '{self.level}' is unknown; use one of: {', '.join(LEVELS)}.", field="level")
        if self.min_days_late < 0:
            raise InvalidInput("min_days_late must be 0 or more days.", field="min_days_late")


_SORT_KEYS = {"days_late": "days_late", "end_date": "end_date", "title": "title", "unit": "unit_code",
              "sector": "sector", "sponsor": "sponsor", "person": "person", "organisation": "organisation"}


def late_actions(actions: Iterable[dict[str, Any]], filters: LateFilters = LateFilters()) -> list[dict[str, Any]]:
    """The late actions among ``actions`` that pass ``filters``, in their order (ties by id)."""
    f = filters
    late = [a for a in actions if a["status"] in LATE
            and (f.sector is None or a["sector"] == f.sector)
            and (f.sponsor is None or a["sponsor_id"] == f.sponsor)
            and (f.person is None or a["person_id"] == f.person)
            and (f.organisation is None or a["organisation_id"] == f.organisation)
            and (f.core is None or a["core_id"] == f.core)
            and (f.level is None or a["level"] == f.level)
            and a["days_late"] >= f.min_days_late]
    key = _SORT_KEYS[f.sort]
    late.sort(key=lambda a: a["id"])
    # Empty values last whichever the direction: sort on (missing, value).
    present = [a for a in late if a[key] not in (None, "")]
    missing = [a for a in late if a[key] in (None, "")]
    present.sort(key=lambda a: a[key], reverse=f.descending)
    return present + missing


def late_table(late: list[dict[str, Any]], area_name: str, lang: str) -> Table:
    """The late list as a table to take away (Persian headers, Jalali days in Persian)."""
    headers = [t(f"monitor.col.{c}", lang) for c in (
        "id", "title", "status", "days_late", "end_date", "unit", "level", "sector", "sponsor", "person",
        "organisation", "core", "roadmap")]
    rows: list[list[Any]] = [[
        a["id"], a["title"], label("progress", a["status"], lang), a["days_late"], a["end_date"],
        a["unit_name_fa"] if lang == "fa" else a["unit_name_en"], label("level", a["level"], lang), label("sector", a["sector"], lang) if a["sector"] else "",
        a["sponsor"] or "", a["person"] or "", a["organisation"] or "", a["core"] or "", a["roadmap_title"],
    ] for a in late]
    return Table(t("monitor.late_title", lang, name=area_name), headers, rows)


def over_time(session: Session, area: str | None, on: date | None = None) -> list[dict[str, Any]]:
    """Per Jalali month of the last :data:`MONTHS` (oldest first): ``month`` (``1405/01``), its
    last ``day`` (``on``, default today, for the current month) and the ``counts`` by status of
    the area's actions that existed on that day."""
    day = on or date.today()
    actions = area_actions(session, area, day)
    return list(_cached(session, "over_time", area, day, lambda: _over_time(session, actions, day)))


def _over_time(session: Session, actions: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    _without_jit(session)
    ends = month_ends(on, MONTHS)
    days = [d for _, d in ends]
    judged = action_statuses_on(session, [a["id"] for a in actions], days)
    made = {a["id"]: a["created_at"].date() for a in actions}
    out = []
    for month, day in ends:
        counts = Counter(s for a, s in judged[day].items() if made[a] <= day)
        out.append({"month": month, "day": day, "counts": {s: counts[s] for s in STATUSES}})
    return out


def money(session: Session, area: str | None, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """Planned, committed and disbursed rials of the area's actions: ``totals``, ``by_sponsor``,
    ``by_source`` and ``deprived_fifth`` (the share of the money disbursed in the area's
    children that reached the most deprived fifth of them; ``None`` without an index or money)."""
    by_id = {a["id"]: a for a in actions}
    lines = [dict(r) for r in session.execute(SQL["money"], {"ids": list(by_id)}).mappings()]
    amounts = ("planned", "committed", "disbursed")

    def total(group: Iterable[dict[str, Any]]) -> dict[str, int]:
        group = list(group)
        return {k: int(sum(line[k] for line in group)) for k in amounts}

    def grouped(key: Any) -> list[dict[str, Any]]:
        groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for line in lines:
            groups[key(line)].append(line)
        return sorted(({"key": k[0], "name": k[1], **total(g)} for k, g in groups.items()),
                      key=lambda g: (-g["committed"], -g["planned"], str(g["name"] or "")))

    sponsor = grouped(lambda line: (by_id[line["action_id"]]["sponsor_id"], by_id[line["action_id"]]["sponsor"]))
    source = grouped(lambda line: (line["source"], line["source"]))
    per_child: Counter[str] = Counter()
    for line in lines:
        child = by_id[line["action_id"]]["child"]
        if child is not None:
            per_child[child] += line["disbursed"]
    return {"totals": total(lines), "by_sponsor": sponsor, "by_source": source,
            "deprived_fifth": deprived_fifth(session, area, per_child)}


def deprived_fifth(session: Session, area: str | None, disbursed: Counter[str]) -> dict[str, Any] | None:
    """The most deprived fifth of the area's children (at least one; by the newest deprivation
    index at their level, its newest period) and the share of ``disbursed`` (rials per child)
    that reached them."""
    kids = [c["code"] for c in children(session, area)]
    if not kids:
        return None
    level = session.execute(text("SELECT level FROM admin_unit WHERE code = :c AND valid_to IS NULL"),
                            {"c": kids[0]}).scalar_one()
    scores = session.execute(SQL["deprivation"], {"level": level, "codes": kids}).mappings().all()
    if not scores:
        return None
    fifth = [s["code"] for s in scores[: max(1, math.ceil(len(scores) / 5))]]
    whole = sum(disbursed[c] for c in (s["code"] for s in scores))
    reached = sum(disbursed[c] for c in fifth)
    return {"index": scores[0]["index_code"], "index_name_fa": scores[0]["name_fa"],
            "index_name_en": scores[0]["name_en"], "period": scores[0]["period"], "units": fifth,
            "disbursed": int(reached), "disbursed_total": int(whole), "share": reached / whole if whole else None}


def dashboard(session: Session, area: str | None, on: date | None = None) -> dict[str, Any]:
    """Everything the monitoring page shows except the time series and the late list's
    rows: ``counts``, ``by_child``, ``by_sector``, ``by_sponsor``, ``by_organisation``,
    ``late_count`` and ``money`` (``actions``: every action, for the late list). Shared: copy
    before changing it."""
    day = on or date.today()
    actions = area_actions(session, area, day)
    return dict(_cached(session, "dashboard", area, day, lambda: _dashboard(session, area, day, actions)))


def _dashboard(session: Session, area: str | None, on: date, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "area": area, "on": on.isoformat(), "counts": status_counts(actions),
        "by_child": by_child(session, area, actions), "by_sector": count_by(actions, "sector"),
        "by_sponsor": count_by(actions, "sponsor_id", "sponsor"),
        "by_organisation": count_by(actions, "organisation_id", "organisation"),
        "late_count": sum(1 for a in actions if a["status"] in LATE), "money": money(session, area, actions),
        "actions": actions,
    }


# --- money disbursed per head, fairly shared? ---------------------------------------------------

#: The fair-distribution page's choice beside the indicators: rials disbursed per head.
MONEY_PER_HEAD = "money_per_head"


def money_per_head(session: Session, unit_code: str, level: str | None = None) -> dict[str, Any]:
    """Fair distribution over time of the money disbursed per head below ``unit_code``
    (:data:`~spatial.analytics.fairness.NATION` for the country), in the shape of
    :func:`~spatial.analytics.fairness.fairness_over_time`.

    Per period (the Jalali year of the day money was disbursed, stored as
    :mod:`spatial.periods` stores years), each unit at ``level`` holds the rials disbursed on
    the live actions of the roadmaps in it or below it, divided by its population; units with
    no people are left out. The fifths are the most and least deprived units by the newest
    deprivation index at that level (none without one)."""
    level, levels = fairness.scope_level(session, unit_code, level)
    scope = units_in_scope(session, level, None if unit_code == fairness.NATION else unit_code)
    rows = session.execute(SQL["disbursed_by_unit"], {"level": level}).all()
    money = pd.DataFrame(rows, columns=["code", "on", "rials"])
    money = money[money["code"].isin(scope.index)]
    if money.empty:
        raise InvalidInput(f"No money has been disbursed below '{unit_code}' at level '{level}' yet, so "
                           f"{MONEY_PER_HEAD} has no period; money is recorded on an action's financing line "
                           "(/financing/{id}/money).", field="indicator")
    years = {day: str(to_jalali(day)[0] + JALALI_OFFSET) for day in money["on"].unique()}
    money["period"] = money["on"].map(years)
    heads = scope["population"].astype(float)
    by_period = {period: group.groupby("code")["rials"].sum().astype(float) / heads.reindex(group["code"].unique())
                 for period, group in money.groupby("period")}
    scores = session.execute(SQL["deprivation"], {"level": level, "codes": list(scope.index)}).mappings().all()
    deprivation = pd.Series({s["code"]: float(s["score"]) for s in scores}) if scores else None
    return fairness.fairness_of_values(session, MONEY_PER_HEAD, unit_code, level, levels, by_period, deprivation)


def fairness_of(session: Session, indicator: str, unit_code: str, level: str | None = None,
                population_weighted: bool = True) -> dict[str, Any]:
    """The fair-distribution numbers of ``indicator`` below ``unit_code``: an indicator's
    (:func:`~spatial.analytics.fairness.fairness_over_time`), or the money disbursed per head
    for :data:`MONEY_PER_HEAD` (always weighted by population: rials per person)."""
    if indicator == MONEY_PER_HEAD:
        return money_per_head(session, unit_code, level)
    return fairness.fairness_over_time(session, indicator, unit_code, level, population_weighted)


# --- money movements ------------------------------------------------------------------------

def financing_line(session: Session, financing_id: int) -> dict[str, Any]:
    """A live financing line with its action's and roadmap's ids and titles and the roadmap's
    ``unit_id`` (whose area decides who may record money on it)."""
    line = session.execute(SQL["financing_line"], {"financing_id": financing_id}).mappings().first()
    if line is None:
        raise NotFound(f"No live financing line has id {financing_id}; see the action's financing.",
                       field="financing_id")
    return dict(line)


def disbursements(session: Session, financing_id: int) -> list[dict[str, Any]]:
    """The committed and disbursed amounts of a financing line, oldest first."""
    if session.get(Financing, financing_id) is None:
        raise NotFound(f"No financing line has id {financing_id}.", field="financing_id")
    return [dict(r) for r in session.execute(SQL["disbursements"], {"financing_id": financing_id}).mappings()]


def record_disbursement(session: Session, financing_id: int, kind: str, on: date, amount_rials: int,
                        editor: Editor, note: str = "", synthetic: bool = False) -> dict[str, Any]:
    """Record money committed or disbursed on a financing line (by an editor who may write in
    its roadmap's area); returns the new row."""
    line = financing_line(session, financing_id)
    if kind not in MONEY_KINDS:
        raise InvalidInput(f"kind '{kind}' is unknown; use one of: {', '.join(MONEY_KINDS)}.", field="kind")
    if amount_rials <= 0:
        raise InvalidInput("amount_rials must be a positive number of rials.", field="amount_rials")
    if on > date.today():
        raise InvalidInput(f"on {on} is in the future; record money once committed or paid.", field="on")
    guard(session, editor, line["unit_id"])
    row = Disbursement(financing_id=financing_id, kind=kind, on=on, amount_rials=amount_rials, note=note,
                       synthetic=synthetic, created_at=now(session), created_by=editor.username)
    session.add(row)
    session.flush()
    # Filed under the roadmap's history like its other parts: who recorded which money, when.
    history.record(session, "disbursement", row.id, "create", before=None, after=row_document(row),
                   author=editor.username, at=row.created_at, roadmap_id=line["roadmap_id"])
    return {"id": row.id, "financing_id": financing_id, "kind": kind, "on": on, "amount_rials": amount_rials,
            "note": note, "created_at": row.created_at, "created_by": row.created_by}
