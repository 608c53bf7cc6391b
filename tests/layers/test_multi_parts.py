"""Layers mixing single- and multi-part geometries load whatever their row count: every geometry
comes back from PostGIS as the Multi* of what was given (or of its repair), in order.

Property tests (Hypothesis) draw a mix of single parts, multi parts and, for polygons,
self-intersecting rings that ``make_valid`` turns into multi-parts, 1 to 300 rows; the
geometries are built from the drawn kinds with seeded random coordinates in Iran."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import shapely
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from layers.geometry import clean_source
from spatial.db.bulk import copy_arrow, multi_ewkb_hex
from tests.layers import fixtures as fx

WGS84 = CRS.from_epsg(4326)
MULTI = {0: "MultiPoint", 1: "MultiLineString", 2: "MultiPolygon"}
PROMOTE = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}
#: What each kind of row may be, per dimension; "repaired" is a bow-tie ring make_valid splits in two.
KINDS = {0: ("single", "multi"), 1: ("single", "multi"), 2: ("single", "multi", "repaired")}


def build(dimension: int, kinds: list[str], seed: int) -> np.ndarray:
    """One geometry per drawn kind, at random places in Iran (lon 44–63, lat 25–40)."""
    rng = np.random.default_rng(seed)

    def one(kind: str) -> shapely.Geometry:
        x, y = rng.uniform(44, 62), rng.uniform(25, 39)
        size = rng.uniform(0.001, 0.5)
        if kind == "repaired":
            return shapely.Polygon([(x, y), (x + size, y + size), (x + size, y), (x, y + size), (x, y)])
        parts = 1 if kind == "single" else int(rng.integers(2, 5))
        pieces = []
        for k in range(parts):
            px = x + 2 * size * k  # side by side: multi-polygons stay valid
            if dimension == 0:
                pieces.append(shapely.Point(px, y))
            elif dimension == 1:
                pieces.append(shapely.LineString(np.column_stack([px + np.sort(rng.uniform(0, size, 4)),
                                                                  y + rng.uniform(0, size, 4)])))
            else:
                pieces.append(shapely.box(px, y, px + size, y + size))
        return pieces[0] if kind == "single" else PROMOTE[dimension](pieces)

    return np.array([one(kind) for kind in kinds], dtype=object)


def expected(geometries: np.ndarray, dimension: int) -> np.ndarray:
    """What the layer must hold: each geometry (repaired when invalid) as its Multi*."""
    repaired = np.where(shapely.is_valid(geometries), geometries, shapely.make_valid(geometries))
    return np.array([g if shapely.get_type_id(g) >= 4 else PROMOTE[dimension]([g]) for g in repaired], dtype=object)


def assert_same(stored: np.ndarray, wanted: np.ndarray, dimension: int) -> None:
    assert len(stored) == len(wanted)
    assert set(shapely.get_type_id(stored)) == {dimension + 4}
    # Coordinates pass through untouched (no reprojection): exactly equal, except repaired ones (same shape).
    exact = shapely.equals_exact(stored, wanted, tolerance=0)
    assert (exact | shapely.equals(stored, wanted)).all(), np.flatnonzero(~exact)


mixes = st.integers(0, 2).flatmap(
    lambda d: st.tuples(st.just(d), st.lists(st.sampled_from(KINDS[d]), min_size=1, max_size=300),
                        st.integers(0, 2**32 - 1))
)


@settings(max_examples=150, deadline=None, database=None)
@given(mix=mixes, skip=st.integers(0, 3))
def test_wrapping_gives_the_multi_of_every_geometry_for_any_mix_and_row_count(
    mix: tuple[int, list[str], int], skip: int
) -> None:
    dimension, kinds, seed = mix
    geometries = shapely.make_valid(build(dimension, kinds, seed))  # plain WKB is valid: repaired upstream
    wkb = pa.array([b"\x01\x01\x00\x00\x00" + b"\x00" * 16] * skip + list(shapely.to_wkb(geometries, byte_order=1)),
                   pa.large_binary()).slice(skip)  # an array that does not start at offset 0, as filters leave

    hexed = multi_ewkb_hex(wkb, MULTI[dimension])
    stored = shapely.from_wkb(np.array(hexed.to_pylist(), dtype=object))

    assert set(shapely.get_srid(stored)) == {4326}
    assert_same(stored, expected(geometries, dimension), dimension)


@pytest.mark.parametrize("dimension", [0, 1, 2])
def test_every_row_count_up_to_300_with_one_multi_part_loads(dimension: int) -> None:
    for rows in range(1, 301):
        kinds = ["single"] * (rows - 1) + ["multi"]
        geometries = build(dimension, kinds, rows)
        hexed = multi_ewkb_hex(pa.array(shapely.to_wkb(geometries, byte_order=1), pa.large_binary()), MULTI[dimension])
        assert_same(shapely.from_wkb(np.array(hexed.to_pylist(), dtype=object)),
                    expected(geometries, dimension), dimension)


_tables = itertools.count()


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mix=mixes)
def test_mixed_layers_read_back_from_postgis_as_given(mix: tuple[int, list[str], int], session: Session) -> None:
    dimension, kinds, seed = mix
    geometries = build(dimension, kinds, seed)
    clean = clean_source(pa.array(shapely.to_wkb(geometries, byte_order=1), pa.large_binary()), WGS84, "mix.gpkg")
    table = f"multi_parts_{next(_tables)}"
    session.execute(text(f'CREATE TEMP TABLE "{table}" (fid bigint, geom geometry({clean.geometry_type}, 4326))'))
    data = pa.table({"fid": pa.array(np.arange(len(clean.wkb), dtype=np.int64)),
                     "geom": multi_ewkb_hex(clean.wkb, clean.geometry_type)})
    copy_arrow(session, table, ["fid", "geom"], data, verbatim=("geom",))

    rows = session.execute(text(f'SELECT ST_AsBinary(geom) FROM "{table}" ORDER BY fid')).scalars().all()
    session.execute(text(f'DROP TABLE "{table}"'))

    assert clean.geometry_type == MULTI[dimension]
    assert clean.repaired == kinds.count("repaired")
    assert_same(shapely.from_wkb(np.array([bytes(r) for r in rows], dtype=object)),
                expected(geometries, dimension), dimension)


def _provinces_reference() -> tuple[np.ndarray, list[str]]:
    """The provinces as the layer must hold them: from UTM 40N back to lon/lat, as MultiPolygons."""
    frame = fx.provinces_utm().to_crs(4326)
    return expected(frame.geometry.values.to_numpy(), 2), list(frame["name_fa"])


def _assert_provinces_stored(table: str) -> None:
    from spatial.db.engine import session_scope

    with session_scope() as session:
        rows = session.execute(text(
            f'SELECT name_fa, ST_AsBinary(geom) FROM layers."{table}" ORDER BY fid')).all()
    wanted, names = _provinces_reference()
    stored = shapely.from_wkb(np.array([bytes(r[1]) for r in rows], dtype=object))
    assert [r[0] for r in rows] == names
    assert set(shapely.get_type_id(stored)) == {6}
    assert [shapely.get_num_geometries(g) for g in stored] == [shapely.get_num_geometries(g) for g in wanted]
    # Shapefiles store outer rings clockwise: compare vertex by vertex in a normal form.
    assert shapely.equals_exact(shapely.normalize(stored), shapely.normalize(wanted), tolerance=1e-9).all()


def test_provinces_shapefile_with_two_multipolygons_loads_through_the_api(
    client: TestClient, tmp_path: Path, remove_after: Callable[[str], str]
) -> None:
    slug = remove_after("provinces_api")
    response = fx.upload(client, fx.write_provinces_shapefile_zip(tmp_path), slug)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["feature_count"] == 31
    assert body["geometry_type"] == "MultiPolygon"
    assert body["source_crs"] == "EPSG:32640"
    assert body["columns"][1] == {"name": "name_fa", "label": "name_fa", "type": "text"}
    _assert_provinces_stored(body["table_name"])


def test_provinces_shapefile_without_cpg_loads_through_the_cli(tmp_path: Path, database_url: str) -> None:
    from api.cli import app

    runner = CliRunner(env={"COLUMNS": "200"})
    path = fx.write_provinces_shapefile_zip(tmp_path, cpg=False)
    result = runner.invoke(app, ["layers", "add", str(path), "--name", "provinces_cli"])
    try:
        assert result.exit_code == 0, result.output
        assert "Added provinces_cli v1: 31 MultiPolygon features, from EPSG:32640" in result.output
        _assert_provinces_stored("provinces_cli_v1")
    finally:
        runner.invoke(app, ["layers", "remove", "provinces_cli"])
