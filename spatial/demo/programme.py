"""A synthetic national programme for the monitoring centre's tests and benchmark: thousands
of actions over the demo's units, with sponsors, responsible people, key results measured
every quarter over two years, financing lines with money committed and disbursed, and a
creation event of every roadmap and action in the history.

Everything is written in bulk (one ``INSERT … SELECT FROM unnest`` per table), marked
``synthetic`` and made by ``author`` (default ``programme``), so that
:func:`remove_programme` can take it all away again. Generation is deterministic for a
given ``seed`` and day.

Examples
--------
>>> load_programme(session, actions=10_000)            # doctest: +SKIP
{'roadmaps': 541, 'actions': 10000, ...}
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, UTC
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo.common import SYNTHETIC_NOTE_FA
from spatial.models.roadmaps import FINANCING_SOURCES

AUTHOR = "programme"
SECTORS = ("agriculture", "tourism", "handicrafts", "industry", "mining", "services", "training", "finance")
SPONSORS = 22
PEOPLE = 80
#: How far back the programme's actions start (two years and a little).
SPAN_DAYS = 760


def _ids(session: Session, table: str, n: int) -> list[int]:
    """``n`` fresh ids from ``table``'s id sequence."""
    return list(session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
        {"t": table, "n": n}).scalars())


