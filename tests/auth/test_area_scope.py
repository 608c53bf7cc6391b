"""Progress-core members edit only inside their area (the unit and its descendants)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.units.access import unit_within_area
from spatial.db.engine import session_scope


def unit_id(session: Session, code: str) -> int:
    return session.execute(text("SELECT id FROM admin_unit WHERE code = :c AND valid_to IS NULL"), {"c": code}).scalar_one()


def notes(code: str) -> int:
    with session_scope() as s:
        return s.execute(text("SELECT count(*) FROM pishraft_meta WHERE key = :k"), {"k": f"test-note:{code}"}).scalar_one()


def test_area_covers_the_unit_and_every_descendant(session: Session) -> None:
    kerman = unit_id(session, "IR-15")
    hood = session.execute(
        text("""SELECT n.code FROM admin_unit n JOIN admin_unit c ON c.id = n.parent_id
                WHERE c.code = 'IR-15-04' AND n.level = 'neighbourhood' LIMIT 1""")
    ).scalar_one()
    assert unit_within_area(session, unit_id(session, "IR-15"), kerman)
    assert unit_within_area(session, unit_id(session, "IR-15-04"), kerman)
    assert unit_within_area(session, unit_id(session, hood), kerman)
    assert not unit_within_area(session, unit_id(session, "IR-01"), kerman)
    assert not unit_within_area(session, unit_id(session, "IR-01-01"), kerman)
    # An area does not cover its parent.
    assert not unit_within_area(session, kerman, unit_id(session, "IR-15-04"))


def test_core_member_edits_inside_its_area(
    stand_in_client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    response = stand_in_client.post("/test/units/IR-15-03/notes", headers=headers_for("core"))
    assert response.status_code == 200 and response.json()["by"] == "demo-core"
    assert notes("IR-15-03") == 1


def test_core_member_editing_outside_its_area_gets_403_and_nothing_changes(
    stand_in_client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    before = notes("IR-07-02")
    response = stand_in_client.post("/test/units/IR-07-02/notes", headers=headers_for("core"))
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden", "field": "unit",
        "message": "This unit lies outside your progress core's area; you may only edit inside it.",
    }
    assert notes("IR-07-02") == before == 0


def test_planners_edit_anywhere_and_viewers_nowhere(
    stand_in_client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    assert stand_in_client.post("/test/units/IR-07-03/notes", headers=headers_for("planner")).status_code == 200
    assert stand_in_client.post("/test/units/IR-07-04/notes", headers=headers_for("viewer")).status_code == 403
    assert notes("IR-07-04") == 0


def roadmap_rows() -> tuple[int, int]:
    with session_scope() as s:
        return (s.execute(text("SELECT count(*) FROM roadmap")).scalar_one(),
                s.execute(text("SELECT count(*) FROM history")).scalar_one())


def test_core_member_cannot_create_or_change_a_roadmap_outside_its_area(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    """The real roadmaps API: demo-core (area IR-15) is refused elsewhere and nothing is written."""
    plan = {"title": "Outside Kerman", "start_date": "2025-01-01", "end_date": "2026-12-31"}
    outside = client.post("/api/roadmaps", headers=headers_for("planner"), json={"unit": "IR-07-01", **plan})
    assert outside.status_code == 201, outside.text
    before = roadmap_rows()

    core = headers_for("core")
    created = client.post("/api/roadmaps", headers=core, json={"unit": "IR-07-02", **plan})
    changed = client.patch(f"/api/roadmaps/{outside.json()['id']}", headers=core, json={"title": "Taken over"})
    assert (created.status_code, changed.status_code) == (403, 403)
    assert created.json()["error"]["code"] == changed.json()["error"]["code"] == "forbidden"
    assert roadmap_rows() == before
    assert client.get(f"/api/roadmaps/{outside.json()['id']}").json()["title"] == "Outside Kerman"

    inside = client.post("/api/roadmaps", headers=core, json={"unit": "IR-15-02", **plan})
    assert inside.status_code == 201 and inside.json()["created_by"] == "demo-core"
