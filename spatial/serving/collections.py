"""The collections partners can read: four administrative levels and every catalogue layer.

A :class:`Collection` knows its properties (a whitelist: only these names ever reach
SQL, always quoted) and the SQL relation its features come from. Every relation has the
same shape: ``fid`` (integer, the vector-tile feature id), ``featureid`` (the OGC
feature id: the unit code, or the layer's ``fid``), ``geom`` (EPSG:4326) and one column
per column property. Extra properties of units (latest indicator values, index scores)
come from the SQL function ``pishraft_unit_properties(unit_id)``.

The catalogue is read once per data generation (see :mod:`spatial.serving.generation`).

Examples
--------
>>> from spatial.serving.collections import get_collection
>>> neighbourhoods = get_collection(session, "neighbourhoods")    # doctest: +SKIP
>>> [p.name for p in neighbourhoods.properties][:3]                 # doctest: +SKIP
['code', 'level', 'name_fa']
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal, cast

from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.catalogue import list_layers
from spatial.db.refresh_queue import stale_marks
from spatial.errors import NotFound
from spatial.serving.generation import data_generation

#: OGC collection id → admin_unit level.
ADMIN_COLLECTIONS: dict[str, str] = {
    "provinces": "province",
    "counties": "county",
    "districts": "district",
    "neighbourhoods": "neighbourhood",
}
#: Below this zoom, tiles of a level carry only the unit code and the indicator values
#: unless ``properties=`` asks for more: thousands of units share a low-zoom tile, and
#: their names would make it megabytes.
DETAIL_ZOOM: dict[str, int] = {"provinces": 0, "counties": 5, "districts": 6, "neighbourhoods": 8}
#: Columns low-zoom tiles carry beside the headline values: a merged feature's population
#: is what its rolled-up rates are weighted by.
LOW_ZOOM_COLUMNS = ("code", "population")
_ADMIN_TITLES = {
    "provinces": ("Provinces", "استان‌ها"),
    "counties": ("Counties", "شهرستان‌ها"),
    "districts": ("Districts", "بخش‌ها"),
    "neighbourhoods": ("Neighbourhoods and villages", "محله‌ها و روستاها"),
}

#: Layer column type (catalogue contract) → (JSON Schema type, format, SQL cast).
_COLUMN_TYPES: dict[str, tuple[str, str | None, str]] = {
    "integer": ("integer", None, "bigint"),
    "float": ("number", None, "double precision"),
    "text": ("string", None, "text"),
    "boolean": ("boolean", None, "boolean"),
    "date": ("string", "date", "date"),
    "datetime": ("string", "date-time", "timestamptz"),
}

#: Columns of every admin collection: name, column type, title, Persian title.
_UNIT_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("code", "text", "Unit code", "کد واحد"),
    ("level", "text", "Level", "سطح"),
    ("name_fa", "text", "Name (Persian)", "نام فارسی"),
    ("name_en", "text", "Name (English)", "نام انگلیسی"),
    ("parent_code", "text", "Code of the parent unit", "کد واحد بالاتر"),
    ("population", "integer", "Population", "جمعیت"),
    ("synthetic", "boolean", "Synthetic demo data", "داده نمایشی ساختگی"),
    ("valid_from", "date", "Boundary valid from", "اعتبار مرز از"),
)
_RESERVED = {"fid", "featureid", "geom"}
#: Indicator domains whose values low-zoom tiles carry by default (sector jobs, target
#: community classes and context figures would make national tiles too heavy).
HEADLINE_DOMAINS = ("capacity", "deprivation")


@dataclass(frozen=True)
class Property:
    """One queryable, returnable property of a collection.

    ``column`` properties are columns of the collection's relation; ``extra`` ones are
    keys of ``pishraft_unit_properties`` (numbers).
    """

    name: str
    kind: str  # catalogue column type: integer, float, text, boolean, date, datetime
    title: str
    source: Literal["column", "extra"] = "column"
    #: Carried by low-zoom tiles by default: the headline capacity and deprivation measures.
    headline: bool = False
    #: The Persian title, where there is one (indicators, unit columns).
    title_fa: str | None = None

    @property
    def json_type(self) -> str:
        return _COLUMN_TYPES[self.kind][0]

    @property
    def json_format(self) -> str | None:
        return _COLUMN_TYPES[self.kind][1]

    @property
    def sql_type(self) -> str:
        return _COLUMN_TYPES[self.kind][2]


@dataclass(frozen=True)
class Collection:
    """A collection: its id, description, properties and where its features live."""

    id: str
    title: str
    description: str
    storage: Literal["admin", "vector", "raster"]
    version: int
    bbox: tuple[float, float, float, float] | None
    properties: tuple[Property, ...] = ()
    level: str | None = None
    table_name: str | None = None
    raster_path: str | None = None
    geometry_type: str | None = None
    #: The date/datetime property that ``datetime=`` filters on, if any.
    temporal: str | None = None
    #: Zoom from which tiles carry every property by default (see ``DETAIL_ZOOM``).
    detail_zoom: int = 0
    #: Raster: the colour scale of band 1 stored at ingest (2nd–98th percentile), if any.
    raster_scale: tuple[float, float] | None = None
    #: Administrative: whether its coalesced tile features are fresh. ``False`` while a change
    #: to the level waits for the background refresh (``spatial.serving.freshness``): its
    #: tiles are then drawn from the exact boundaries at every zoom.
    coalesced: bool = True

    def __hash__(self) -> int:
        # Caches on the tile path hash a collection per request; hashing every property
        # would cost more than the lookup. Equal collections share these fields.
        return hash((self.id, self.version, self.storage, self.table_name, len(self.properties), self.coalesced))

    @property
    def is_vector(self) -> bool:
        return self.storage != "raster"

    def tile_properties(self, z: int) -> tuple[Property, ...] | None:
        """The properties tiles at zoom ``z`` carry by default (``None``: all)."""
        if z >= self.detail_zoom:
            return None
        return tuple(p for p in self.properties if p.name in LOW_ZOOM_COLUMNS or p.headline)

    def property_named(self, name: str) -> Property | None:
        """The property called ``name``, or ``None``."""
        return next((p for p in self.properties if p.name == name), None)

    def relation(self) -> sql.Composed:
        """The SQL relation of the features (``fid``, ``featureid``, ``geom``, columns)."""
        columns = [p for p in self.properties if p.source == "column"]
        if self.storage == "admin":
            assert self.level is not None
            picked = sql.SQL(", ").join(
                sql.SQL("p.code AS parent_code") if p.name == "parent_code" else sql.SQL("u.{}").format(sql.Identifier(p.name))
                for p in columns
            )
            return sql.SQL(
                "SELECT u.id AS fid, u.code AS featureid, u.geom, {} FROM admin_unit u "
                "LEFT JOIN admin_unit p ON p.id = u.parent_id WHERE u.level = {} AND u.valid_to IS NULL"
            ).format(picked, sql.Literal(self.level))
        if self.storage == "vector":
            assert self.table_name is not None
            picked = sql.SQL("").join(sql.SQL(", t.{}").format(sql.Identifier(p.name)) for p in columns)
            return sql.SQL("SELECT t.fid, t.fid AS featureid, t.geom{} FROM {} t").format(
                picked, sql.Identifier("layers", self.table_name)
            )
        raise NotFound(f"Collection '{self.id}' is a raster layer; it has map tiles, not features.",
                       field="collectionId")


_lock = threading.Lock()
_cached: tuple[int, dict[str, Collection]] | None = None


def catalogue(session: Session) -> dict[str, Collection]:
    """Every collection by id: the four admin levels, then the layers by slug.

    Read from the database once per data generation and kept in memory.
    """
    global _cached
    generation = data_generation(session)
    cached = _cached
    if cached is not None and cached[0] == generation:
        return cached[1]
    collections = _read_catalogue(session)
    with _lock:
        cached = _cached
        if cached is not None:
            if cached[0] == generation:
                return cached[1]  # read meanwhile by another thread: one set of objects per generation
            if cached[0] > generation:
                return collections  # a newer catalogue is held already
            # Unchanged collections keep their identity: caches keyed by a collection (the
            # tile path's) then find it at once instead of comparing every property.
            collections = {cid: old if (old := cached[1].get(cid)) == c else c for cid, c in collections.items()}
        _cached = (generation, collections)
    return collections


def remembered_collection(collection_id: str, generation: int) -> Collection | None:
    """The collection from the in-memory catalogue of ``generation``, if that is the one held."""
    cached = _cached
    if cached is None or cached[0] != generation:
        return None
    return cached[1].get(collection_id)


def get_collection(session: Session, collection_id: str) -> Collection:
    """The collection ``collection_id``; :class:`NotFound` naming the known ones otherwise."""
    collections = catalogue(session)
    found = collections.get(collection_id)
    if found is None:
        raise NotFound(
            f"No collection '{collection_id}'. Known collections: {', '.join(collections)} (GET /collections).",
            field="collectionId",
        )
    return found


def _read_catalogue(session: Session) -> dict[str, Collection]:
    extents = {
        r.level: (r.xmin, r.ymin, r.xmax, r.ymax)
        for r in session.execute(text(
            """SELECT level, ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
               FROM (SELECT level, ST_Extent(geom) AS e FROM admin_unit WHERE valid_to IS NULL GROUP BY level) x"""
        ))
    }
    indicators = {r.code: r for r in session.execute(text(
        "SELECT code, name_en, name_fa, domain FROM indicator ORDER BY code"))}
    # Keys the property function yields beyond the indicators (index scores, when added).
    sampled = session.execute(text(
        """SELECT DISTINCT k FROM (SELECT DISTINCT ON (level) id FROM admin_unit WHERE valid_to IS NULL
                                   ORDER BY level, id) u,
                  LATERAL jsonb_object_keys(pishraft_unit_properties(u.id)) AS k"""
    )).scalars().all()
    # Marked by the same transaction that changed the level, so as new as the generation read.
    stale = stale_marks(session, "tiles")
    base = tuple(Property(name, kind, title, title_fa=fa) for name, kind, title, fa in _UNIT_COLUMNS)
    taken = {p.name for p in base}
    extra = tuple(
        Property(key, "float", indicators[key].name_en if key in indicators else key, source="extra",
                 headline=key not in indicators or indicators[key].domain in HEADLINE_DOMAINS,
                 title_fa=indicators[key].name_fa if key in indicators else None)
        for key in sorted(set(indicators) | set(sampled)) if key not in taken
    )
    collections: dict[str, Collection] = {}
    for collection_id, level in ADMIN_COLLECTIONS.items():
        en, fa = _ADMIN_TITLES[collection_id]
        collections[collection_id] = Collection(
            id=collection_id, title=en, storage="admin", version=1, bbox=extents.get(level),
            description=f"{fa} — administrative units at level '{level}' (current boundaries) "
                        "with the latest value of every indicator.",
            properties=base + extra, level=level, geometry_type="MultiPolygon",
            detail_zoom=DETAIL_ZOOM[collection_id], coalesced=level not in stale,
        )
    for layer in list_layers(session):
        if layer.slug in collections:
            continue  # an admin collection id wins; the slug stays reachable in the catalogue API
        properties = tuple(
            Property(c["name"], c.get("type", "text") if c.get("type") in _COLUMN_TYPES else "text",
                     c.get("label") or c["name"])
            for c in layer.columns or () if c.get("name") and c["name"] not in _RESERVED
        )
        temporal = next((p.name for p in properties if p.kind in ("date", "datetime")), None)
        bbox = layer.bbox
        collections[layer.slug] = Collection(
            id=layer.slug, title=layer.title, storage=cast(Literal["vector", "raster"], layer.storage), version=layer.version,
            description=f"{layer.kind} layer ({layer.storage})",
            bbox=(bbox[0], bbox[1], bbox[2], bbox[3]) if bbox and len(bbox) == 4 else None,
            properties=properties if layer.storage == "vector" else (),
            table_name=layer.table_name, raster_path=layer.raster_path,
            geometry_type=layer.geometry_type, temporal=temporal,
            raster_scale=_percentile_scale(next(iter((layer.details or {}).get("statistics") or ()), None)),
        )
    return collections


def _percentile_scale(statistics: dict[str, Any] | None) -> tuple[float, float] | None:
    """The stored 2nd–98th percentile of a raster band, when there is a usable one."""
    if not statistics:
        return None
    low, high = statistics.get("p2"), statistics.get("p98")
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and high > low:
        return (float(low), float(high))
    return None
