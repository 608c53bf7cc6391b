"""Queries on the administrative-unit hierarchy.

Every query reads the *current* boundary version unless ``as_of`` names a date, in
which case it reads the version valid on that date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput, NotFound
from spatial.models.units import LEVELS

_VALID_ON = """(
    (CAST(:as_of AS date) IS NULL AND u.valid_to IS NULL)
    OR (u.valid_from <= CAST(:as_of AS date) AND (u.valid_to IS NULL OR u.valid_to > CAST(:as_of AS date)))
)"""

_UNIT_COLUMNS = """u.id, u.code, u.level, u.name_fa, u.name_en, u.population, u.synthetic,
    u.valid_from, u.valid_to, p.code AS parent_code"""


@dataclass(frozen=True)
class Unit:
    """An administrative unit as the API and maps see it."""

    id: int
    code: str
    level: str
    name_fa: str
    name_en: str
    population: int | None
    synthetic: bool
    valid_from: date
    valid_to: date | None
    parent_code: str | None
    children: list[str] = field(default_factory=list)

    def properties(self) -> dict[str, Any]:
        """The unit's attributes as JSON-ready properties."""
        return {
            "code": self.code,
            "level": self.level,
            "name_fa": self.name_fa,
            "name_en": self.name_en,
            "parent_code": self.parent_code,
            "population": self.population,
            "synthetic": self.synthetic,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }

    def feature(self, geometry: dict[str, Any]) -> dict[str, Any]:
        """The unit as a GeoJSON Feature with ``geometry`` (a GeoJSON geometry)."""
        return {"type": "Feature", "id": self.code, "properties": self.properties(), "geometry": geometry}


def check_level(level: str) -> str:
    """Return ``level`` if it is a known level, else raise :class:`InvalidInput`."""
    if level not in LEVELS:
        raise InvalidInput(f"Unknown level '{level}'; use one of: {', '.join(LEVELS)}.", field="level")
    return level


def get_unit(session: Session, code: str, as_of: date | None = None) -> Unit:
    """The unit with ``code``, with the codes of its children.

    Raises :class:`NotFound` when no version of that code is valid on ``as_of``.
    """
    row = session.execute(
        text(
            f"""SELECT {_UNIT_COLUMNS} FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
            WHERE u.code = :code AND {_VALID_ON}"""
        ),
        {"code": code, "as_of": as_of},
    ).mappings().first()
    if row is None:
        raise NotFound(f"No administrative unit has code '{code}'. List codes with GET /api/units?level=province.",
                       field="code")
    kids = session.execute(
        text("SELECT u.code FROM admin_unit u WHERE u.parent_id = :id ORDER BY u.code"), {"id": row["id"]}
    ).scalars().all()
    return Unit(**row, children=list(kids))


def get_unit_by_id(session: Session, unit_id: int) -> Unit:
    """The unit with database id ``unit_id`` (e.g. a user's area), any version."""
    code = session.execute(text("SELECT code FROM admin_unit WHERE id = :id"), {"id": unit_id}).scalar()
    if code is None:
        raise NotFound(f"No administrative unit has id {unit_id}.", field="unit")
    return get_unit(session, code)


def units_at_level(session: Session, level: str, as_of: date | None = None) -> list[Unit]:
    """Every unit at ``level`` (e.g. the provinces), by code."""
    check_level(level)
    rows = session.execute(
        text(
            f"""SELECT {_UNIT_COLUMNS} FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
            WHERE u.level = :level AND {_VALID_ON} ORDER BY u.code"""
        ),
        {"level": level, "as_of": as_of},
    ).mappings().all()
    return [Unit(**r) for r in rows]


def one_unit_per_level(session: Session) -> list[str]:
    """The code of the first current unit of each level that has any."""
    return list(session.execute(text(
        "SELECT DISTINCT ON (level) code FROM admin_unit WHERE valid_to IS NULL ORDER BY level, code")).scalars())


def children(session: Session, code: str, as_of: date | None = None) -> list[Unit]:
    """The units directly below ``code``."""
    parent = get_unit(session, code, as_of)
    rows = session.execute(
        text(
            f"""SELECT {_UNIT_COLUMNS} FROM admin_unit u JOIN admin_unit p ON p.id = u.parent_id
            WHERE u.parent_id = :id AND {_VALID_ON} ORDER BY u.code"""
        ),
        {"id": parent.id, "as_of": as_of},
    ).mappings().all()
    return [Unit(**r) for r in rows]


def parent_codes(session: Session) -> list[str]:
    """Codes of the current units that have current units below them, in code order."""
    return list(session.execute(
        text("""SELECT DISTINCT p.code FROM admin_unit p JOIN admin_unit c ON c.parent_id = p.id
                WHERE p.valid_to IS NULL AND c.valid_to IS NULL ORDER BY p.code""")
    ).scalars().all())