def _insert(session: Session, table: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
    """Insert the columns ``{name: (SQL array type, values)}`` as rows (table names are this module's literals)."""
    names = list(columns)
    arrays = ", ".join(f"CAST(:{n} AS {columns[n][0]}[])" for n in names)
    quoted = ", ".join(f'"{n}"' for n in names)
    session.execute(text(f"INSERT INTO {table} ({quoted}) SELECT * FROM unnest({arrays})"),  # noqa: S608
                    {n: columns[n][1] for n in names})


def _tracked(n: int, at: list[datetime], author: str) -> dict[str, tuple[str, list[Any]]]:
    return {"created_at": ("timestamptz", at), "created_by": ("text", [author] * n),
            "updated_at": ("timestamptz", at), "updated_by": ("text", [author] * n),
            "synthetic": ("boolean", [True] * n)}


def load_programme(session: Session, actions: int = 10_000, seed: int = 1405, today: date | None = None,
                   author: str = AUTHOR) -> dict[str, int]:
    """Write a programme of ``actions`` actions (in the caller's transaction); returns how many
    rows of each kind were written."""
    rng = np.random.default_rng(seed)
    day = today or date.today()
    moment = datetime.combine(day, time(9), tzinfo=UTC)
    units = session.execute(text(
        """SELECT id, level FROM admin_unit WHERE valid_to IS NULL AND level IN ('province', 'county')
           UNION ALL (SELECT id, level FROM admin_unit WHERE valid_to IS NULL AND level = 'neighbourhood'
                      ORDER BY code LIMIT 200) ORDER BY id""")).all()
    if not units:
        return {"roadmaps": 0, "actions": 0}

    org_ids = _ids(session, "organisation", SPONSORS + 4)
    _insert(session, "organisation", {
        "id": ("integer", org_ids),
        "name": ("text", [f"معین اقتصادی نمونه {i + 1}" for i in range(SPONSORS)]
                 + [f"دستگاه دولتی نمونه {i + 1}" for i in range(4)]),
        "kind": ("text", ["economic_sponsor"] * SPONSORS + ["government"] * 4),
        **_tracked(len(org_ids), [moment] * len(org_ids), author)})
    sponsors, bodies = org_ids[:SPONSORS], org_ids[SPONSORS:]
    person_ids = _ids(session, "person", PEOPLE)
    _insert(session, "person", {
        "id": ("integer", person_ids), "name": ("text", [f"مسئول نمونه {i + 1}" for i in range(PEOPLE)]),
        "role": ("text", ["مسئول توسعه"] * PEOPLE),
        "organisation_id": ("integer", [bodies[i % len(bodies)] for i in range(PEOPLE)]),
        **_tracked(PEOPLE, [moment] * PEOPLE, author)})

    start = day - timedelta(days=SPAN_DAYS)
    rm_ids = _ids(session, "roadmap", len(units))
    rm_made = [datetime.combine(start, time(9), tzinfo=UTC)] * len(units)
    _insert(session, "roadmap", {
        "id": ("integer", rm_ids), "unit_id": ("integer", [u.id for u in units]),
        "title": ("text", [f"نقشه راه نمونه برنامه {i + 1}" for i in range(len(units))]),
        "start_date": ("date", [start] * len(units)), "end_date": ("date", [start + timedelta(days=5 * 365)] * len(units)),
        "status": ("text", ["approved"] * len(units)),
        "responsible_person_id": ("integer", [person_ids[i % PEOPLE] for i in range(len(units))]),
        "responsible_organisation_id": ("integer", [bodies[i % len(bodies)] for i in range(len(units))]),
        **_tracked(len(units), rm_made, author)})

    n = actions
    ids = _ids(session, "action", n)
    begins = [start + timedelta(days=int(d)) for d in rng.integers(0, SPAN_DAYS - 30, n)]
    ends = [b + timedelta(days=int(d)) for b, d in zip(begins, rng.integers(180, 720, n), strict=True)]
    made = [datetime.combine(b, time(9), tzinfo=UTC) for b in begins]
    sponsor_of = [None if r < 0.1 else sponsors[int(s)] for r, s in zip(rng.random(n), rng.integers(0, SPONSORS, n),
                                                                         strict=True)]
    _insert(session, "action", {
        "id": ("integer", ids), "roadmap_id": ("integer", [rm_ids[int(i)] for i in rng.integers(0, len(rm_ids), n)]),
        "title": ("text", [f"اقدام نمونه برنامه {i + 1}" for i in range(n)]),
        "sector": ("text", [SECTORS[int(i)] for i in rng.integers(0, len(SECTORS), n)]),
        "responsible_person_id": ("integer", [person_ids[int(i)] for i in rng.integers(0, PEOPLE, n)]),
        "sponsor_id": ("integer", sponsor_of), "start_date": ("date", begins), "end_date": ("date", ends),
        "status": ("text", ["in_progress"] * n), **_tracked(n, made, author)})

    kr_ids = _ids(session, "key_result", n)
    _insert(session, "key_result", {
        "id": ("integer", kr_ids), "action_id": ("integer", ids), "indicator": ("text", ["شغل ایجادشده"] * n),
        "baseline": ("float8", [0.0] * n), "target": ("float8", [100.0] * n), "target_date": ("date", ends)})

    # Each action keeps a pace (a share of its straight line) with some noise: quarterly
    # measurements from its start until today; some never measured.
    pace = rng.uniform(0.55, 1.35, n)
    m_kr, m_on, m_value, m_made = [], [], [], []
    for i in range(n):
        if pace[i] < 0.6:
            continue  # no data yet
        span = (ends[i] - begins[i]).days
        on = begins[i] + timedelta(days=90)
        while on <= day and on <= ends[i] + timedelta(days=120):
            share = min((on - begins[i]).days / span, 1.0)
            m_kr.append(kr_ids[i])
            m_on.append(on)
            m_value.append(round(float(min(100.0, 100 * share * pace[i] + rng.normal(0, 2))), 1))
            m_made.append(datetime.combine(on, time(12), tzinfo=UTC))
            on += timedelta(days=91)
    _insert(session, "measurement", {
        "key_result_id": ("integer", m_kr), "measured_on": ("date", m_on), "value": ("float8", m_value),
        "source": ("text", ["پیمایش نمونه"] * len(m_kr)), "reported_by": ("text", [author] * len(m_kr)),
        **_tracked(len(m_kr), m_made, author)})

    lines = rng.integers(1, 3, n)
    f_ids = _ids(session, "financing", int(lines.sum()))
    f_action = [ids[i] for i in range(n) for _ in range(int(lines[i]))]
    f_amount = [int(a) * 1_000_000 for a in rng.integers(1_000, 50_000, len(f_ids))]
    _insert(session, "financing", {
        "id": ("integer", f_ids), "action_id": ("integer", f_action),
        "source": ("text", [FINANCING_SOURCES[int(i)] for i in rng.integers(0, len(FINANCING_SOURCES), len(f_ids))]),
        "amount_rials": ("bigint", f_amount), "note": ("text", [SYNTHETIC_NOTE_FA] * len(f_ids))})
    begin_of = dict(zip(ids, begins, strict=True))
    d_line: list[int] = []
    d_kind: list[str] = []
    d_on: list[date] = []
    d_amount: list[int] = []

    def move(line: int, kind: str, on: date, amount: int) -> None:
        d_line.append(line)
        d_kind.append(kind)
        d_on.append(on)
        d_amount.append(amount)

    for line, action, amount in zip(f_ids, f_action, f_amount, strict=True):
        first = begin_of[action] + timedelta(days=10)
        if first > day or rng.random() < 0.1:
            continue
        committed = int(amount * rng.uniform(0.5, 1.0))
        move(line, "committed", first, committed)
        for k in range(int(rng.integers(0, 4))):
            paid_on = first + timedelta(days=60 * (k + 1))
            if paid_on > day:
                break
            move(line, "disbursed", paid_on, max(1, committed // 4))
    _insert(session, "disbursement", {
        "financing_id": ("integer", d_line), "kind": ("text", d_kind), "on": ("date", d_on),
        "amount_rials": ("bigint", d_amount), "synthetic": ("boolean", [True] * len(d_line)),
        "created_at": ("timestamptz", [datetime.combine(d, time(10), tzinfo=UTC) for d in d_on]),
        "created_by": ("text", [author] * len(d_line))})

    # The history: the creation of every roadmap and action, on the day it was made.
    session.execute(text(
        """INSERT INTO history (entity, entity_id, roadmap_id, operation, author, at, after)
           SELECT 'roadmap', r.id, r.id, 'create', r.created_by, r.created_at,
                  jsonb_build_object('id', r.id, 'title', r.title, 'status', r.status)
           FROM roadmap r WHERE r.id = ANY(:rms)
           UNION ALL
           SELECT 'action', a.id, a.roadmap_id, 'create', a.created_by, a.created_at,
                  jsonb_build_object('id', a.id, 'title', a.title, 'sector', a.sector, 'status', a.status,
                                     'start_date', a.start_date, 'end_date', a.end_date)
           FROM action a WHERE a.id = ANY(:acts)"""), {"rms": rm_ids, "acts": ids})
    # Fresh statistics, so that the planner does not take ten thousand rows for a handful.
    for table in ("roadmap", "action", "key_result", "measurement", "financing", "disbursement", "history"):
        session.execute(text(f"ANALYZE {table}"))  # noqa: S608 (the literals above)
    return {"roadmaps": len(rm_ids), "actions": n, "measurements": len(m_kr), "financing": len(f_ids),
            "disbursements": len(d_line)}


def remove_programme(session: Session, author: str = AUTHOR) -> None:
    """Delete everything :func:`load_programme` wrote as ``author`` (actions, key results,
    measurements, financing and money go with their roadmaps)."""
    session.execute(text("""DELETE FROM history WHERE author = :a"""), {"a": author})
    for table in ("roadmap", "person", "organisation"):
        session.execute(text(f"DELETE FROM {table} WHERE synthetic AND created_by = :a"), {"a": author})  # noqa: S608
