"""Mapbox Vector Tiles from PostGIS, in the WebMercatorQuad tile matrix set.

One SQL statement per tile: ``ST_TileEnvelope`` for the bounds, a ``&&`` filter that
uses the GiST index, ``ST_AsMVTGeom`` to clip and quantise, ``ST_AsMVT`` to encode.
Low zooms stay small and fast through generalisation:

- administrative units up to zoom 10 (:data:`GENERALISED_MAX_ZOOM`) read
  ``admin_unit_coalesced_tile`` (:mod:`spatial.serving.coalesce`): per tile, the units of
  the level simplified as one coverage and already quantised for that tile, units too
  small to draw merged with their small neighbours of the same parent. A tile is
  ``ST_AsMVT`` over its rows: at zoom 5 a tile of 50,000 neighbourhoods holds every one
  of them, alone or merged, and stays far under :data:`TILE_BUDGET_BYTES`. A level whose
  boundaries or values changed since (``Collection.coalesced`` false, until the background
  refresh of :mod:`spatial.serving.freshness`) is drawn from its exact boundaries instead,
  as above zoom 10: never an outdated tile;
- layer lines and polygons are simplified to half a tile pixel of the requested zoom
  before clipping;
- below a level's detail zoom (``spatial.serving.collections.DETAIL_ZOOM``) unit tiles carry only
  the code and the headline (capacity and deprivation) indicator values unless
  ``properties=`` asks for more.

Rendered tiles go through :mod:`spatial.serving.tile_cache`, keyed by data generation and
layer version. The statement returns the generation it saw next to the tile, so that a
renderer that trusted a remembered generation learns whether the data moved on.

Examples
--------
>>> tile, _ = cached_vector_tile(session, get_collection(session, "provinces"), 5, 12, 20)  # doctest: +SKIP
>>> len(tile.body) < 500_000                                                              # doctest: +SKIP
True
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from psycopg import sql
from sqlalchemy.orm import Session

from spatial.serving.collections import Collection, Property, remembered_collection
from spatial.db.engine import driver_connection
from spatial.serving.cql import Filter
from spatial.errors import NotFound
from spatial.serving.features import chosen_extras, extra_properties_sql, parse_properties, properties_sql
from spatial.serving.generation import GENERATION_SQL, data_generation, remember_generation, remembered_generation
from spatial.models.generalised import GENERALISED_MAX_ZOOM
from spatial.serving.tile_cache import CachedTile, tile_cache

TILE_MATRIX_SET = "WebMercatorQuad"
MIN_ZOOM = 0
MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
#: Tile-extent units per screen pixel of a 256-pixel tile.
SCREEN_PIXEL = EXTENT // 256
#: Largest tile worth sending (the coalescing keeps administrative tiles under it).
TILE_BUDGET_BYTES = 500_000
#: TileJSON's words for the fields every administrative tile feature carries.
COALESCED_FIELDS = {
    "units": f"Number: how many units this feature holds. 1 for a unit drawn alone; up to zoom "
             f"{GENERALISED_MAX_ZOOM}, units too small to draw are merged with their small neighbours of the same "
             "parent, and the merged feature has no code, the parent's code and its values rolled up "
             "(population and counts summed, rates weighted by population)",
    "parent": "String: the code of the parent unit of the unit(s) this feature holds",
}
#: Column properties a merged feature carries rolled up (summed), beside the indicator values.
ROLLED_UP_COLUMNS = ("population",)
#: Width of the whole Web Mercator square, in metres.
WORLD_M = 2 * math.pi * 6378137.0


def check_tile(tile_matrix_set: str, z: int, y: int, x: int) -> None:
    """Raise :class:`NotFound` unless (z, y, x) is a tile of WebMercatorQuad up to ``MAX_ZOOM``."""
    if tile_matrix_set != TILE_MATRIX_SET:
        raise NotFound(f"Unknown tile matrix set '{tile_matrix_set}'; Pishraft serves {TILE_MATRIX_SET}.",
                       field="tileMatrixSetId")
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise NotFound(f"Tile matrix {z} is outside {TILE_MATRIX_SET} as served here ({MIN_ZOOM}–{MAX_ZOOM}).",
                       field="tileMatrix")
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        raise NotFound(f"Tile {z}/{y}/{x} is outside tile matrix {z}: row and column run from 0 to {side - 1}.",
                       field="tileRow" if not 0 <= y < side else "tileCol")


def pixel_m(z: int) -> float:
    """Size of one tile-extent unit at zoom ``z``, in Web Mercator metres."""
    return WORLD_M / (1 << z) / EXTENT


def tile_sql(collection: Collection, z: int, properties: Sequence[Property] | None,
             where: sql.Composable | None = None) -> sql.Composed:
    """The one statement that renders a tile of ``collection`` at zoom ``z``.

    Its parameters are :func:`tile_parameters`. It yields one row: the MVT bytes (NULL
    when no feature touches the tile) and the data generation the statement saw. An
    administrative tile up to zoom 10 is ``ST_AsMVT`` over its rows of
    ``admin_unit_coalesced_tile`` (see :mod:`spatial.serving.coalesce`): units drawn alone
    carry their properties, merged ones the values rolled up, and every feature ``units``
    and ``parent``. Exposed so the benchmark's SQL floor runs exactly what the server
    runs. ``where`` (a CQL2 filter's fragment over row ``s``, see :mod:`spatial.serving.cql`)
    keeps only the features it admits (a merged feature has no row ``s``: a filtered
    tile holds units alone); its parameters join the tile's.
    """
    chosen = list(collection.properties if properties is None else properties)
    admitted = sql.SQL("") if where is None else sql.SQL(" AND {}").format(where)
    extras = any(p.source == "extra" for p in chosen)
    # A level changed since its tiles were coalesced is drawn exact until they are rebuilt.
    coalesced = collection.storage == "admin" and z <= GENERALISED_MAX_ZOOM and collection.coalesced
    if extras:  # merged with the indicator values below, as one jsonb
        props: sql.Composable = sql.SQL(", {} AS props").format(
            properties_sql(collection, properties, with_extras=False))
        encoded = [sql.Identifier("props")]
    else:  # plain columns: ST_AsMVT encodes them faster than it unpacks a jsonb
        props = sql.SQL("").join(sql.SQL(", {}").format(_tile_column(p, coalesced)) for p in chosen)
        encoded = [sql.Identifier(p.name) for p in chosen]
        if collection.storage == "admin":
            encoded += [sql.Identifier("units"), sql.Identifier("parent")]
    if coalesced:
        # Quantised for this very tile when precomputed: one index lookup, no geometry work.
        bounds: sql.Composable = sql.SQL("")
        features = sql.SQL(
            "SELECT c.unit_id AS fid, c.geom, c.units, c.parent, c.rollup{props} "
            "FROM admin_unit_coalesced_tile c LEFT JOIN ({relation}) s ON s.fid = c.unit_id "
            "WHERE c.level = {level} AND c.zoom = {z} AND c.x = %(x)s AND c.y = %(y)s{admitted}"
        ).format(props=props, relation=collection.relation(), level=sql.Literal(collection.level),
                 z=sql.Literal(z), admitted=admitted)
    else:
        bounds = sql.SQL(
            "b AS MATERIALIZED (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env, "
            "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin}), 4326) AS env_4326), "
        ).format(margin=sql.Literal(BUFFER / EXTENT))
        geom: sql.Composable = sql.SQL("ST_Transform(s.geom, 3857)")
        if (collection.geometry_type or "").lower().replace("multi", "") in ("linestring", "polygon") and z < 16:
            # Half a pixel: nothing visible is lost, much less is clipped and encoded.
            geom = sql.SQL("ST_Simplify({}, {}, true)").format(geom, sql.Literal(pixel_m(z) / 2))
        if collection.storage == "admin":  # every unit alone: the same fields as merged tiles
            props = sql.SQL(", 1 AS units, s.parent_code AS parent{}").format(props)
        features = sql.SQL(
            "SELECT s.fid, ST_AsMVTGeom({geom}, b.env, {extent}, {buffer}, true) AS geom{props} "
            "FROM b, ({relation}) s WHERE s.geom && b.env_4326{admitted}"
        ).format(geom=geom, extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), props=props,
                 relation=collection.relation(), admitted=admitted)
    rows: sql.Composable
    if extras:
        extra_names = chosen_extras(collection, properties)
        source: sql.Composable = sql.SQL("x.properties")
        merged: sql.Composable = sql.SQL("")
        if collection.storage == "admin":  # the count and parent go with every feature
            merged = sql.SQL(" || jsonb_build_object('units', f.units, 'parent', f.parent)")
        if coalesced:
            # A merged feature's values are its rollup.
            source = sql.SQL("coalesce(x.properties, f.rollup)")
            rolled_columns = [p.name for p in chosen if p.source == "column" and p.name in ROLLED_UP_COLUMNS]
            if rolled_columns:
                merged = sql.SQL(
                    " || (SELECT coalesce(jsonb_object_agg(key, value), '{{}}') FROM jsonb_each(f.rollup) "
                    "WHERE key = ANY({}))"
                ).format(sql.Literal(rolled_columns)) + merged
        # Indicator values for all the tile's units in one set-based call, not one call per unit.
        rows = sql.SQL(
            "SELECT f.fid, f.geom, f.props || {extra}{merged} AS props FROM f "
            "LEFT JOIN pishraft_units_properties(ARRAY(SELECT fid FROM f WHERE geom IS NOT NULL AND fid IS NOT NULL)) x "
            "ON x.unit_id = f.fid WHERE f.geom IS NOT NULL"
        ).format(extra=extra_properties_sql(source, extra_names), merged=merged)
    else:
        rows = sql.SQL("SELECT * FROM f WHERE f.geom IS NOT NULL")
    columns = sql.SQL(", ").join([sql.Identifier("fid"), sql.Identifier("geom"), *encoded])
    tile = sql.SQL(
        # Features in id order: the same tile has the same bytes (and ETag) whichever plan, path or worker drew it.
        "(SELECT ST_AsMVT(t, {layer}, {extent}, 'geom', 'fid' ORDER BY t.fid) AS mvt FROM (SELECT {columns} FROM r) t)"
    ).format(layer=sql.Literal(collection.id), extent=sql.Literal(EXTENT), columns=columns)
    return sql.SQL(
        "WITH {bounds}f AS MATERIALIZED ({features}), r AS {kept} ({rows}) "
        "SELECT {tile}, ({generation})"
    ).format(bounds=bounds, features=features, rows=rows, tile=tile, generation=sql.SQL(GENERATION_SQL),
             # The indicator values are looked up once; plain rows are only a filter on f.
             kept=sql.SQL("MATERIALIZED" if extras else "NOT MATERIALIZED"))


def tile_parameters(z: int, y: int, x: int) -> dict[str, int]:
    """The parameters of a :func:`tile_sql` statement for tile (z, y, x)."""
    return {"z": z, "x": x, "y": y}


def _tile_column(prop: Property, coalesced: bool = False) -> sql.Composable:
    column: sql.Composable = sql.SQL("s.{}").format(sql.Identifier(prop.name))
    if coalesced and prop.name in ROLLED_UP_COLUMNS:  # a merged feature's is rolled up
        column = sql.SQL("coalesce({}, (c.rollup ->> {})::numeric::{})").format(
            column, sql.Literal(prop.name), sql.SQL(prop.sql_type))
    if prop.kind in ("date", "datetime"):
        # The JSON text of a date, as in the features API (not PostgreSQL's output format).
        column = sql.SQL("to_jsonb({}) #>> '{{}}'").format(column)
    return sql.SQL("{} AS {}").format(column, sql.Identifier(prop.name))


@lru_cache(maxsize=1024)
def _tile_statement(collection: Collection, z: int, properties: tuple[Property, ...] | None) -> str:
    # Composing and quoting the statement costs more than a small tile takes to render.
    return tile_sql(collection, z, properties).as_string()


def _checked_statement(collection: Collection, z: int, y: int, x: int,
                       properties: Sequence[Property] | None) -> str:
    """The tile statement, once ``collection`` and (z, y, x) are known to make a vector tile."""
    if not collection.is_vector:
        raise NotFound(f"Collection '{collection.id}' is a raster layer: use its map tiles "
                       f"(/collections/{collection.id}/map/tiles/{TILE_MATRIX_SET}/...).", field="collectionId")
    check_tile(TILE_MATRIX_SET, z, y, x)
    return _tile_statement(collection, z, None if properties is None else tuple(properties))


#: Tiles are fetched in PostgreSQL's binary format: as text, a bytea travels hex-encoded,
#: twice its size, and both ends pay for the conversion (a few milliseconds on a 400 KB tile).
BINARY_RESULTS = True


def _tile_row(row: tuple[Any, ...] | None) -> tuple[bytes, int]:
    return (bytes(row[0]) if row and row[0] is not None else b""), int(row[1] if row and row[1] is not None else 0)


def vector_tile(session: Session, collection: Collection, z: int, y: int, x: int,
                properties: Sequence[Property] | None = None, cql: Filter | None = None) -> bytes:
    """The MVT bytes of one tile (empty when no feature touches it), of the features ``cql`` admits."""
    return _vector_tile_row(session, collection, z, y, x, properties, cql)[0]


def _vector_tile_row(session: Session, collection: Collection, z: int, y: int, x: int,
                     properties: Sequence[Property] | None, cql: Filter | None) -> tuple[bytes, int]:
    """The tile's bytes and the data generation the statement saw."""
    statement = _checked_statement(collection, z, y, x, properties)
    params: dict[str, Any] = tile_parameters(z, y, x)
    if cql is not None:  # composed afresh: the cached statements are the unfiltered ones
        statement = tile_sql(collection, z, properties, cql.where).as_string()
        params |= cql.params
    raw = driver_connection(session)
    return _tile_row(raw.execute(statement, params, binary=BINARY_RESULTS).fetchone())


def cache_key(session: Session, collection: Collection, kind: str, z: int, y: int, x: int,
              options: tuple[Any, ...]) -> tuple[Any, ...]:
    """The tile-cache key: generation, collection, its version, kind, tile, rendering options."""
    return (data_generation(session), collection.id, collection.version, kind, z, y, x, options)


def mvt_key(generation: int, collection: Collection, z: int, y: int, x: int,
            properties: Sequence[Property] | None, cql: Filter | None = None) -> tuple[Any, ...]:
    """The tile-cache key of a vector tile (``properties=None``: the zoom's default set;
    a filter's key is part of it)."""
    return _mvt_key(generation, collection, z, y, x, _mvt_options(collection, z, properties, cql))


def _mvt_options(collection: Collection, z: int, properties: Sequence[Property] | None,
                 cql: Filter | None = None) -> tuple[Any, ...]:
    if properties is None:
        properties = collection.tile_properties(z)
    names = None if properties is None else tuple(p.name for p in properties)
    return (names,) if cql is None else (names, cql.key)


def _mvt_key(generation: int, collection: Collection, z: int, y: int, x: int,
             options: tuple[Any, ...]) -> tuple[Any, ...]:
    return (generation, collection.id, collection.version, "mvt", z, y, x, options)


def cached_vector_tile(session: Session, collection: Collection, z: int, y: int, x: int,
                       properties: Sequence[Property] | None = None,
                       cql: Filter | None = None) -> tuple[CachedTile, bool]:
    """The tile from the cache, rendering and storing it on a miss; and whether it was rendered.

    Without ``properties``, low zooms carry the collection's compact set (see
    :meth:`Collection.tile_properties`). With ``cql``, only the features it admits.
    """
    check_tile(TILE_MATRIX_SET, z, y, x)
    # The catalogue lookup that produced ``collection`` has just read the generation.
    generation = remembered_generation()
    key = mvt_key(data_generation(session) if generation is None else generation, collection, z, y, x, properties,
                  cql)
    if properties is None:
        properties = collection.tile_properties(z)
    chosen = properties

    def render() -> bytes:
        body, seen = _vector_tile_row(session, collection, z, y, x, chosen, cql)
        if seen < key[0]:
            raise _Behind(body, seen)
        return body

    try:
        return tile_cache().get_or_render(key, render)
    except _Behind as behind:
        # Read on a replica that has not replayed the newest change yet: the tile is of the
        # generation it saw, and is cached under that one, never under a newer number.
        body, older = behind.body, behind.generation
    return tile_cache().get_or_render(mvt_key(older, collection, z, y, x, chosen, cql), lambda: body)


class _Behind(Exception):
    """A tile rendered from data older than the generation it was asked under."""

    def __init__(self, body: bytes, generation: int) -> None:
        super().__init__(generation)
        self.body, self.generation = body, generation


@dataclass(frozen=True)
class RememberedTile:
    """A request for an unfiltered vector tile, resolved from memory alone: the collection of
    the remembered generation's catalogue, the tile's cache key and the statement that renders it."""

    collection: Collection
    z: int
    y: int
    x: int
    key: tuple[Any, ...]
    #: The statement that renders it (:func:`tile_sql`).
    statement: str


def remembered_tile(collection_id: str, z: int, y: int, x: int, properties: str | None) -> RememberedTile | None:
    """The tile asked for, when everything needed to find or render it is in memory (the
    generation read within ``PISHRAFT_TILE_CACHE_CHECK_S`` and that generation's catalogue), else
    ``None``. Raises :class:`NotFound` / :class:`InvalidParameter` for a tile outside the matrix
    or unknown properties."""
    generation = remembered_generation()
    collection = None if generation is None else remembered_collection(collection_id, generation)
    if generation is None or collection is None or not collection.is_vector:
        return None
    check_tile(TILE_MATRIX_SET, z, y, x)
    options, statement = _tile_recipe(collection, z, properties)
    return RememberedTile(collection, z, y, x, _mvt_key(generation, collection, z, y, x, options), statement)


@lru_cache(maxsize=1024)
def _tile_recipe(collection: Collection, z: int, properties: str | None) -> tuple[tuple[Any, ...], str]:
    """What every plain tile of ``collection`` at zoom ``z`` asked with ``properties=`` shares: its
    cache key's options and its statement. Cached: the tiles of a map ask alike."""
    chosen = parse_properties(collection, properties)
    carried = collection.tile_properties(z) if chosen is None else chosen
    return _mvt_options(collection, z, chosen), _tile_statement(collection, z, carried)


def peek_vector_tile(collection_id: str, z: int, y: int, x: int, properties: str | None) -> CachedTile | None:
    """The cached tile when everything needed is in memory (no database access), else ``None``.

    A hit costs no database round trip and no thread (see :func:`remembered_tile`). Raises
    :class:`NotFound` / :class:`InvalidParameter` for a tile outside the matrix or unknown properties.
    """
    asked = remembered_tile(collection_id, z, y, x, properties)
    return None if asked is None else tile_cache().get(asked.key)


#: Runs a statement with its parameters (binary results) and returns its one row.
FetchOne = Callable[[str, dict[str, Any]], Awaitable[tuple[Any, ...] | None]]


async def cached_vector_tile_on_loop(asked: RememberedTile, fetch_one: FetchOne) -> tuple[CachedTile, bool]:
    """The tile from the cache, or rendered with ``fetch_one`` on the event loop and stored;
    and whether it was rendered. Concurrent asks for one tile render once.

    ``fetch_one`` must read the primary: the generation the statement saw is remembered as read
    just now (so a busy server's renders keep it fresh), which a lagging replica's would not be.
    """
    async def render() -> bytes:
        body, seen = _tile_row(await fetch_one(asked.statement, tile_parameters(asked.z, asked.y, asked.x)))
        remember_generation(seen)
        return body

    return await tile_cache().get_or_render_async(asked.key, render)


def bounds_4326(collection: Collection) -> list[float]:
    """The collection's bbox, or the whole Web Mercator world."""
    return list(collection.bbox) if collection.bbox else [-180.0, -85.0511, 180.0, 85.0511]


def tilejson(collection: Collection, tiles_url: str, *, vector: bool, min_zoom: int = MIN_ZOOM,
             max_zoom: int = MAX_ZOOM) -> dict[str, Any]:
    """A TileJSON 3.0.0 document for ``collection`` whose tiles live at ``tiles_url``."""
    bounds = bounds_4326(collection)
    centre = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, min(max(min_zoom, 5), max_zoom)]
    document: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": collection.id,
        "description": collection.title,
        "version": f"{collection.version}.0.0",
        "attribution": "Pishraft",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": min_zoom,
        "maxzoom": max_zoom,
        "bounds": bounds,
        "center": centre,
    }
    if vector:
        document["vector_layers"] = [{
            "id": collection.id,
            "description": collection.title,
            "minzoom": min_zoom,
            "maxzoom": max_zoom,
            "fields": {p.name: _tilejson_type(p) for p in collection.properties},
        }]
        if collection.storage == "admin":
            document["vector_layers"][0]["fields"] |= COALESCED_FIELDS
    return document


def _tilejson_type(prop: Property) -> str:
    return {"integer": "Number", "float": "Number", "boolean": "Boolean"}.get(prop.kind, "String")