def ancestors(session: Session, code: str, as_of: date | None = None) -> list[Unit]:
    """The chain of units above ``code``, nearest first (county, then province)."""
    unit = get_unit(session, code, as_of)
    rows = session.execute(
        text(
            f"""WITH RECURSIVE up(id, depth) AS (
                SELECT parent_id, 1 FROM admin_unit WHERE id = :id AND parent_id IS NOT NULL
                UNION ALL
                SELECT a.parent_id, up.depth + 1 FROM admin_unit a JOIN up ON a.id = up.id
                WHERE a.parent_id IS NOT NULL
            )
            SELECT {_UNIT_COLUMNS} FROM up JOIN admin_unit u ON u.id = up.id
            LEFT JOIN admin_unit p ON p.id = u.parent_id ORDER BY up.depth"""
        ),
        {"id": unit.id},
    ).mappings().all()
    return [Unit(**r) for r in rows]


#: Arabic letters typed on some keyboards, as the Persian ones the names are stored with.
_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "\u200c": " "})
_LEVEL_ORDER = "array_position(ARRAY['province','county','district','rural_district','neighbourhood','village'], u.level)"


def search_units(session: Session, query: str, limit: int = 10) -> list[Unit]:
    """Current units whose code starts with ``query`` or whose Persian or English name contains
    it (case-insensitive; Arabic ي/ك typed for Persian ی/ک), higher levels and exact matches first."""
    q = " ".join(query.translate(_PERSIAN_LETTERS).split())
    if not q:
        return []
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.execute(
        text(
            f"""SELECT {_UNIT_COLUMNS} FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
            WHERE u.valid_to IS NULL
              AND (u.code ILIKE :prefix OR replace(u.name_fa, chr(8204), ' ') ILIKE :like OR u.name_en ILIKE :like)
            ORDER BY (lower(u.code) = lower(:q) OR u.name_fa = :q OR lower(u.name_en) = lower(:q)) DESC,
                     {_LEVEL_ORDER}, u.code
            LIMIT :limit"""
        ),
        {"q": q, "like": like, "prefix": like[1:], "limit": limit},
    ).mappings().all()
    return [Unit(**r) for r in rows]


def units_at_point(
    session: Session, lon: float, lat: float, level: str | None = None, as_of: date | None = None
) -> list[Unit]:
    """The units whose boundary contains the point (lon, lat), from the top level down."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(f"({lon}, {lat}) is not a longitude/latitude pair in degrees.", field="lon,lat")
    if level is not None:
        check_level(level)
    rows = session.execute(
        text(
            f"""SELECT {_UNIT_COLUMNS} FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
            WHERE ST_Intersects(u.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
              AND (CAST(:level AS text) IS NULL OR u.level = :level) AND {_VALID_ON}"""
        ),
        {"lon": lon, "lat": lat, "level": level, "as_of": as_of},
    ).mappings().all()
    order = {name: i for i, name in enumerate(LEVELS)}
    return sorted((Unit(**r) for r in rows), key=lambda u: order[u.level])


def units_geojson(
    session: Session,
    level: str | None = None,
    parent_code: str | None = None,
    as_of: date | None = None,
    simplify: float = 0.0,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the units at ``level`` and/or under ``parent_code``.

    ``simplify`` (degrees) generalises boundaries with a topology-preserving simplifier,
    for overview maps; 0 keeps them exact.
    """
    if level is not None:
        check_level(level)
    parent_id = get_unit(session, parent_code, as_of).id if parent_code else None
    rows = session.execute(
        text(
            f"""SELECT {_UNIT_COLUMNS},
                ST_AsGeoJSON(CASE WHEN :tol > 0 THEN ST_SimplifyPreserveTopology(u.geom, :tol) ELSE u.geom END, 6)
                  AS geometry
            FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
            WHERE (CAST(:level AS text) IS NULL OR u.level = :level)
              AND (CAST(:parent_id AS integer) IS NULL OR u.parent_id = :parent_id)
              AND {_VALID_ON}
            ORDER BY u.code"""
        ),
        {"level": level, "parent_id": parent_id, "as_of": as_of, "tol": simplify},
    ).mappings().all()
    features = []
    for r in rows:
        unit = Unit(**{k: v for k, v in r.items() if k != "geometry"})
        features.append(unit.feature(json.loads(r["geometry"])))
    return {"type": "FeatureCollection", "features": features}


def unit_feature(session: Session, code: str, as_of: date | None = None) -> dict[str, Any]:
    """The unit ``code`` as a GeoJSON Feature (its properties and exact boundary)."""
    unit = get_unit(session, code, as_of)
    geometry = session.execute(
        text("SELECT ST_AsGeoJSON(geom, 6) FROM admin_unit WHERE id = :id"), {"id": unit.id}
    ).scalar_one()
    return unit.feature(json.loads(geometry))


def provinces_extent(session: Session) -> list[float] | None:
    """[west, south, east, north] of the current provinces (the loaded country), or ``None`` when none are loaded."""
    row = session.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) AS e FROM admin_unit WHERE level = 'province' AND valid_to IS NULL) AS x"
    )).one()
    return None if row[0] is None else [float(v) for v in row]
