"""OGC API – Features queries: pages of GeoJSON features with filters, built in SQL.

Parameters are parsed here (``parse_*``), raising :class:`InvalidParameter` (HTTP 400)
with a message that says what is wrong. Features are serialised to GeoJSON by PostGIS
and returned as text, so a page of 10,000 features never becomes Python objects.

Examples
--------
>>> query = FeatureQuery(limit=5, bbox=parse_bbox("51,35,52,36"))
>>> page = items(session, get_collection(session, "counties"), query)   # doctest: +SKIP
>>> page.number_matched                                                   # doctest: +SKIP
3
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, UTC
from typing import Any

from psycopg import sql
from sqlalchemy.orm import Session

from spatial.db.engine import driver_connection
from spatial.errors import InvalidParameter, NotFound
from spatial.serving.collections import Collection, Property
from spatial.serving.cql import Filter

#: A page when the client names no ``limit``: QGIS's and GDAL's own page of 100.
DEFAULT_LIMIT = 100
#: The largest page; a larger ``limit`` is answered with this many (and a ``next`` link).
MAX_LIMIT = 10_000
#: Query parameters with a meaning of their own; any other one is a property filter.
RESERVED_PARAMETERS = frozenset({"f", "limit", "offset", "cursor", "bbox", "bbox-crs", "datetime", "properties",
                                 "api_key", "crs", "sortby", "filter", "filter-lang", "filter-crs"})

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class FeatureQuery:
    """What a client asked of ``/items``."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: BBox | None = None
    interval: tuple[datetime | date | None, datetime | date | None] | None = None
    filters: tuple[tuple[Property, Any], ...] = ()
    properties: tuple[Property, ...] | None = None  # None: all
    #: Keyset paging: the page starts after the feature whose ``fid`` is this (``offset``
    #: then only counts the features before the page, for the ``prev`` link).
    after: int | None = None
    #: ``sortby``: properties and whether descending; the feature id breaks ties.
    sortby: tuple[tuple[Property, bool], ...] = ()
    cql: Filter | None = None


@dataclass(frozen=True)
class FeaturePage:
    """One page of features: the GeoJSON ``features`` array as text, and the counts."""

    features_json: str
    number_matched: int
    number_returned: int
    #: The ``fid`` of the page's last feature: the keyset cursor of the next page.
    last_fid: int | None = None


def parse_cursor(value: str | None) -> int | None:
    """``cursor``: the keyset of a ``next`` link, the id of the last feature before the page.

    With a cursor, ``offset`` only says how many features came before the page (for the
    ``prev`` link); the page itself starts after the cursor, found through the index.
    """
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise InvalidParameter(f"cursor '{value}' is not one this server made; follow the next link as given, "
                               "or page with offset.", field="cursor")
    return int(value)


def parse_sortby(collection: Collection, value: str | None) -> tuple[tuple[Property, bool], ...]:
    """``sortby=+a,-b,c``: properties to order by, ``-`` for descending.

    A ``+`` that arrived unencoded in the URL reads as a space, and is taken as ``+``.
    """
    if value is None or not value.strip():
        return ()
    keys: list[tuple[Property, bool]] = []
    for part in value.split(","):
        name = part.strip()
        descending = name.startswith("-")
        name = name.lstrip("+-").strip()
        if not name:
            raise InvalidParameter(f"sortby '{value}' has an empty key; write e.g. sortby=-population,+code.",
                                   field="sortby")
        prop = collection.property_named(name)
        if prop is None:
            raise InvalidParameter(
                f"Collection '{collection.id}' has no property '{name}' to sort by. It has: "
                f"{', '.join(p.name for p in collection.properties)}.", field="sortby")
        keys.append((prop, descending))
    return tuple(keys)


