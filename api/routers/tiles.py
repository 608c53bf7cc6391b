"""OGC API – Tiles: vector tiles (MVT) of every vector collection, PNG map tiles of raster
layers, their tileset metadata and TileJSON 3.0, in WebMercatorQuad."""

from __future__ import annotations

import time
from typing import Annotated, Any

import morecantile
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.deps import DbSession
from api.middleware import database_place
from api.ogc import JSON, MVT, PNG, OgcRoute, base_url, conditional, json_response, key_param, link, with_query
from spatial.serving import cql, raster_tiles, styles, tiles
from spatial.serving.collections import Collection, get_collection, remembered_collection
from spatial.db.engine import read_session
from spatial.errors import NotFound
from spatial.serving.features import parse_properties
from spatial.serving.generation import remembered_generation
from spatial.serving.tile_cache import CachedTile

router = APIRouter(tags=["OGC API – Tiles"], route_class=OgcRoute)

TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
CollectionId = Annotated[str, Path(description="A collection id from /collections", max_length=100)]
TmsId = Annotated[str, Path(description="Tile matrix set (WebMercatorQuad)")]
Z = Annotated[int, Path(description="Zoom level (tile matrix)")]
Row = Annotated[int, Path(description="Tile row (y)")]
Col = Annotated[int, Path(description="Tile column (x)")]
Properties = Annotated[str | None, Query(description="Comma-separated properties to put in the tiles")]
Rescale = Annotated[str | None, Query(description="min,max of the values stretched to the colour ramp")]
Colormap = Annotated[str | None, Query(description="Colour map name (viridis, rdylgn, …)")]
CqlFilter = Annotated[str | None, Query(alias="filter", max_length=20_000,
                                        description="A CQL2 filter: only the features it admits are in the tiles")]
FilterLang = Annotated[str | None, Query(alias="filter-lang", description="cql2-text (default) or cql2-json")]
FilterCrs = Annotated[str | None, Query(alias="filter-crs", description="CRS of the filter's geometries (CRS84)")]


def tiles_url(base: str, collection: Collection, principal: Principal, params: dict[str, str | None]) -> str:
    """The {z}/{y}/{x} URL template of a collection's tiles (vector, or PNG for rasters) for TileJSON.

    It carries the caller's partner key, so that a map library given only the TileJSON can fetch tiles.
    """
    kind = "tiles" if collection.is_vector else "map/tiles"
    suffix = "" if collection.is_vector else ".png"
    template = f"{base}/collections/{collection.id}/{kind}/{tiles.TILE_MATRIX_SET}/{{z}}/{{y}}/{{x}}{suffix}"
    return with_query(template, {**params, **key_param(principal)})


def _check_tms(tms: str) -> None:
    if tms != tiles.TILE_MATRIX_SET:
        raise NotFound(f"Unknown tile matrix set '{tms}'; Pishraft serves {tiles.TILE_MATRIX_SET}.",
                       field="tileMatrixSetId")


@router.get("/tileMatrixSets", summary="Tile matrix sets")
def tile_matrix_sets(request: Request, _: Principal = Depends(require("read"))) -> Response:
    base = base_url(request)
    document = {"tileMatrixSets": [{
        "id": tiles.TILE_MATRIX_SET, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
        "links": [link(f"{base}/tileMatrixSets/{tiles.TILE_MATRIX_SET}", TILING_SCHEME, JSON)],
    }]}
    return json_response(request, document, _)


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="A tile matrix set definition")
def tile_matrix_set(request: Request, tileMatrixSetId: TmsId, _: Principal = Depends(require("read"))) -> Response:
    _check_tms(tileMatrixSetId)
    definition = morecantile.tms.get(tiles.TILE_MATRIX_SET).model_dump(mode="json", exclude_none=True, by_alias=True)
    return json_response(request, definition, _)


def _vector(session: Session, collection_id: str) -> Collection:
    found = get_collection(session, collection_id)
    if not found.is_vector:
        raise NotFound(f"Collection '{found.id}' is a raster layer: its tiles are at "
                       f"/collections/{found.id}/map/tiles/{tiles.TILE_MATRIX_SET}.", field="collectionId")
    return found


