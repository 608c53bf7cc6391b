"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) over the collections of
:mod:`spatial.serving.collections`: the landing page at ``/``, conformance, collections, items."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from api.auth import Principal, require
from api.deps import db_session
from api.ogc import (GEOJSON, HTML, JSON, MVT, OPENAPI, OgcRoute, base_url, conditional, html_document,
                     html_response, json_response, key_param, link, with_query)
from spatial.serving import features
from spatial.serving.collections import Collection, catalogue, get_collection
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
)


def _respond(request: Request, principal: Principal, f: str | None, title: str, document: dict[str, Any],
             media_type: str = JSON) -> Response:
    if f == "html":
        return html_response(request, title, document, principal)
    return json_response(request, document, principal, media_type)


@router.get("/", summary="Landing page (OGC API)")
def landing(request: Request, f: Format = None, _: Principal = Depends(require("read"))) -> Response:
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
    document: dict[str, Any] = {"id": collection.id, "title": collection.title,
                                "description": collection.description, "links": links, "crs": [CRS84]}
    if collection.bbox:
        document["extent"] = {"spatial": {"bbox": [list(collection.bbox)], "crs": CRS84}}
    if collection.is_vector:
        document["itemType"] = "feature"
    return document


@router.get("/collections", summary="The collections: administrative levels and layers")
def collections(request: Request, f: Format = None, session: Session = Depends(db_session),
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
def collection(request: Request, collectionId: CollectionId, f: Format = None,
               session: Session = Depends(db_session),
               _: Principal = Depends(require("read", collection_param="collectionId"))) -> Response:
    found = get_collection(session, collectionId)
    return _respond(request, _, f, found.title, collection_document(base_url(request), found, _))


def _page_links(request: Request, url: str, page: features.FeaturePage, query: features.FeatureQuery) -> list:
    params = dict(request.query_params)
    params.pop("f", None)
    links = [link(with_query(url, {**params}), "self", GEOJSON, "This page"),
             link(with_query(url, {**params, "f": "html"}), "alternate", HTML, "This page as HTML")]
    if query.offset + page.number_returned < page.number_matched:
        links.append(link(with_query(url, {**params, "offset": query.offset + query.limit, "limit": query.limit}),
                          "next", GEOJSON, "Next page"))
    if query.offset > 0:
        links.append(link(with_query(url, {**params, "offset": max(0, query.offset - query.limit),
                                           "limit": query.limit}), "prev", GEOJSON, "Previous page"))
    return links


@router.get("/collections/{collectionId}/items", summary="Features of a collection (GeoJSON)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}, HTML: {}}}})
def items(
    request: Request,
    collectionId: CollectionId,
    f: Format = None,
    limit: Annotated[int, Query(ge=1, le=features.MAX_LIMIT, description="Features per page")] = features.DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="Features to skip")] = 0,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (CRS84)")] = None,
    datetime: Annotated[str | None, Query(description="Instant or interval (start/end, '..' open)")] = None,
    properties: Annotated[str | None, Query(description="Comma-separated properties to return")] = None,
    session: Session = Depends(db_session),
    _: Principal = Depends(require("read", collection_param="collectionId")),
) -> Response:
    """Features matching the filters, ordered by id; other query parameters filter properties by equality."""
    found = get_collection(session, collectionId)
    query = features.FeatureQuery(
        limit=limit, offset=offset, bbox=features.parse_bbox(bbox), interval=features.parse_datetime(datetime),
        filters=features.parse_filters(found, request.query_params),
        properties=features.parse_properties(found, properties),
    )
    page = features.items(session, found, query)
    url = f"{base_url(request)}/collections/{found.id}/items"
    head = {"type": "FeatureCollection", "numberMatched": page.number_matched,
            "numberReturned": page.number_returned, "links": _page_links(request, url, page, query)}
    if f == "html":
        document = {**head, "features": json.loads(f"[{page.features_json}]"), "description": found.description}
        return conditional(request, html_document(found.title, document).encode(), "text/html; charset=utf-8", _)
    # The features array is PostGIS's text; only the envelope is serialised here.
    body = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + f',"features":[{page.features_json}]}}'
    return conditional(request, body.encode(), GEOJSON, _)


@router.get("/collections/{collectionId}/items/{featureId}", summary="One feature (GeoJSON)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}, HTML: {}}}})
def item(
    request: Request,
    collectionId: CollectionId,
    featureId: Annotated[str, Path(max_length=200)],
    f: Format = None,
    properties: Annotated[str | None, Query(description="Comma-separated properties to return")] = None,
    session: Session = Depends(db_session),
    _: Principal = Depends(require("read", collection_param="collectionId")),
) -> Response:
    found = get_collection(session, collectionId)
    text = features.feature(session, found, featureId, features.parse_properties(found, properties))
    base = base_url(request)
    links = [link(f"{base}/collections/{found.id}/items/{featureId}", "self", GEOJSON),
             link(f"{base}/collections/{found.id}/items/{featureId}?f=html", "alternate", HTML),
             link(f"{base}/collections/{found.id}", "collection", JSON)]
    document = {**json.loads(text), "links": links}
    if f == "html":
        return html_response(request, f"{found.title}: {featureId}", document, _)
    return json_response(request, document, _, GEOJSON)
