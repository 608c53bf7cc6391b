"""Real OGC clients against the live server: GDAL's OAPIF driver and OWSLib."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

BBOX = (51.0, 35.0, 52.0, 36.0)

pytestmark = pytest.mark.slow


def _postgis_codes(session: Session, level: str, bbox: tuple[float, ...]) -> set[str]:
    return set(session.execute(text(
        """SELECT code FROM admin_unit WHERE level = :level AND valid_to IS NULL
           AND ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4326))"""),
        {"level": level, "a": bbox[0], "b": bbox[1], "c": bbox[2], "d": bbox[3]}).scalars())


def test_ogrinfo_lists_the_collections(live_server: str, wells: str, elevation: str) -> None:
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", f"OAPIF:{live_server}"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    for name in ("provinces", "counties", "neighbourhoods", "wells"):
        assert f"Layer name: {name}" in out
    assert "Feature Count: 31" in out  # provinces, from numberMatched


def test_ogr2ogr_with_spat_gets_exactly_the_intersecting_features_across_pages(
    live_server: str, session: Session, tmp_path: Path
) -> None:
    expected = _postgis_codes(session, "neighbourhood", BBOX)
    assert len(expected) > 12  # more than two pages of PAGE_SIZE=6
    target = tmp_path / "hoods.geojson"
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(target), f"OAPIF:{live_server}", "neighbourhoods",
                    "-oo", "PAGE_SIZE=6", "-spat", *map(str, BBOX)],
                   capture_output=True, text=True, timeout=180, check=True)
    features = json.loads(target.read_text())["features"]
    codes = [f["properties"]["code"] for f in features]
    assert len(codes) == len(set(codes))
    assert set(codes) == expected


def test_owslib_features_reads_the_same(live_server: str, session: Session) -> None:
    from owslib.ogcapi.features import Features

    api = Features(live_server)
    assert {"provinces", "neighbourhoods"} <= {c["id"] for c in api.collections()["collections"]}
    expected = _postgis_codes(session, "county", BBOX)
    page = api.collection_items("counties", bbox=list(BBOX), limit=1000)
    assert page["numberMatched"] == len(expected)
    assert {f["id"] for f in page["features"]} == expected
