"""Demo roadmaps: Kerman province (IR-15), its first synthetic county (IR-15-01) and a
neighbourhood of it (IR-15-01-001), each with a roadmap, placed actions, financing, key
results and measurements that show every progress status, money committed and disbursed; a progress core; sponsors,
cooperatives and people; a handover; and past plans. All of it is synthetic.

Dates are relative to the day of loading, so that the statuses (achieved, on track,
behind, overdue, no data) hold when the demo is shown. Everything goes through the
domain functions, so the demo also has a history (author ``demo``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.accounts.users import set_person
from spatial.planning.cores import create_core
from spatial.demo.accounts import DEMO_PLANNER
from spatial.demo.common import SYNTHETIC_NOTE_FA, DemoStep, Progress
from spatial.planning.history import LocalEditor
from spatial.planning.monitor import record_disbursement
from spatial.planning.past_plans import create_past_plan
from spatial.planning.people import create_organisation, create_person, hand_over
from spatial.planning.roadmap_inputs import (
    ActionIn, CapacityIn, CoreIn, FinancingIn, HandoverIn, KeyResultIn, MeasurementIn, OrganisationIn, PastPlanIn,
    PersonIn, RoadmapIn, TrainingIn, ActionStatus, FinancingSource, OrganisationKind, Outcome,
)
from spatial.planning.roadmaps import create_action, create_measurement, create_roadmap

PROVINCE, COUNTY, HOOD = "IR-15", "IR-15-01", "IR-15-01-001"
EDITOR = LocalEditor("demo")
TAG = " (نمونه)"  # "sample": every demo name says it is synthetic


def _points(session: Session, code: str, n: int) -> list[dict[str, Any]]:
    """``n`` reproducible GeoJSON points inside unit ``code``."""
    rows = session.execute(
        text("""SELECT ST_X(d.geom) AS x, ST_Y(d.geom) AS y
                FROM admin_unit u, ST_Dump(ST_GeneratePoints(u.geom, :n, 1403)) d
                WHERE u.code = :code AND u.valid_to IS NULL ORDER BY d.path"""),
        {"code": code, "n": n},
    ).all()
    return [{"type": "Point", "coordinates": [round(r.x, 6), round(r.y, 6)]} for r in rows]


def _present(session: Session) -> bool:
    return session.execute(
        text("SELECT count(*) = 3 FROM admin_unit WHERE code = ANY(:codes) AND valid_to IS NULL"),
        {"codes": [PROVINCE, COUNTY, HOOD]}).scalar_one()


def load(session: Session, progress: Progress) -> None:
    """Write the demo roadmaps (skipped when the demo units are missing)."""
    if not _present(session):
        progress("roadmaps skipped: demo units IR-15, IR-15-01, IR-15-01-001 missing")
        return
    today = date.today()

    def org(name: str, kind: OrganisationKind, unit: str | None = None) -> int:
        return create_organisation(session, OrganisationIn(name=name + TAG, kind=kind, unit=unit,
                                                           synthetic=True), EDITOR)["id"]

    def person(name: str, role: str, organisation_id: int | None, unit: str, phone: str) -> int:
        # DEMO ONLY: made-up numbers in the 0900 range and example.org addresses.
        return create_person(session, PersonIn(name=name + TAG, role=role, organisation_id=organisation_id,
                                               unit=unit, phone=phone, email=f"demo{phone[-3:]}@example.org",
                                               synthetic=True), EDITOR)["id"]

    planning = org("سازمان مدیریت و برنامه‌ریزی استان کرمان", "government", PROVINCE)
    sponsor = org("هلدینگ معین اقتصادی نمونه", "economic_sponsor", PROVINCE)
    cooperative = org("تعاونی فرش‌بافان", "cooperative", COUNTY)
    ngo = org("انجمن توانمندسازی زنان", "ngo", HOOD)
    outgoing = person("مریم احمدی", "مسئول توسعه استان", planning, PROVINCE, "0900 000 0101")
    incoming = person("رضا کریمی", "مسئول توسعه استان", planning, PROVINCE, "0900 000 0102")
    county_officer = person("زهرا محمدی", "مسئول توسعه شهرستان", planning, COUNTY, "0900 000 0103")
    facilitator = person("علی رضایی", "تسهیلگر محله", ngo, HOOD, "0900 000 0104")
    # The demo planner is the county officer: their home page shows what of theirs is late.
    set_person(session, DEMO_PLANNER, county_officer)

    core = create_core(session, CoreIn(
        name="هسته پیشرفت شهرستان نمونه ۱" + TAG, unit=COUNTY, members_count=12, stage="trained",
        member_ids=[county_officer, facilitator],
        assessment={"local_knowledge": 82, "commitment": 90, "planning_skills": 64},
        training=[TrainingIn(title="تدوین نقشه پیشرفت", held_on=today - timedelta(days=300), hours=16,
                             participants=12),
                  TrainingIn(title="پایش پیشرفت و گزارش‌دهی", held_on=today - timedelta(days=240), hours=8,
                             participants=10)],
        synthetic=True), EDITOR)["id"]

    start = today - timedelta(days=450)

    def roadmap(unit: str, title: str, responsible: int, **extra: Any) -> int:
        return create_roadmap(session, RoadmapIn(
            unit=unit, title=title + TAG, start_date=start, end_date=start + timedelta(days=5 * 365),
            status="approved", responsible_person_id=responsible, responsible_organisation_id=planning,
            sponsor_id=sponsor, synthetic=True, **extra), EDITOR)["id"]

    province_rm = roadmap(PROVINCE, "نقشه راه توسعه و سرمایه‌گذاری استان کرمان", outgoing,
                          strategies=["زنجیره ارزش پسته و خرما", "گردشگری کویر"],
                          capacities=[CapacityIn(indicator="literacy_rate", text="نیروی کار باسواد")],
                          advantages=[CapacityIn(text="پسته، خرما و فرش دستباف")])
    county_rm = roadmap(COUNTY, "نقشه راه شهرستان نمونه ۱", county_officer, parent_roadmap_id=province_rm,
                        core_id=core, strategies=["فرش دستباف", "گلخانه"],
                        capacities=[CapacityIn(indicator="unemployment_rate", text="نیروی کار جوان بیکار")])
    hood_rm = roadmap(HOOD, "نقشه پیشرفت محله نمونه ۱", facilitator, parent_roadmap_id=county_rm, core_id=core,
                      strategies=["اشتغال خانگی زنان"])

    # (roadmap, unit, title, sector, status, financing, key result: baseline, target, share of the way
    #  reached 20 days ago or None for no data, overdue?) — 365-day actions started 200 days ago put the
    # line at 49 % on the measurement day.
    plans: list[tuple[int, str, str, str, ActionStatus, list[tuple[FinancingSource, int]],
                      tuple[str, float, float, float | None, bool]]] = [
        (province_rm, PROVINCE, "خوشه صنعتی فرآوری پسته", "agriculture", "in_progress",
         [("investment_fund", 80_000_000_000), ("bank_loan", 120_000_000_000)], ("شغل ایجادشده", 0, 300, 1.0, False)),
        (province_rm, PROVINCE, "مسیر گردشگری کویر لوت", "tourism", "in_progress",
         [("government_budget", 45_000_000_000), ("sponsor", 30_000_000_000)], ("گردشگر (هزار نفر)", 10, 60, 0.7, False)),
        (county_rm, COUNTY, "کارگاه فرش دستباف زنان", "handicrafts", "in_progress",
         [("sponsor", 6_000_000_000), ("people", 500_000_000)], ("بافنده شاغل", 0, 120, 0.2, False)),
        (county_rm, COUNTY, "گلخانه‌های کوچک روستایی", "agriculture", "stalled",
         [("bank_loan", 9_000_000_000)], ("گلخانه ساخته‌شده", 0, 40, 0.6, True)),
        (county_rm, COUNTY, "تعاونی بسته‌بندی خرما", "agriculture", "planned",
         [("investment_fund", 4_000_000_000)], ("تن خرمای بسته‌بندی‌شده", 0, 500, None, False)),
        (hood_rm, HOOD, "آموزش مهارت خیاطی", "training", "in_progress",
         [("people", 200_000_000), ("sponsor", 800_000_000)], ("کارآموز", 0, 60, 0.8, False)),
        (hood_rm, HOOD, "صندوق خرد محله", "finance", "planned",
         [("investment_fund", 1_000_000_000)], ("عضو صندوق", 0, 150, 0.3, False)),
    ]
    points = {code: iter(_points(session, code, 4)) for code in (PROVINCE, COUNTY, HOOD)}
    for rid, unit, title, sector, status, financing, (indicator, baseline, target, share, overdue) in plans:
        begins = today - timedelta(days=400 if overdue else 200)
        ends = begins + timedelta(days=365)
        action = create_action(session, ActionIn(
            roadmap_id=rid, title=title + TAG, sector=sector, status=status, geometry=next(points[unit]),
            start_date=begins, end_date=ends, target_group="جوانان بیکار و زنان سرپرست خانوار",
            target_size=int(target), jobs_expected=int(target) // 2,
            responsible_person_id=county_officer if unit != PROVINCE else outgoing,
            sponsor_id=sponsor if sector != "handicrafts" else cooperative,
            financing=[FinancingIn(source=s, amount_rials=a, note=SYNTHETIC_NOTE_FA) for s, a in financing],
            key_results=[KeyResultIn(indicator=indicator, baseline=baseline, target=target, target_date=ends)],
            synthetic=True), EDITOR)
        # Money: each line committed in full when the action began; a third paid soon after and, for
        # actions under way, another third a fortnight ago (so the money charts are not all zeros).
        lines = session.execute(text("SELECT id, amount_rials FROM financing WHERE action_id = :a ORDER BY id"),
                                {"a": action["id"]}).all()
        for line_id, amount in lines:
            record_disbursement(session, line_id, "committed", begins, amount, EDITOR, note=SYNTHETIC_NOTE_FA,
                                synthetic=True)
            if status != "planned":
                for paid_on in (begins + timedelta(days=20), today - timedelta(days=15)):
                    record_disbursement(session, line_id, "disbursed", paid_on, amount // 3, EDITOR,
                                        note=SYNTHETIC_NOTE_FA, synthetic=True)
        if share is not None:
            measured = (ends - timedelta(days=5)) if overdue else today - timedelta(days=20)
            create_measurement(session, MeasurementIn(
                key_result_id=action["key_results"][0]["id"], measured_on=measured,
                value=round(baseline + share * (target - baseline), 1), source="پیمایش نمونه",
                reported_by="هسته پیشرفت" if unit != PROVINCE else "هسته پیشرفت استان", synthetic=True), EDITOR)

    hand_over(session, HandoverIn(from_person_id=outgoing, to_person_id=incoming, roadmap_id=province_rm,
                                  handed_over_on=today - timedelta(days=30),
                                  note="جابه‌جایی مدیر؛ " + SYNTHETIC_NOTE_FA, synthetic=True), EDITOR)

    for title, unit, years, sector, outcome, strengths, weaknesses, spread, lessons in (
        ("همیاران آب", COUNTY, (1391, 1395), "water", "succeeded",
         "داوطلبان محلی شبکه‌های آب روستا را نگه می‌دارند", "به بودجه یک اداره وابسته بود",
         "گسترش نیافت: پس از طرح آزمایشی ردیف اعتباری نماند", "طرح‌های آزمایشی موفق را به منبع مالی پایدار گره بزنید"),
        ("قالی‌بافی خانگی", HOOD, (1394, 1396), "handicrafts", "partial",
         "زنان زود آموزش دیدند", "خریداری برای قالی‌ها نبود", "دهان‌به‌دهان به دو روستا رسید",
         "پیش از آموزش، بازار را تضمین کنید"),
        ("شهرک گلخانه‌ای", PROVINCE, (1389, 1393), "agriculture", "failed",
         "زمین و آب واگذار شد", "وام‌ها دیر رسید و خدمات ترویج نبود",
         "گسترش نیافت: نخستین گلخانه‌داران ورشکست شدند", "وام را با ترویج و پشتیبانی پس از برداشت همراه کنید"),
    ):
        create_past_plan(session, PastPlanIn(title=title + TAG, unit=unit, start_year=years[0], end_year=years[1],
                                             sector=sector, outcome=cast(Outcome, outcome), strengths=strengths,
                                             weaknesses=weaknesses, spread=spread, lessons=lessons, synthetic=True),
                         EDITOR)


def remove(session: Session) -> None:
    """Delete everything :func:`load` wrote, history included."""
    session.execute(text(
        """DELETE FROM history h WHERE
               h.roadmap_id IN (SELECT id FROM roadmap WHERE synthetic)
            OR (h.entity = 'core' AND h.entity_id IN (SELECT id FROM progress_core WHERE synthetic))
            OR (h.entity = 'past_plan' AND h.entity_id IN (SELECT id FROM past_plan WHERE synthetic))
            OR (h.entity = 'organisation' AND h.entity_id IN (SELECT id FROM organisation WHERE synthetic))
            OR (h.entity = 'person' AND h.entity_id IN (SELECT id FROM person WHERE synthetic))"""))
    session.execute(text("DELETE FROM core_member WHERE person_id IN (SELECT id FROM person WHERE synthetic)"))
    for table in ("handover", "measurement", "roadmap", "progress_core", "past_plan", "person", "organisation"):
        # Table names are the literals above; actions, financing and key results cascade with their roadmap.
        session.execute(text(f"DELETE FROM {table} WHERE synthetic"))  # noqa: S608


STEP = DemoStep(name="roadmaps", load=load, remove=remove)
