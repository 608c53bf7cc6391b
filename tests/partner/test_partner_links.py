"""Links handed to partners carry their key, so tile URLs work in Leaflet and MapLibre."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.auth import Principal
from api.routers.ogc_features import collection_document
from api.routers.tiles import tiles_url
from spatial.serving.collections import get_collection

PARTNER = Principal(username="partner:municipality", role="viewer", partner="municipality", api_key="pk_test_123")
ANONYMOUS = Principal(username="anonymous", role="viewer")


def test_tilejson_tile_urls_carry_the_callers_key(session: Session) -> None:
    counties = get_collection(session, "counties")
    url = tiles_url("http://example.org", counties, PARTNER, {"properties": "code"})
    assert url == ("http://example.org/collections/counties/tiles/WebMercatorQuad/{z}/{y}/{x}"
                   "?properties=code&api_key=pk_test_123")


def test_raster_tile_urls_are_png_and_carry_the_key(session: Session, elevation: str) -> None:
    url = tiles_url("http://example.org", get_collection(session, "elevation"), PARTNER, {"colormap": "viridis"})
    assert url.endswith("/map/tiles/WebMercatorQuad/{z}/{y}/{x}.png?colormap=viridis&api_key=pk_test_123")


def test_without_a_key_urls_carry_none(session: Session) -> None:
    url = tiles_url("http://example.org", get_collection(session, "counties"), ANONYMOUS, {})
    assert url.endswith("/{z}/{y}/{x}")


def test_collection_links_carry_the_key(session: Session) -> None:
    links = collection_document("http://example.org", get_collection(session, "counties"), PARTNER)["links"]
    assert all("api_key=pk_test_123" in link["href"] for link in links)
