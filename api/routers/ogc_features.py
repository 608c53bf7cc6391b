"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) over the collections of
:mod:`spatial.serving.collections`: the landing page at ``/``, conformance, collections, items."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime as Datetime
from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from api.auth import Principal, require
from api.deps import DbSession
from api.middleware import database_place
from api.ogc import (GEOJSON, HTML, JSON, MVT, OPENAPI, OgcRoute, base_url, conditional, html_document,
                     html_response, json_response, key_param, link, negotiate, prefers_plain_json, with_query)
from spatial.db import routing
from spatial.db.engine import read_session
from spatial.db.generation import DataState, read_data_state
from spatial.db.loop_reads import LoopConnections
from spatial.serving import cql, features
from spatial.serving.collections import Collection, catalogue, get_collection, remembered_collection
from spatial.serving.generation import fresh_data_state, remember_generation
from spatial.serving.item_pages import EncodedPage, page_cache
from spatial.serving.tiles import TILE_MATRIX_SET

router = APIRouter(tags=["OGC API – Features"], route_class=OgcRoute)

Format = Annotated[Literal["json", "html"] | None, Query(description="Response format (default JSON)")]
CollectionId = Annotated[str, Path(description="A collection id from /collections", max_length=100)]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/sortables",
    *cql.CONFORMANCE,
)
SCHEMA_JSON = "application/schema+json"


def _respond(request: Request, principal: Principal, f: str | None, title: str, document: dict[str, Any],
             media_type: str = JSON) -> Response:
    if negotiate(request, f) == "html":
        return html_response(request, title, document, principal)
    return json_response(request, document, principal, media_type, negotiated=True)


#: Where a browser that asks for ``/`` without ``?f=`` is sent: the workspace's home page.
WORKSPACE_HOME = "/home"


@router.get("/", summary="Landing page (OGC API)")
def landing(request: Request, f: Format = None, _: Principal = Depends(require("read"))) -> Response:
    """The partners' landing document (JSON, or HTML with ``?f=html``); a browser asking
    for ``/`` itself (``Accept`` preferring ``text/html``) is sent to the workspace."""
    if f is None and negotiate(request, f) == "html":
        target = WORKSPACE_HOME + ("?lang=en" if request.query_params.get("lang") == "en" else "")
        return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})
    base = base_url(request)
    document = {
        "title": "Pishraft",
        "description": "Administrative units with their indicators, and resource layers, for partners: "
                       "OGC API – Features and OGC API – Tiles.",
        "links": [
            link(f"{base}/", "self", JSON, "This document"),
            link(f"{base}/?f=html", "alternate", HTML, "This document as HTML"),
            link(f"{base}/openapi.json", "service-desc", OPENAPI, "The API definition (OpenAPI)"),
            link(f"{base}/docs", "service-doc", HTML, "The API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
            link(f"{base}/collections", "data", JSON, "Collections"),
            link(f"{base}/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", JSON,
                 "Tile matrix sets"),
            link(f"{base}{WORKSPACE_HOME}", "alternate", HTML, "The workspace (maps, units, roadmaps)"),
        ],
    }
    return _respond(request, _, f, "Pishraft", document)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, f: Format = None, _: Principal = Depends(require("read"))) -> Response:
    base = base_url(request)
    document = {"conformsTo": list(CONFORMANCE), "links": [link(f"{base}/conformance", "self", JSON)]}
    return _respond(request, _, f, "Conformance", document)


