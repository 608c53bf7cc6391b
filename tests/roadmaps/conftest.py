"""Fixtures for roadmaps: editors, organisations, people and a roadmap in the demo units
(Kerman IR-15, its county IR-15-01 and neighbourhood IR-15-01-001)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.planning.history import LocalEditor
from spatial.planning.people import create_organisation, create_person
from spatial.planning.roadmap_inputs import OrganisationIn, PersonIn, RoadmapIn
from spatial.planning.roadmaps import create_roadmap

COUNTY = "IR-15-01"
HOOD = "IR-15-01-001"


@pytest.fixture
def editor() -> LocalEditor:
    return LocalEditor("ali")


@pytest.fixture
def sponsor(session: Session, editor: LocalEditor) -> dict[str, Any]:
    return create_organisation(session, OrganisationIn(name="Test sponsor holding", kind="economic_sponsor"), editor)


@pytest.fixture
def person(session: Session, editor: LocalEditor) -> dict[str, Any]:
    return create_person(session, PersonIn(name="Test planner", role="county development officer", unit=COUNTY),
                         editor)


@pytest.fixture
def roadmap(session: Session, editor: LocalEditor) -> dict[str, Any]:
    """A county roadmap running from 2024-01-01 to 2026-12-31, without actions."""
    return create_roadmap(session, RoadmapIn(unit=COUNTY, title="County roadmap", start_date=date(2024, 1, 1),
                                             end_date=date(2026, 12, 31)), editor)


def point_in(session: Session, code: str) -> dict[str, Any]:
    """A GeoJSON point inside the unit ``code``."""
    x, y = session.execute(text("""SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p
                                   FROM admin_unit WHERE code = :c AND valid_to IS NULL) s"""), {"c": code}).one()
    return {"type": "Point", "coordinates": [x, y]}


def point_outside(session: Session, code: str) -> dict[str, Any]:
    """A GeoJSON point in another province, outside ``code``."""
    return point_in(session, "IR-01" if not code.startswith("IR-01") else "IR-02")
