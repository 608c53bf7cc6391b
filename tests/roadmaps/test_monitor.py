"""The monitoring centre's numbers against independent SQL, on a programme of 10,000 actions
over the demo (statuses, financing with money committed and disbursed, two years of
quarterly measurements), loaded once in this module's own transaction and rolled back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo.programme import load_programme
from spatial.errors import InvalidInput, NotFound
from spatial.planning import monitor
from spatial.planning.history import LocalEditor

#: The progress rule written again, independently, in plain SQL: per action, its key results'
#: statuses today rolled up (overdue, then behind, then all achieved, else on track; no data
#: when nothing was measured).
INDEPENDENT_STATUS = """
WITH latest AS (
    SELECT DISTINCT ON (k.id) k.id AS kr, k.action_id, k.baseline, k.target, k.target_date,
           coalesce(a.start_date, r.start_date) AS start, m.measured_on, m.value
    FROM key_result k JOIN action a ON a.id = k.action_id JOIN roadmap r ON r.id = a.roadmap_id
    LEFT JOIN measurement m ON m.key_result_id = k.id AND m.archived_at IS NULL AND m.measured_on <= current_date
    WHERE k.archived_at IS NULL AND a.archived_at IS NULL AND r.archived_at IS NULL AND a.status <> 'cancelled'
    ORDER BY k.id, m.measured_on DESC NULLS LAST, m.id DESC
), judged AS (
    SELECT action_id, target_date, CASE
        WHEN measured_on IS NULL THEN 'no_data'
        WHEN (CASE WHEN target >= baseline THEN 1 ELSE -1 END) * (value - target) >= 0 THEN 'achieved'
        WHEN current_date > target_date THEN 'overdue'
        WHEN (CASE WHEN target >= baseline THEN 1 ELSE -1 END) * (value - (baseline + (target - baseline) * least(greatest(
             (measured_on - start)::float8 / nullif(target_date - start, 0), 0), 1))) >= 0 THEN 'on_track'
        ELSE 'behind' END AS status
    FROM latest
), rolled AS (
    SELECT a.id, CASE
        WHEN bool_or(j.status = 'overdue') THEN 'overdue'
        WHEN bool_or(j.status = 'behind') THEN 'behind'
        WHEN count(j.status) FILTER (WHERE j.status <> 'no_data') = 0 THEN 'no_data'
        WHEN bool_and(j.status = 'achieved') THEN 'achieved'
        ELSE 'on_track' END AS status,
        min(j.target_date) FILTER (WHERE j.status = 'overdue') AS missed
    FROM action a JOIN roadmap r ON r.id = a.roadmap_id
    LEFT JOIN judged j ON j.action_id = a.id
    WHERE a.archived_at IS NULL AND r.archived_at IS NULL AND a.status <> 'cancelled'
      -- a competition's proposal is no plan until it is adopted
      AND NOT EXISTS (SELECT 1 FROM contest_entry ce WHERE ce.roadmap_id = r.id AND ce.state <> 'adopted')
    GROUP BY a.id
)
SELECT rolled.id, rolled.status, rolled.missed, substring(u.code FROM '^IR-[0-9]+') AS province, a.sponsor_id
FROM rolled JOIN action a ON a.id = rolled.id JOIN roadmap r ON r.id = a.roadmap_id
JOIN admin_unit u ON u.id = r.unit_id
"""


@pytest.fixture(scope="module")
def loaded(database_url: str) -> Iterator[tuple[Session, dict[str, int]]]:
    """10,000 actions over the demo, loaded once for this module in a transaction rolled back after it."""
    from spatial.db.engine import get_engine

    with get_engine().connect() as conn:
        trans = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield s, load_programme(s, actions=10_000)
        finally:
            s.close()
            trans.rollback()


@pytest.fixture
def session(loaded: tuple[Session, dict[str, int]]) -> Session:
    """The programme's session (this module's tests read it; the one that writes adds a line's money)."""
    return loaded[0]


@pytest.fixture
def programme(loaded: tuple[Session, dict[str, int]]) -> dict[str, int]:
    return loaded[1]


@pytest.fixture(scope="module")
def independent(loaded: tuple[Session, dict[str, int]]) -> list[Any]:
    return loaded[0].execute(text(INDEPENDENT_STATUS)).all()


def test_the_programme_shows_every_status(programme: dict[str, int], independent: list[Any]) -> None:
    assert programme["actions"] == 10_000
    assert set(Counter(r.status for r in independent)) == {"achieved", "on_track", "behind", "overdue", "no_data"}


def test_counts_by_status_per_province_match_independent_sql(session: Session, independent: list[Any]) -> None:
    board = monitor.dashboard(session, None)
    expected: dict[str, Counter[str]] = {}
    for r in independent:
        expected.setdefault(r.province, Counter())[r.status] += 1
    assert len(board["by_child"]) == 31
    for child in board["by_child"]:
        assert child["counts"] == {s: expected.get(child["code"], Counter())[s] for s in child["counts"]}, child["code"]
    assert board["counts"] == {s: sum(c[s] for c in expected.values()) for s in board["counts"]}
    assert sum(board["counts"].values()) >= 10_000


def test_a_province_counts_its_counties_and_its_own_roadmaps(session: Session, independent: list[Any]) -> None:
    board = monitor.dashboard(session, "IR-15")
    mine = Counter(r.status for r in independent if r.province == "IR-15")
    assert board["counts"] == {s: mine[s] for s in board["counts"]}
    assert [c["code"] for c in board["by_child"]] == [f"IR-15-{i:02d}" for i in range(1, 11)]