def parse_bbox(value: str | None) -> BBox | None:
    """``bbox=minLon,minLat,maxLon,maxLat`` in CRS84 (a 6-number 3D box keeps its 2D part).

    Examples
    --------
    >>> parse_bbox("51,35,52,36")
    (51.0, 35.0, 52.0, 36.0)
    """
    if value is None or value == "":
        return None
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidParameter(
            f"bbox must be four numbers minLon,minLat,maxLon,maxLat; got '{value}'.", field="bbox"
        ) from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter(
            f"bbox must be four numbers minLon,minLat,maxLon,maxLat; got '{value}'.", field="bbox"
        )
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidParameter(
            f"bbox {value} is outside longitude -180..180 / latitude -90..90 (CRS84 degrees).", field="bbox"
        )
    if miny > maxy:
        raise InvalidParameter(f"bbox {value}: minLat is greater than maxLat.", field="bbox")
    if minx > maxx:
        raise InvalidParameter(
            f"bbox {value}: minLon is greater than maxLon (boxes across the antimeridian are not supported; "
            "send two requests).", field="bbox"
        )
    return (minx, miny, maxx, maxy)


def _instant(text_value: str) -> datetime | date | None:
    if text_value in ("", ".."):
        return None
    try:
        if "T" in text_value or "t" in text_value:
            moment = datetime.fromisoformat(text_value.replace("z", "Z").replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return date.fromisoformat(text_value)
    except ValueError:
        raise InvalidParameter(
            f"datetime '{text_value}' is not an RFC 3339 date or date-time (e.g. 2024-03-20 or "
            "2024-03-20T10:00:00Z).", field="datetime"
        ) from None


def parse_datetime(value: str | None) -> tuple[datetime | date | None, datetime | date | None] | None:
    """``datetime``: an instant or an interval ``start/end`` with ``..`` for open ends."""
    if value is None or value == "":
        return None
    if "/" in value:
        start_text, _, end_text = value.partition("/")
        start, end = _instant(start_text), _instant(end_text)
        if start is None and end is None:
            raise InvalidParameter("datetime '../..' bounds nothing; give at least one end.", field="datetime")
        if start is not None and end is not None and _as_datetime(start) > _as_datetime(end):
            raise InvalidParameter(f"datetime interval {value} ends before it starts.", field="datetime")
        return (start, end)
    moment = _instant(value)
    return (moment, moment)


def _as_datetime(moment: datetime | date) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


@lru_cache(maxsize=512)
def parse_properties(collection: Collection, value: str | None) -> tuple[Property, ...] | None:
    """``properties=a,b``: the properties to return, each one the collection has.

    Cached: every tile request of a map asks the same question.
    """
    if value is None:
        return None
    chosen: list[Property] = []
    for name in (n.strip() for n in value.split(",")):
        if not name:
            continue
        prop = collection.property_named(name)
        if prop is None:
            raise InvalidParameter(
                f"Collection '{collection.id}' has no property '{name}'. It has: "
                f"{', '.join(p.name for p in collection.properties)}.", field="properties"
            )
        if prop not in chosen:
            chosen.append(prop)
    return tuple(chosen)


def _typed(prop: Property, value: str) -> Any:
    try:
        if prop.kind == "integer":
            return int(value)
        if prop.kind == "float":
            return float(value)
        if prop.kind == "boolean":
            lowered = value.lower()
            if lowered not in ("true", "false"):
                raise ValueError
            return lowered == "true"
        if prop.kind == "date":
            return date.fromisoformat(value)
        if prop.kind == "datetime":
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(
            f"Property '{prop.name}' is of type {prop.kind}; '{value}' is not a valid {prop.kind}.", field=prop.name
        ) from None
    return value


def parse_filters(collection: Collection, params: Mapping[str, str]) -> tuple[tuple[Property, Any], ...]:
    """Equality filters ``name=value`` from the query parameters that are not reserved ones."""
    filters = []
    for name, value in params.items():
        if name in RESERVED_PARAMETERS:
            continue
        prop = collection.property_named(name)
        if prop is None:
            raise InvalidParameter(
                f"Unknown query parameter '{name}': collection '{collection.id}' has no such property. "
                f"Filter on one of: {', '.join(p.name for p in collection.properties)}.", field=name
            )
        filters.append((prop, _typed(prop, value)))
    return tuple(filters)


def _where(collection: Collection, query: FeatureQuery) -> tuple[sql.Composable, dict[str, Any]]:
    clauses: list[sql.Composable] = [sql.SQL("TRUE")]
    params: dict[str, Any] = {}
    if query.bbox is not None:
        clauses.append(sql.SQL(
            "s.geom && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326) AND "
            "ST_Intersects(s.geom, ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326))"
        ))
        params.update(zip(("minx", "miny", "maxx", "maxy"), query.bbox, strict=True))
    if query.interval is not None:
        if collection.temporal is None:
            raise InvalidParameter(
                f"Collection '{collection.id}' has no date or time property, so datetime cannot filter it.",
                field="datetime",
            )
        column = sql.SQL("s.{}").format(sql.Identifier(collection.temporal))
        start, end = query.interval
        if start is not None:
            clauses.append(sql.SQL("{} >= %(t_start)s").format(column))
            params["t_start"] = start
        if end is not None:
            clauses.append(sql.SQL("{} <= %(t_end)s").format(column))
            params["t_end"] = end
    if query.cql is not None:
        clauses.append(query.cql.where)
        params.update(query.cql.params)
    for i, (prop, value) in enumerate(query.filters):
        key = f"f{i}"
        params[key] = value
        if prop.source == "extra":
            params[f"{key}_name"] = prop.name
            clauses.append(sql.SQL("(pishraft_unit_properties(s.fid) ->> {})::double precision = {}").format(
                sql.Placeholder(f"{key}_name"), sql.Placeholder(key)))
        else:
            clauses.append(sql.SQL("s.{} = CAST({} AS {})").format(
                sql.Identifier(prop.name), sql.Placeholder(key), sql.SQL(prop.sql_type)))
    return sql.SQL(" AND ").join(clauses), params


def chosen_extras(collection: Collection, chosen: Sequence[Property] | None) -> list[Property] | None:
    """The extra (function-made) properties among ``chosen``; ``None`` means all of them."""
    if chosen is None:
        return None
    extras = [p for p in chosen if p.source == "extra"]
    return None if len(extras) == sum(p.source == "extra" for p in collection.properties) else extras


def extra_properties_sql(source: sql.Composable, extras: list[Property] | None) -> sql.Composable:
    """The jsonb ``source`` of a unit's extra properties, cut down to ``extras`` (``None``: all)."""
    if extras is None:
        return sql.SQL("coalesce({}, '{{}}'::jsonb)").format(source)
    if not extras:
        return sql.SQL("'{}'::jsonb")
    return sql.SQL(
        "(SELECT coalesce(jsonb_object_agg(key, value), '{{}}') FROM jsonb_each({}) WHERE key = ANY({}))"
    ).format(source, sql.Literal([p.name for p in extras]))


def properties_sql(collection: Collection, chosen: Sequence[Property] | None, alias: str = "s", *,
                   with_extras: bool = True) -> sql.Composable:
    """A jsonb expression of the chosen properties of row ``alias`` (all when ``None``).

    Extra properties come from ``pishraft_unit_properties(fid)``, row by row; leave them
    out with ``with_extras=False`` to join them set-wise instead (tiles do).
    """
    props = list(collection.properties if chosen is None else chosen)
    columns = [p for p in props if p.source == "column"]
    parts: list[sql.Composable] = []
    if columns:
        # to_jsonb over a sub-select has no argument limit, unlike jsonb_build_object.
        parts.append(sql.SQL("(SELECT to_jsonb(r) FROM (SELECT {}) r)").format(
            sql.SQL(", ").join(sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(p.name)) for p in columns)
        ))
    if with_extras and any(p.source == "extra" for p in props):
        parts.append(extra_properties_sql(
            sql.SQL("pishraft_unit_properties({}.fid)").format(sql.Identifier(alias)), chosen_extras(collection, chosen)))
    if not parts:
        return sql.SQL("'{}'::jsonb")
    return sql.SQL(" || ").join(parts)