def _tileset(base: str, found: Collection, principal: Principal) -> dict[str, Any]:
    url = f"{base}/collections/{found.id}/tiles/{tiles.TILE_MATRIX_SET}"
    key = key_param(principal)
    return {
        "title": f"{found.title} ({tiles.TILE_MATRIX_SET})",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link(with_query(url, key), "self", JSON, "This tileset"),
            link(f"{base}/tileMatrixSets/{tiles.TILE_MATRIX_SET}", TILING_SCHEME, JSON),
            link(with_query(f"{url}/tilejson.json", key), "describedby", JSON, "TileJSON"),
            link(with_query(f"{url}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", key), "item", MVT, "Tiles",
                 templated=True),
        ],
        "tileMatrixSetLimits": [],
        "layers": [{
            "id": found.id, "title": found.title, "dataType": "vector", "geometryDimension": 2,
            "minTileMatrix": str(tiles.MIN_ZOOM), "maxTileMatrix": str(tiles.MAX_ZOOM),
            "propertiesSchema": {"type": "object", "properties": {
                p.name: {"type": p.json_type, "title": p.title, **({"format": p.json_format} if p.json_format else {})}
                for p in found.properties}},
        }],
    }


@router.get("/collections/{collectionId}/tiles", summary="Vector tilesets of a collection")
def collection_tilesets(request: Request, collectionId: CollectionId, session: DbSession,
                        _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    found = _vector(session, collectionId)
    base = base_url(request)
    tileset = _tileset(base, found, _)
    summary = {k: tileset[k] for k in ("title", "dataType", "crs", "tileMatrixSetURI", "links")}
    document = {"links": [link(f"{base}/collections/{found.id}/tiles", "self", JSON)], "tilesets": [summary]}
    return json_response(request, document, _)


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}", summary="Vector tileset metadata")
def collection_tileset(request: Request, collectionId: CollectionId, tileMatrixSetId: TmsId,
                       session: DbSession,
                       _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    _check_tms(tileMatrixSetId)
    return json_response(request, _tileset(base_url(request), _vector(session, collectionId), _), _)


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json", summary="TileJSON 3.0 (vector)")
def vector_tilejson(request: Request, collectionId: CollectionId, tileMatrixSetId: TmsId,
                    session: DbSession,
                    properties: Properties = None, filter_: CqlFilter = None, filter_lang: FilterLang = None,
                    filter_crs: FilterCrs = None,
                    _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    _check_tms(tileMatrixSetId)
    found = _vector(session, collectionId)
    parse_properties(found, properties)
    cql.parse_filter(found, filter_, filter_lang, filter_crs)
    url = tiles_url(base_url(request), found, _, {"properties": properties, "filter": filter_,
                                                  "filter-lang": filter_lang, "filter-crs": filter_crs})
    return json_response(request, tiles.tilejson(found, url, vector=True), _)


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
            summary="A vector tile (Mapbox Vector Tile)", response_class=Response,
            responses={200: {"content": {MVT: {}}}, 204: {"description": "No feature in this tile"},
                       304: {"description": "Not modified"}})
async def vector_tile(request: Request, collectionId: CollectionId, tileMatrixSetId: TmsId, tileMatrix: Z,
                      tileRow: Row, tileCol: Col, properties: Properties = None, filter_: CqlFilter = None,
                      filter_lang: FilterLang = None, filter_crs: FilterCrs = None,
                      _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    """A vector tile. Most requests never reach this route: :class:`api.tile_path.VectorTilePath`
    answers them in front of the framework when memory settles the caller and the catalogue.
    Here come the others (filters, signed-in users, keys and catalogues not in memory, replicas,
    errors). A cache hit is answered on the event loop from memory; a miss, or a hit whose generation
    is due for a re-read, goes to a worker thread, which reads the generation and catalogue and
    renders once however many ask for the tile; only a render waits for a place under the
    concurrency limit (:func:`api.middleware.database_place`). ``Server-Timing`` says which
    (``tile;desc=hit`` or ``tile;desc=render;dur=<ms>``)."""
    tiles.check_tile(tileMatrixSetId, tileMatrix, tileRow, tileCol)
    started = time.perf_counter()
    # Filtered tiles are cached under their filter, and looked up in the thread.
    cached = None if filter_ else tiles.peek_vector_tile(collectionId, tileMatrix, tileRow, tileCol, properties)
    if cached is not None:
        tile, rendered = cached, False
    else:
        async with database_place(request.scope):  # a hit waits for no place in line; a render does
            tile, rendered = await run_in_threadpool(_render_vector_tile, collectionId, tileMatrix, tileRow, tileCol,
                                                     properties, (filter_, filter_lang, filter_crs))
    response = conditional(request, tile.body, MVT, _, etag=tile.etag, empty_status=204)
    response.headers["Server-Timing"] = (f"tile;desc=render;dur={(time.perf_counter() - started) * 1000:.1f}"
                                         if rendered else "tile;desc=hit")
    return response


def _render_vector_tile(collection_id: str, z: int, y: int, x: int, properties: str | None,
                        cql_filter: tuple[str | None, str | None, str | None]) -> tuple[CachedTile, bool]:
    with read_session() as session:
        # The catalogue of the generation read moments ago saves a round trip (as a hit trusts it).
        generation = remembered_generation()
        found = None if generation is None else remembered_collection(collection_id, generation)
        if found is None or not found.is_vector:
            found = _vector(session, collection_id)
        return tiles.cached_vector_tile(session, found, z, y, x, parse_properties(found, properties),
                                        cql.parse_filter(found, *cql_filter))


@router.get("/collections/{collectionId}/map/tiles/{tileMatrixSetId}/tilejson.json", summary="TileJSON 3.0 (raster)")
def raster_tilejson(request: Request, collectionId: CollectionId, tileMatrixSetId: TmsId,
                    session: DbSession,
                    rescale: Rescale = None, colormap: Colormap = None,
                    _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    _check_tms(tileMatrixSetId)
    found = get_collection(session, collectionId)
    raster_tiles.collection_raster(found)
    raster_tiles.parse_rescale(rescale)
    raster_tiles.parse_colormap(colormap)
    url = tiles_url(base_url(request), found, _, {"rescale": rescale, "colormap": colormap})
    document = tiles.tilejson(found, url, vector=False)
    asked = raster_tiles.parse_rescale(rescale)
    (low, high), source = (asked, "rescale parameter") if asked else raster_tiles.layer_scale(found)
    # Which values the grey levels (or colour map) span, the same on every tile.
    document["scale"] = {"band": 1, "min": low, "max": high, "source": source, "colormap": colormap}
    return json_response(request, document, _)


@router.get("/collections/{collectionId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}.png",
            summary="A map tile of a raster layer (PNG)", response_class=Response,
            responses={200: {"content": {PNG: {}}}, 204: {"description": "Outside the raster"}})
def raster_tile(request: Request, collectionId: CollectionId, tileMatrixSetId: TmsId, tileMatrix: Z,
                tileRow: Row, tileCol: Col, session: DbSession, rescale: Rescale = None, colormap: Colormap = None,
                _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    found = get_collection(session, collectionId)
    tiles.check_tile(tileMatrixSetId, tileMatrix, tileRow, tileCol)
    tile = raster_tiles.cached_raster_tile(session, found, tileMatrix, tileRow, tileCol,
                                           raster_tiles.parse_rescale(rescale), raster_tiles.parse_colormap(colormap))
    return conditional(request, tile.body, PNG, _, etag=tile.etag, empty_status=204)


@router.get("/collections/{collectionId}/styles", summary="Styles of a collection")
def collection_styles(request: Request, collectionId: CollectionId, session: DbSession,
                      _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    found = get_collection(session, collectionId)
    url = f"{base_url(request)}/collections/{found.id}/styles"
    document = {"styles": [{"id": "default", "title": f"{found.title}: Pishraft's default style", "links": [
        link(with_query(f"{url}/default", key_param(_)), "stylesheet", styles.STYLE_MEDIA_TYPE, "MapLibre style")]}],
        "links": [link(url, "self", JSON)]}
    return json_response(request, document, _)


@router.get("/collections/{collectionId}/styles/{styleId}", summary="A MapLibre style of a collection",
            response_class=Response, responses={200: {"content": {styles.STYLE_MEDIA_TYPE: {}}}})
def collection_style(request: Request, collectionId: CollectionId,
                     styleId: Annotated[str, Path(description="default", max_length=40)],
                     session: DbSession,
                     property: Annotated[str | None, Query(description="Numeric property an administrative "
                                                                        "level is coloured by")] = None,
                     _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    """A MapLibre (Mapbox GL v8) style: an indicator choropleth for administrative levels."""
    if styleId != "default":
        raise NotFound(f"No style '{styleId}'; collections have the style 'default'.", field="styleId")
    found = get_collection(session, collectionId)
    base = base_url(request)
    params: dict[str, str | None] = {}
    if found.storage == "admin":
        prop = styles.style_property(found, property)
        if not prop.headline:  # low-zoom tiles carry only the headline values unless asked
            params["properties"] = f"code,{prop.name}"
    kind = "tiles" if found.is_vector else "map/tiles"
    tilejson = with_query(f"{base}/collections/{found.id}/{kind}/{tiles.TILE_MATRIX_SET}/tilejson.json",
                          {**params, **key_param(_)})
    return json_response(request, styles.default_style(session, found, tilejson, property), _,
                         styles.STYLE_MEDIA_TYPE)
