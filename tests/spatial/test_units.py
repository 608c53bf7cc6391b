"""The administrative hierarchy: levels tile their parents, lookups find the right unit."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.units import hierarchy as units
from spatial.errors import InvalidInput, NotFound

COVERAGE_SQL = text(
    """
    WITH kids AS (
        SELECT p.code, p.geom AS parent_geom, ST_Union(c.geom) AS union_geom, sum(ST_Area(c.geom)) AS sum_area
        FROM admin_unit p JOIN admin_unit c ON c.parent_id = p.id
        WHERE p.level = :parent_level AND c.level = :child_level
        GROUP BY p.code, p.geom
    )
    SELECT code,
           abs(ST_Area(union_geom) - ST_Area(parent_geom)) / ST_Area(parent_geom) AS area_gap,
           (sum_area - ST_Area(union_geom)) / ST_Area(parent_geom) AS overlap,
           ST_Area(ST_Difference(union_geom, ST_Buffer(parent_geom, 1e-9))) / ST_Area(parent_geom) AS outside
    FROM kids
    """
)


def test_demo_has_31_provinces_with_persian_names(session: Session) -> None:
    rows = session.execute(text("SELECT code, name_fa FROM admin_unit WHERE level = 'province'")).all()
    assert len(rows) == 31
    assert len({code for code, _ in rows}) == 31
    names = {name for _, name in rows}
    assert "استان کرمان" in names and "استان تهران" in names


@pytest.mark.parametrize(("parent_level", "child_level"), [("province", "county"), ("county", "neighbourhood")])
def test_children_tile_their_parent(session: Session, parent_level: str, child_level: str) -> None:
    rows = session.execute(COVERAGE_SQL, {"parent_level": parent_level, "child_level": child_level}).all()
    assert rows, "no parent has children"
    for code, area_gap, overlap, outside in rows:
        assert area_gap < 1e-3, f"{code}: children miss {area_gap:.4%} of the parent"
        assert overlap < 1e-6, f"{code}: children overlap by {overlap:.6%}"
        assert outside < 1e-6, f"{code}: children spill out by {outside:.6%}"


def test_every_boundary_is_a_valid_multipolygon_in_4326(session: Session) -> None:
    bad = session.execute(
        text("""SELECT count(*) FROM admin_unit
                WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4326 OR GeometryType(geom) <> 'MULTIPOLYGON'""")
    ).scalar()
    assert bad == 0


def test_point_lookup_returns_the_unit_at_every_level(session: Session) -> None:
    samples = session.execute(
        text("""SELECT n.code AS hood, c.code AS county, p.code AS province,
                       ST_X(ST_PointOnSurface(n.geom)) AS x, ST_Y(ST_PointOnSurface(n.geom)) AS y
                FROM admin_unit n JOIN admin_unit c ON c.id = n.parent_id JOIN admin_unit p ON p.id = c.parent_id
                WHERE n.level = 'neighbourhood' ORDER BY n.code LIMIT 25 OFFSET 1000""")
    ).all()
    for s in samples:
        found = units.units_at_point(session, s.x, s.y)
        assert [u.code for u in found] == [s.province, s.county, s.hood]
        assert [u.code for u in units.units_at_point(session, s.x, s.y, level="county")] == [s.county]


def test_point_outside_iran_is_in_no_unit(session: Session) -> None:
    assert units.units_at_point(session, 2.35, 48.85) == []


def test_children_and_ancestors_follow_parent_links(session: Session) -> None:
    kids = units.children(session, "IR-15")
    assert len(kids) == 10
    assert all(k.parent_code == "IR-15" and k.level == "county" for k in kids)
    hood = units.children(session, kids[0].code)[0]
    assert [a.code for a in units.ancestors(session, hood.code)] == [kids[0].code, "IR-15"]


def test_populations_add_up_the_hierarchy(session: Session) -> None:
    mismatches = session.execute(
        text("""SELECT p.code FROM admin_unit p JOIN admin_unit c ON c.parent_id = p.id
                GROUP BY p.code, p.population HAVING p.population <> sum(c.population)""")
    ).all()
    assert mismatches == []


def test_every_generated_unit_is_marked_synthetic(session: Session) -> None:
    unmarked = session.execute(
        text("SELECT count(*) FROM admin_unit WHERE level <> 'province' AND NOT (synthetic AND meta ? 'note')")
    ).scalar()
    assert unmarked == 0


def test_boundary_versions_answer_as_of_a_date(session: Session) -> None:
    # A county split: the old version ends on 2020-03-20, the new one starts then.
    session.execute(
        text("""UPDATE admin_unit SET valid_to = '2020-03-20' WHERE code = 'IR-15-01' AND valid_to IS NULL;
                INSERT INTO admin_unit (code, level, name_fa, name_en, parent_id, population, valid_from, geom)
                SELECT code, level, name_fa || ' (جدید)', name_en || ' (new)', parent_id, population, '2020-03-20',
                       ST_Multi(ST_Buffer(geom, -0.01))
                FROM admin_unit WHERE code = 'IR-15-01'""")
    )
    assert units.get_unit(session, "IR-15-01").name_en.endswith("(new)")
    from datetime import date

    assert not units.get_unit(session, "IR-15-01", as_of=date(2019, 1, 1)).name_en.endswith("(new)")


def test_unknown_code_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="IR-99"):
        units.get_unit(session, "IR-99")


def test_unknown_level_is_rejected(session: Session) -> None:
    with pytest.raises(InvalidInput, match="level"):
        units.units_geojson(session, level="planet")
