"""HTTP plumbing shared by the OGC API routers: 400s for bad parameters, links,
conditional responses (strong ETag, 304) and the small HTML views (``f=html``)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.auth import Principal
from spatial.errors import InvalidParameter
from spatial.settings import get_settings
from spatial.serving.tile_cache import strong_etag

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
MVT = "application/vnd.mapbox-vector-tile"
PNG = "image/png"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


class OgcRoute(APIRoute):
    """An API route whose parameter errors answer 400, as the OGC API standards require."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header")]
                field = ".".join(loc) or None
                raise InvalidParameter(f"{field}: {first.get('msg', 'invalid value')}" if field
                                       else "invalid request", field=field) from None

        return route


def _accepted(header: str) -> dict[str, float]:
    """Media ranges of an ``Accept`` header and their quality (``q``), in the header's order."""
    ranges: dict[str, float] = {}
    for part in header.split(","):
        media, *options = (p.strip() for p in part.split(";"))
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.setdefault(media.lower(), quality)
    return ranges


def negotiate(request: Request, f: str | None) -> str:
    """``html`` or ``json``: ``f`` when given, else the ``Accept`` header's preference.

    JSON (or GeoJSON) is the default, for ``*/*`` and no header alike; HTML when the
    client prefers ``text/html`` to every JSON type, as browsers do.
    """
    if f:
        return f
    ranges = _accepted(request.headers.get("accept", ""))
    html_q = max(ranges.get(HTML, 0.0), ranges.get("application/xhtml+xml", 0.0))
    json_q = max([q for media, q in ranges.items() if media.endswith("json") or media == "application/*"]
                 + [ranges.get("*/*", 0.0) if HTML not in ranges else 0.0])
    return "html" if html_q > json_q else "json"


def prefers_plain_json(request: Request) -> bool:
    """Whether the client asked for ``application/json`` rather than ``application/geo+json``."""
    ranges = _accepted(request.headers.get("accept", ""))
    return ranges.get(JSON, 0.0) > ranges.get(GEOJSON, 0.0)


def base_url(request: Request) -> str:
    """The public URL of the service, without a trailing slash."""
    return (get_settings().public_url or str(request.base_url)).rstrip("/")


def link(href: str, rel: str, type_: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    """An OGC API link object."""
    out = {"href": href, "rel": rel, "type": type_, **extra}
    if title:
        out["title"] = title
    return out


def with_query(url: str, params: Mapping[str, Any]) -> str:
    """``url`` with the query string of the non-empty ``params`` (commas kept readable)."""
    kept = {k: v for k, v in params.items() if v is not None and v != ""}
    return f"{url}?{urlencode(kept, safe=',')}" if kept else url


def key_param(principal: Principal) -> dict[str, str]:
    """The ``api_key`` query parameter to hand back in links, when the caller used a key."""
    return {"api_key": principal.api_key} if principal.api_key else {}


def cache_control(principal: Principal) -> str:
    """``Cache-Control`` for readable data: shared caches may keep it unless a key was needed."""
    scope = "private" if principal.api_key else "public"
    return f"{scope}, max-age={get_settings().http_max_age_s}"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))


def conditional_status(if_none_match: str | None, body: bytes, principal: Principal, *, etag: str | None = None,
                       empty_status: int | None = None, vary: str = "X-API-Key") -> tuple[int, dict[str, str]]:
    """The status and caching headers of a conditional answer with ``body`` (see :func:`conditional`)."""
    tag = etag or strong_etag(body)
    headers = {"ETag": tag, "Cache-Control": cache_control(principal), "Vary": vary}
    if _matches(if_none_match, tag):
        return 304, headers
    if not body and empty_status is not None:
        return empty_status, headers
    return 200, headers


def conditional(request: Request, body: bytes, media_type: str, principal: Principal, *,
                etag: str | None = None, empty_status: int | None = None, negotiated: bool = False) -> Response:
    """``body`` with a strong ETag and Cache-Control; 304 when the client holds it already.

    ``empty_status`` (204 for tiles) answers an empty body; ``negotiated`` answers vary
    with the ``Accept`` header.
    """
    status, headers = conditional_status(request.headers.get("if-none-match"), body, principal, etag=etag,
                                         empty_status=empty_status,
                                         vary="X-API-Key, Accept" if negotiated else "X-API-Key")
    if status != 200:
        return Response(status_code=status, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def json_response(request: Request, document: Any, principal: Principal, media_type: str = JSON, *,
                  negotiated: bool = False) -> Response:
    """A JSON document as a conditional response."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return conditional(request, body, media_type, principal, negotiated=negotiated)


# --- HTML views (f=html) ------------------------------------------------------------------

def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} — Pishraft</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _links_html(links: Iterable[dict[str, Any]]) -> str:
    items = "".join(
        f"<li><a href='{html.escape(link['href'])}'>{html.escape(link.get('title') or link['rel'])}</a> "
        f"<small>({html.escape(link['type'])})</small></li>"
        for link in links if not link.get("templated")
    )
    return f"<ul>{items}</ul>"


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if r.get(k) is None else str(r.get(k)))}</td>" for k in keys) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def html_document(title: str, document: dict[str, Any]) -> str:
    """An HTML view of a landing page, collection list, collection or feature collection."""
    parts: list[str] = []
    if document.get("description"):
        parts.append(f"<p>{html.escape(document['description'])}</p>")
    if "numberMatched" in document:
        parts.append(f"<p>{document['numberReturned']} of {document['numberMatched']} features.</p>")
    if "collections" in document:
        parts.append(_table([{"id": c["id"], "title": c["title"], "description": c.get("description")}
                             for c in document["collections"]]))
        parts.append("".join(
            f"<h3>{html.escape(c['id'])}</h3>{_links_html(c['links'])}" for c in document["collections"]))
    if "features" in document:
        parts.append(_table([{"id": f.get("id"), **(f.get("properties") or {})} for f in document["features"]]))
    if document.get("type") == "Feature":
        parts.append(_table([{"id": document.get("id"), **(document.get("properties") or {})}]))
    if "conformsTo" in document:
        parts.append("<ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in document["conformsTo"]) + "</ul>")
    parts.append("<h2>Links</h2>" + _links_html(document.get("links", [])))
    return _page(title, "".join(parts))


def html_response(request: Request, title: str, document: dict[str, Any], principal: Principal) -> Response:
    """The HTML view of ``document`` as a conditional response."""
    return conditional(request, html_document(title, document).encode(), "text/html; charset=utf-8", principal,
                       negotiated=True)