def _feature_sql(collection: Collection, chosen: Sequence[Property] | None) -> sql.Composable:
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', s.featureid, "
        "'geometry', ST_AsGeoJSON(s.geom, 7)::json, 'properties', {})::text"
    ).format(properties_sql(collection, chosen))


def sort_key_sql(prop: Property, alias: str = "s") -> sql.Composable:
    """The SQL value a property sorts (and filters) by."""
    if prop.source == "extra":
        return sql.SQL("(pishraft_unit_properties({}.fid) ->> {})::double precision").format(
            sql.Identifier(alias), sql.Literal(prop.name))
    return sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(prop.name))


def _order(query: FeatureQuery, alias: str) -> sql.Composable:
    keys = [sql.SQL("{} {}").format(sort_key_sql(p, alias), sql.SQL("DESC NULLS LAST" if desc else "ASC NULLS LAST"))
            for p, desc in query.sortby]
    return sql.SQL(", ").join([*keys, sql.SQL("{}.fid").format(sql.Identifier(alias))])


def items(session: Session, collection: Collection, query: FeatureQuery) -> FeaturePage:
    """A page of ``collection``'s features matching ``query``, ordered by ``sortby`` then feature id.

    The page's rows are found first (by keyset ``after`` when given, else ``offset``) and
    only they are made into GeoJSON, so a deep page costs what a first one does. The page
    and ``numberMatched`` come from one statement: one round trip, and one snapshot even
    outside a transaction.
    """
    where, params = _where(collection, query)
    paged_where = where
    if query.after is not None:
        paged_where = sql.SQL("{} AND s.fid > %(after)s").format(where)
        params["after"] = query.after
    relation = collection.relation()
    statement = sql.SQL(
        "SELECT page.features, page.returned, page.last, (SELECT count(*) FROM ({relation}) s WHERE {where}) FROM ("
        "SELECT coalesce(string_agg(feature, ',' ORDER BY n), '') AS features, count(*) AS returned, "
        "(array_agg(fid ORDER BY n DESC))[1] AS last FROM ("
        "SELECT s.fid, row_number() OVER () AS n, {feature} AS feature FROM ("
        "SELECT s.* FROM ({relation}) s WHERE {paged_where} ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) s"
        ") rows) page"
    ).format(feature=_feature_sql(collection, query.properties), relation=relation, where=where,
             paged_where=paged_where, order=_order(query, "s"))
    offset = 0 if query.after is not None else query.offset
    # An aggregate over the page: exactly one row.
    features, returned, last, matched = driver_connection(session).execute(
        statement, {**params, "limit": query.limit, "offset": offset}).fetchall()[0]
    return FeaturePage(features_json=features, number_matched=int(matched), number_returned=int(returned),
                       last_fid=None if last is None else int(last))


def feature(session: Session, collection: Collection, feature_id: str,
            properties: Sequence[Property] | None = None) -> str:
    """One feature as GeoJSON text; :class:`NotFound` when ``collection`` has no such id."""
    key: Any = feature_id
    if collection.storage == "vector":
        try:
            key = int(feature_id)
        except ValueError:
            key = None
    row = None
    if key is not None:
        row = driver_connection(session).execute(
            sql.SQL("SELECT {} FROM ({}) s WHERE s.featureid = %(id)s").format(
                _feature_sql(collection, properties), collection.relation()),
            {"id": key},
        ).fetchone()
    if row is None:
        raise NotFound(f"Collection '{collection.id}' has no feature '{feature_id}'.", field="featureId")
    return str(row[0])
