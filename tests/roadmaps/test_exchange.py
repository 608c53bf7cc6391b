"""Exchange: JSON export → import gives an identical roadmap; the Excel workbook opens
with openpyxl and holds every action."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput
from spatial.messages import code_words, label, t
from spatial.planning.exchange import export_excel, export_json, import_json
from spatial.planning.history import LocalEditor
from spatial.planning.roadmap_inputs import ActionIn, CapacityIn, FinancingIn, KeyResultIn, MeasurementIn, RoadmapPatch
from spatial.planning.roadmaps import create_action, create_measurement, get_roadmap, update_roadmap
from tests.roadmaps.conftest import COUNTY, point_in

EDITOR = LocalEditor("exporter")


@pytest.fixture
def full_roadmap(session: Session, roadmap: dict[str, Any], sponsor: dict[str, Any],
                 person: dict[str, Any]) -> dict[str, Any]:
    """The county roadmap with a sponsor, strategies, and three actions (one without geometry)."""
    update_roadmap(session, roadmap["id"], RoadmapPatch(
        sponsor_id=sponsor["id"], responsible_person_id=person["id"], strategies=["handicrafts", "tourism"],
        capacities=[CapacityIn(indicator="literacy_rate", text="high literacy")]), EDITOR)
    x, y = point_in(session, COUNTY)["coordinates"]
    for n in range(3):
        action = create_action(session, ActionIn(
            roadmap_id=roadmap["id"], title=f"Action {n}", sector="handicrafts", start_date=date(2024, 2, 1),
            end_date=date(2025, 2, 1), responsible_person_id=person["id"], sponsor_id=sponsor["id"],
            geometry={"type": "Point", "coordinates": [x, y]} if n else None, target_group="women", target_size=40,
            jobs_expected=12, financing=[FinancingIn(source="sponsor", amount_rials=1_500_000_000 * (n + 1)),
                                         FinancingIn(source="people", amount_rials=250_000_000, note="shares")],
            key_results=[KeyResultIn(indicator="jobs", unit_of_measure="jobs", baseline=0, target=12,
                                     target_date=date(2025, 2, 1))],
        ), EDITOR)
        create_measurement(session, MeasurementIn(key_result_id=action["key_results"][0]["id"],
                                                  measured_on=date(2024, 6, 1), value=3 + n, source="survey"), EDITOR)
    return get_roadmap(session, roadmap["id"])


def test_json_round_trip_gives_an_identical_roadmap(session: Session, full_roadmap: dict[str, Any]) -> None:
    exported = export_json(session, full_roadmap["id"])
    new_id = import_json(session, exported, LocalEditor("importer"))
    assert new_id != full_roadmap["id"]
    assert export_json(session, new_id) == exported
    assert len(exported["actions"]) == 3
    assert exported["actions"][1]["key_results"][0]["measurements"][0]["value"] == 4
    assert exported["roadmap"]["sponsor"] == "Test sponsor holding"


def test_import_refuses_a_broken_document_naming_the_field(session: Session, full_roadmap: dict[str, Any]) -> None:
    exported = export_json(session, full_roadmap["id"])
    exported["actions"][2]["financing"][0]["amount_rials"] = -1
    with pytest.raises(InvalidInput) as err:
        import_json(session, exported, EDITOR)
    assert err.value.field == "actions.2.financing.0.amount_rials"
    exported["actions"][2]["financing"][0]["amount_rials"] = 1
    exported["roadmap"]["sponsor"] = "Nobody Holding"
    with pytest.raises(InvalidInput) as err:
        import_json(session, exported, EDITOR)
    assert err.value.field == "roadmap.sponsor"


def test_excel_workbook_opens_and_holds_every_action(session: Session, full_roadmap: dict[str, Any]) -> None:
    workbook = load_workbook(BytesIO(export_excel(session, full_roadmap["id"], on=date(2024, 7, 1))))
    assert workbook.sheetnames == ["Roadmap", "Actions", "Financing", "Key results", "Measurements"]
    actions = list(workbook["Actions"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in actions] == [a["title"] for a in full_roadmap["actions"]]
    header = [c.value for c in workbook["Actions"][1]]
    assert actions[0][header.index("Start date")].date() == date(2024, 2, 1)  # an Excel date in English
    assert len(list(workbook["Financing"].iter_rows(min_row=2))) == 6
    assert len(list(workbook["Measurements"].iter_rows(min_row=2))) == 3
    statuses = [row[8] for row in workbook["Key results"].iter_rows(min_row=2, values_only=True)]
    assert statuses == ["Behind", "On track", "On track"]


def test_the_persian_workbook_reads_right_to_left_in_persian_words_with_jalali_days(
        session: Session, full_roadmap: dict[str, Any]) -> None:
    workbook = load_workbook(BytesIO(export_excel(session, full_roadmap["id"], on=date(2024, 7, 1), lang="fa")))
    assert workbook.sheetnames == [t("pw.roadmap", "fa"), t("rm.actions", "fa"), t("act.financing", "fa"),
                                   t("act.key_results", "fa"), t("export.measurements", "fa")]
    sheet = workbook[t("rm.actions", "fa")]
    assert sheet.sheet_view.rightToLeft
    header = [c.value for c in sheet[1]]
    first = [c.value for c in sheet[2]]
    assert first[header.index(t("rm.start_date", "fa"))] == "1402/11/12"
    assert first[header.index(t("act.sector", "fa"))] == label("sector", "handicrafts", "fa")
    codes = code_words()
    cells = {c for ws in workbook for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert not cells & codes, cells & codes


def test_export_and_import_over_http(client: TestClient) -> None:
    rid = client.post("/api/roadmaps", json={"unit": COUNTY, "title": "HTTP exchange", "start_date": "2024-01-01",
                                             "end_date": "2025-12-31"}).json()["id"]
    client.post("/api/actions", json={"roadmap_id": rid, "title": "Bakery"})
    exported = client.get(f"/api/roadmaps/{rid}/export").json()
    imported = client.post("/api/roadmaps/import", json=exported)
    assert imported.status_code == 201
    assert client.get(f"/api/roadmaps/{imported.json()['id']}/export").json() == exported
    xlsx = client.get(f"/api/roadmaps/{rid}/export", params={"format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(BytesIO(xlsx.content))["Actions"]["B2"].value == "Bakery"


def test_import_names_the_measurement_at_fault(session: Session, full_roadmap: dict[str, Any]) -> None:
    exported = export_json(session, full_roadmap["id"])
    exported["actions"][1]["key_results"][0]["measurements"][0]["measured_on"] = "2023-01-01"
    with pytest.raises(InvalidInput) as err:
        import_json(session, exported, EDITOR)
    assert err.value.field == "actions.1.key_results.0.measurements.0.measured_on"