def collection_document(base: str, collection: Collection, principal: Principal) -> dict[str, Any]:
    """The OGC description of one collection, with links to its items and tiles."""
    url = f"{base}/collections/{collection.id}"
    key = key_param(principal)
    links = [link(with_query(url, key), "self", JSON, "This collection"),
             link(with_query(url, {"f": "html", **key}), "alternate", HTML, "This collection as HTML")]
    if collection.is_vector:
        links += [
            link(with_query(f"{url}/items", key), "items", GEOJSON, "Features"),
            link(with_query(f"{url}/queryables", key), "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                 SCHEMA_JSON, "Queryables (for filter and sortby)"),
            link(with_query(f"{url}/items", {"f": "html", **key}), "items", HTML, "Features as HTML"),
            link(with_query(f"{url}/tiles", key), "http://www.opengis.net/def/rel/ogc/1.0/vectorTiles", JSON,
                 "Vector tilesets"),
            link(with_query(f"{url}/tiles/{TILE_MATRIX_SET}/tilejson.json", key), "describedby", JSON, "TileJSON"),
            link(with_query(f"{url}/tiles/{TILE_MATRIX_SET}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", key),
                 "item", MVT, "Vector tiles", templated=True),
        ]
    else:
        links += [
            link(with_query(f"{url}/map/tiles/{TILE_MATRIX_SET}/tilejson.json", key), "describedby", JSON,
                 "TileJSON of the map tiles"),
            link(with_query(f"{url}/map/tiles/{TILE_MATRIX_SET}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}.png", key),
                 "item", "image/png", "Map tiles", templated=True),
        ]
    links.append(link(with_query(f"{url}/styles/default", key), "stylesheet", "application/vnd.mapbox.style+json",
                      "Default MapLibre style"))
    document: dict[str, Any] = {"id": collection.id, "title": collection.title,
                                "description": collection.description, "links": links, "crs": [CRS84]}
    if collection.bbox:
        document["extent"] = {"spatial": {"bbox": [list(collection.bbox)], "crs": CRS84}}
    if collection.is_vector:
        document["itemType"] = "feature"
    return document


@router.get("/collections", summary="The collections: administrative levels and layers")
def collections(request: Request, session: DbSession, f: Format = None,
                _: Principal = Depends(require("read"))) -> Response:
    base = base_url(request)
    document = {
        "links": [link(f"{base}/collections", "self", JSON), link(f"{base}/collections?f=html", "alternate", HTML)],
        # A partner key scoped to some collections sees only those.
        "collections": [collection_document(base, c, _) for c in catalogue(session).values()
                        if _.collections is None or c.id in _.collections],
    }
    return _respond(request, _, f, "Collections", document)


@router.get("/collections/{collectionId}", summary="One collection")
def collection(request: Request, collectionId: CollectionId, session: DbSession, f: Format = None,
               _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    found = get_collection(session, collectionId)
    return _respond(request, _, f, found.title, collection_document(base_url(request), found, _))


def _page_links(params: Mapping[str, str], url: str, page: features.FeaturePage,
                query: features.FeatureQuery) -> list:
    """self, alternate, and next/prev: ``next`` carries a keyset cursor (the page's last
    feature), so that following it costs the same at any depth; with ``sortby`` it pages
    by offset. ``params`` are the request's query parameters, carried on (the key among them)."""
    params = {k: v for k, v in params.items() if k not in ("f", "offset", "cursor", "limit")}
    skipped = query.offset
    here = {**params, "limit": query.limit, "offset": skipped or None, "cursor": query.after}
    links = [link(with_query(url, here), "self", GEOJSON, "This page"),
             link(with_query(url, {**here, "f": "html"}), "alternate", HTML, "This page as HTML")]
    if skipped + page.number_returned < page.number_matched and page.number_returned:
        after = {"offset": skipped + page.number_returned,
                 "cursor": page.last_fid if not query.sortby else None}
        links.append(link(with_query(url, {**params, "limit": query.limit, **after}), "next", GEOJSON, "Next page"))
    if skipped > 0:
        links.append(link(with_query(url, {**params, "offset": max(0, skipped - query.limit),
                                           "limit": query.limit}), "prev", GEOJSON, "Previous page"))
    return links


@router.get("/collections/{collectionId}/queryables", summary="Queryable properties (JSON Schema)",
            response_class=Response, responses={200: {"content": {SCHEMA_JSON: {}, HTML: {}}}})
def queryables(request: Request, collectionId: CollectionId, session: DbSession, f: Format = None,
               _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    """The properties ``filter`` and ``sortby`` may name: English titles, Persian ones as descriptions."""
    found = get_collection(session, collectionId)
    url = f"{base_url(request)}/collections/{found.id}/queryables"
    properties: dict[str, Any] = {"geometry": {
        "title": "Geometry", "description": "هندسه",
        "format": f"geometry-{found.geometry_type.lower()}" if found.geometry_type else "geometry-any",
        "x-ogc-role": "primary-geometry"}}
    for p in found.properties:
        schema: dict[str, Any] = {"title": p.title, "type": p.json_type}
        if p.json_format:
            schema["format"] = p.json_format
        if p.title_fa:
            schema["description"] = p.title_fa
            schema["x-title-fa"] = p.title_fa
        properties[p.name] = schema
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": url, "type": "object",
                "title": found.title, "properties": properties, "additionalProperties": False}
    if negotiate(request, f) == "html":
        rows = {"description": f"Queryables of {found.title}: "
                + ", ".join(f"{k} ({v.get('type', 'geometry')}: {v['title']}"
                            + (f" / {v['description']}" if v.get("description") else "") + ")"
                            for k, v in properties.items()),
                "links": [link(url, "self", SCHEMA_JSON)]}
        return html_response(request, f"{found.title}: queryables", rows, _)
    return json_response(request, document, _, SCHEMA_JSON, negotiated=True)


@dataclass(frozen=True)
class ItemsAsked:
    """What a request asked of ``/items``, as plain values a worker thread can read."""

    collection_id: str
    params: Mapping[str, str]
    #: The query string as sent: with the collection, the data state and the base URL, it names a page.
    query_string: str
    base: str
    html: bool
    limit: int
    offset: int
    cursor: str | None
    bbox: str | None
    datetime: str | None
    properties: str | None
    sortby: str | None
    filter_: str | None
    filter_lang: str | None
    filter_crs: str | None


def feature_query(found: Collection, asked: ItemsAsked) -> features.FeatureQuery:
    """What ``/items`` was asked, parsed and checked (400 with the parameter named otherwise)."""
    after = features.parse_cursor(asked.cursor)
    order = features.parse_sortby(found, asked.sortby)
    if order:
        after = None  # a sorted list pages by offset
    return features.FeatureQuery(
        limit=min(asked.limit, features.MAX_LIMIT), offset=asked.offset,
        bbox=features.parse_bbox(asked.bbox), interval=features.parse_datetime(asked.datetime),
        filters=features.parse_filters(found, asked.params),
        properties=features.parse_properties(found, asked.properties),
        after=after, sortby=order,
        cql=cql.parse_filter(found, asked.filter_, asked.filter_lang, asked.filter_crs),
    )


def _page_key(asked: ItemsAsked) -> tuple[str, str, str]:
    """What names a page within a data state: the collection, the base URL and the query string as
    sent (its key parameter among them: the links carry it). A collection's version needs no place:
    a replaced layer is a new data state."""
    return (asked.collection_id, asked.base, asked.query_string)


def _read_items(asked: ItemsAsked, primary_state: DataState | None) -> EncodedPage | str:
    """The page ``asked`` for: its encoded GeoJSON document (kept until published data
    changes, see :mod:`spatial.serving.item_pages`), or its HTML view.

    All of it in one worker thread and one autocommit read. The page is kept under the data
    state read before it on the server that reads it: ``primary_state``, read on the event loop
    just now when there are no replicas (the page is then at least as new as the state it is
    kept under, and only requests that read that state find it); else the state read here, on the
    server the read routing chose (a replica's may be older than the primary's, never newer than
    its own data).
    """
    with read_session() as session:
        state = primary_state  # read on the primary just now, where this session reads too
        if state is None and not asked.html:
            state = read_data_state(session)
            remember_generation(state[0])
        found = ((None if state is None else remembered_collection(asked.collection_id, state[0]))
                 or get_collection(session, asked.collection_id))

        def read() -> tuple[dict[str, Any], features.FeaturePage]:
            query = feature_query(found, asked)
            page = features.items(session, found, query)
            url = f"{asked.base}/collections/{found.id}/items"
            return {"type": "FeatureCollection", "numberMatched": page.number_matched,
                    "numberReturned": page.number_returned,
                    "links": _page_links(asked.params, url, page, query)}, page

        if asked.html:
            head, page = read()
            document = {**head, "features": json.loads(f"[{page.features_json}]"), "description": found.description}
            return html_document(found.title, document)

        def encode() -> EncodedPage:
            head, page = read()
            # The features array is PostGIS's text; only the envelope is serialised here.
            envelope = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
            return EncodedPage.of(envelope.encode(), f',"features":[{page.features_json}]}}'.encode())

        assert state is not None  # read above for every JSON page
        return page_cache().get_at(state, _page_key(asked), encode)


@router.get("/collections/{collectionId}/items", summary="Features of a collection (GeoJSON)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}, HTML: {}}}})
async def items(
    request: Request,
    collectionId: CollectionId,
    f: Format = None,
    limit: Annotated[int, Query(ge=1, description=f"Features per page (default {features.DEFAULT_LIMIT}; "
                                                  f"above {features.MAX_LIMIT} answered with {features.MAX_LIMIT})",
                                # Advertised as the standard's schema does; larger values are clamped, not refused.
                                json_schema_extra={"maximum": features.MAX_LIMIT})] = features.DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="Features to skip")] = 0,
    cursor: Annotated[str | None, Query(description="Keyset of a next link: the page starts after this "
                                                    "feature (offset then counts the features before it)",
                                        max_length=40)] = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (CRS84)")] = None,
    datetime: Annotated[str | None, Query(description="Instant or interval (start/end, '..' open)")] = None,
    properties: Annotated[str | None, Query(description="Comma-separated properties to return")] = None,
    sortby: Annotated[str | None, Query(description="Properties to sort by: +a,-b (descending with -)")] = None,
    filter_: Annotated[str | None, Query(alias="filter", description="A CQL2 filter (see /queryables)",
                                         max_length=20_000)] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang", description="cql2-text (default) or cql2-json")
                           ] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs", description="CRS of geometries in the filter "
                                                                             "(default CRS84)")] = None,
    _: Principal = Depends(require("read", collection_param="collectionId")),
) -> Response:
    """Features matching the filters, ordered by ``sortby`` then id; other query parameters filter
    properties by equality. A page kept since the data last changed is answered on the event loop;
    any other is read and encoded in one worker thread (:func:`_read_items`). ``Server-Timing``
    says which (``items;desc=hit`` or ``items;desc=read;dur=<ms>``)."""
    asked = ItemsAsked(collection_id=collectionId, params=request.query_params,
                       # As sent: building request.url for it cost a fifth of a kept page's time.
                       query_string=request.scope["query_string"].decode("latin-1"), base=base_url(request),
                       html=negotiate(request, f) == "html", limit=limit, offset=offset,
                       cursor=cursor, bbox=bbox, datetime=datetime, properties=properties, sortby=sortby,
                       filter_=filter_, filter_lang=filter_lang, filter_crs=filter_crs)
    started = time.perf_counter()
    kept: EncodedPage | None = None
    state = None
    reads: LoopConnections | None = getattr(request.app.state, "loop_reads", None)  # None: replicas read
    if not asked.html and reads is not None:
        # A kept page is answered here on the event loop: the data state is read afresh on the primary
        # (with every other request waiting for it at the moment), so a page never outlives a change.
        # With replicas, reads follow the routing (a replica's state, reads going on while the primary
        # is down): the worker thread reads the state where it reads the page, and finds it kept there.
        state = await fresh_data_state(reads)
        kept = page_cache().peek(state, _page_key(asked))
        routing_state = routing.current()
        if kept is not None and routing_state is not None:
            routing_state.served_by = routing.PRIMARY  # what said the page is current
    page: EncodedPage | str
    if kept is not None:
        page = kept
    else:
        async with database_place(request.scope):  # a kept page waits for no place in line; a read does
            page = await run_in_threadpool(_read_items, asked, state)
    timing = "items;desc=hit" if kept else f"items;desc=read;dur={(time.perf_counter() - started) * 1000:.1f}"
    if isinstance(page, str):
        response = conditional(request, page.encode(), "text/html; charset=utf-8", _, negotiated=True)
    else:
        stamp = Datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        media_type = JSON if prefers_plain_json(request) else GEOJSON
        # The ETag is of the content, not of the moment it was sent: a 304 then says "what you
        # hold is still what this page says", whatever its timeStamp.
        response = conditional(request, page.stamped(stamp), media_type, _, etag=page.etag, negotiated=True)
    response.headers["Server-Timing"] = timing
    return response


@router.get("/collections/{collectionId}/items/{featureId}", summary="One feature (GeoJSON)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}, HTML: {}}}})
def item(
    request: Request,
    collectionId: CollectionId,
    featureId: Annotated[str, Path(max_length=200)],
    session: DbSession,
    f: Format = None,
    properties: Annotated[str | None, Query(description="Comma-separated properties to return")] = None,
    _: Principal = Depends(require("read", collection_param="collectionId")),
) -> Response:
    found = get_collection(session, collectionId)
    text = features.feature(session, found, featureId, features.parse_properties(found, properties))
    base = base_url(request)
    links = [link(f"{base}/collections/{found.id}/items/{featureId}", "self", GEOJSON),
             link(f"{base}/collections/{found.id}/items/{featureId}?f=html", "alternate", HTML),
             link(f"{base}/collections/{found.id}", "collection", JSON)]
    document = {**json.loads(text), "links": links}
    if negotiate(request, f) == "html":
        return html_response(request, f"{found.title}: {featureId}", document, _)
    return json_response(request, document, _, JSON if prefers_plain_json(request) else GEOJSON, negotiated=True)