def test_late_list_is_every_overdue_and_behind_action_with_how_late(session: Session,
                                                                    independent: list[Any]) -> None:
    actions = monitor.area_actions(session, None)
    late = monitor.late_actions(actions)
    expected = {r.id: (date.today() - r.missed).days if r.status == "overdue" else 0
                for r in independent if r.status in ("overdue", "behind")}
    assert {a["id"]: a["days_late"] for a in late} == expected
    assert [a["days_late"] for a in late] == sorted((a["days_late"] for a in late), reverse=True)


def test_late_list_filters_narrow_it(session: Session, independent: list[Any]) -> None:
    actions = monitor.area_actions(session, None)
    sponsor = next(r.sponsor_id for r in independent if r.status == "overdue" and r.sponsor_id)
    by_sponsor = monitor.late_actions(actions, monitor.LateFilters(sponsor=sponsor, min_days_late=30))
    assert by_sponsor
    assert {a["id"] for a in by_sponsor} == {
        r.id for r in independent if r.sponsor_id == sponsor and r.status == "overdue"
        and (date.today() - r.missed).days >= 30}
    by_title = monitor.late_actions(actions, monitor.LateFilters(sort="title", descending=False))
    assert [a["title"] for a in by_title] == sorted(a["title"] for a in by_title)


def test_bad_filters_and_areas_are_refused_by_name(session: Session) -> None:
    with pytest.raises(InvalidInput, match="sort"):
        monitor.LateFilters(sort="colour")
    with pytest.raises(InvalidInput, match="level"):
        monitor.LateFilters(level="planet")
    with pytest.raises(NotFound):
        monitor.area_actions(session, "IR-99")


def test_money_by_sponsor_matches_independent_sql(session: Session, programme: dict[str, int]) -> None:
    board = monitor.dashboard(session, None)
    rows = session.execute(text(
        """SELECT a.sponsor_id,
                  coalesce(sum(d.amount_rials) FILTER (WHERE d.kind = 'committed'), 0) AS committed,
                  coalesce(sum(d.amount_rials) FILTER (WHERE d.kind = 'disbursed'), 0) AS disbursed
           FROM disbursement d JOIN financing f ON f.id = d.financing_id AND f.archived_at IS NULL
           JOIN action a ON a.id = f.action_id JOIN roadmap r ON r.id = a.roadmap_id
           WHERE a.archived_at IS NULL AND r.archived_at IS NULL AND a.status <> 'cancelled'
             AND NOT EXISTS (SELECT 1 FROM contest_entry ce WHERE ce.roadmap_id = r.id AND ce.state <> 'adopted')
           GROUP BY a.sponsor_id""")).all()
    got = {g["key"]: (g["committed"], g["disbursed"]) for g in board["money"]["by_sponsor"]}
    assert {r.sponsor_id: (r.committed, r.disbursed) for r in rows} == {
        k: v for k, v in got.items() if v != (0, 0)}
    assert programme["disbursements"] > 0 and board["money"]["totals"]["disbursed"] > 0


def test_the_most_deprived_fifth_gets_its_share_of_the_money(session: Session, programme: dict[str, int]) -> None:
    board = monitor.dashboard(session, None)
    fifth = board["money"]["deprived_fifth"]
    assert fifth is not None and len(fifth["units"]) == 7  # ceil(31 / 5)
    reached = session.execute(text(
        """SELECT coalesce(sum(d.amount_rials), 0) FROM disbursement d JOIN financing f ON f.id = d.financing_id
           JOIN action a ON a.id = f.action_id JOIN roadmap r ON r.id = a.roadmap_id
           JOIN admin_unit u ON u.id = r.unit_id
           WHERE d.kind = 'disbursed' AND a.status <> 'cancelled'
             AND substring(u.code FROM '^IR-[0-9]+') = ANY(:codes)"""), {"codes": fifth["units"]}).scalar_one()
    assert fifth["disbursed"] == reached
    assert 0 < fifth["share"] < 1


def test_progress_over_time_counts_the_actions_that_existed_each_month(session: Session,
                                                                      independent: list[Any]) -> None:
    actions = monitor.area_actions(session, None)
    series = monitor.over_time(session, None)
    assert len(series) == 24
    assert series[-1]["counts"] == monitor.status_counts(actions)  # this month ends today
    totals = [sum(m["counts"].values()) for m in series]
    assert totals == sorted(totals) and totals[0] < totals[-1]  # actions were added over the two years
    assert series[0]["counts"]["on_track"] >= 0 and any(m["counts"]["on_track"] for m in series)


def test_money_is_recorded_on_a_financing_line_and_checked(session: Session, programme: dict[str, int]) -> None:
    line = session.execute(text("SELECT min(f.id) FROM financing f JOIN action a ON a.id = f.action_id "
                                "WHERE a.created_by = 'programme'")).scalar_one()
    editor = LocalEditor("monitor-test")
    before = len(monitor.disbursements(session, line))
    row = monitor.record_disbursement(session, line, "disbursed", date.today(), 5_000_000, editor)
    assert row["amount_rials"] == 5_000_000 and len(monitor.disbursements(session, line)) == before + 1
    with pytest.raises(InvalidInput, match="kind"):
        monitor.record_disbursement(session, line, "promised", date.today(), 1, editor)
    with pytest.raises(InvalidInput, match="amount_rials"):
        monitor.record_disbursement(session, line, "committed", date.today(), 0, editor)
    with pytest.raises(NotFound):
        monitor.record_disbursement(session, 987654321, "committed", date.today(), 1, editor)
