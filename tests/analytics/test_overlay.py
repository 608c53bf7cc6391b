"""Indicators derived by overlay: the database answer equals a geopandas/exactextract answer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo.tessellate import random_points_within
from spatial.errors import InvalidInput, NotFound
from spatial.analytics.indicators import values_by_unit
from spatial.analytics.overlay import derive_indicator, point_values
from tests.analytics.conftest import insert_units, neighbourhoods_of

COUNTY = "IR-15-01"


@pytest.fixture
def hoods(session: Session) -> gpd.GeoDataFrame:
    return neighbourhoods_of(session, COUNTY)


@pytest.fixture
def points(hoods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """3·i + 1 points strictly inside the i-th neighbourhood, each with a 'beds' attribute."""
    rng = np.random.default_rng(7)
    inner = shapely.buffer(hoods.geometry.to_numpy(), -1e-4)
    xy = np.concatenate([random_points_within(g, 3 * i + 1, rng) for i, g in enumerate(inner)])
    return gpd.GeoDataFrame({"beds": rng.integers(1, 50, len(xy)).astype("int64")},
                            geometry=shapely.points(xy), crs=4326)


def test_point_counts_equal_a_geopandas_spatial_join(session: Session, vector_layer, hoods, points) -> None:
    vector_layer("clinics", points)
    result = derive_indicator(session, "clinics", "neighbourhood", "count", code="clinic_count", period="2024")
    _, values = values_by_unit(session, "clinic_count", "neighbourhood", "2024", COUNTY)
    expected = gpd.sjoin(points, hoods, predicate="within").groupby("code").size()
    assert values == {c: float(expected.get(c, 0)) for c in hoods["code"]}
    assert result["units"] == session.execute(
        text("SELECT count(*) FROM admin_unit WHERE level = 'neighbourhood'")).scalar()


def test_point_values_preview_what_a_derivation_writes_and_write_nothing(session: Session, vector_layer,
                                                                        points) -> None:
    vector_layer("clinics", points)
    rows_before = session.execute(text("SELECT count(*) FROM indicator_value")).scalar()
    unit_ids, sums = point_values(session, "clinics", "neighbourhood", "sum", attribute="beds")
    assert session.execute(text("SELECT count(*) FROM indicator_value")).scalar() == rows_before
    derive_indicator(session, "clinics", "neighbourhood", "sum", code="beds_total", period="2024", attribute="beds")
    written = dict(session.execute(text(
        """SELECT v.unit_id, v.value FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
           JOIN admin_unit u ON u.id = v.unit_id WHERE i.code = 'beds_total' AND u.level = 'neighbourhood'""")).all())
    assert dict(zip(unit_ids.tolist(), sums.tolist(), strict=True)) == written
    with pytest.raises(InvalidInput):
        point_values(session, "clinics", "neighbourhood", "length_km")


def test_counts_roll_up_to_county_and_province_as_sums(session: Session, vector_layer, points) -> None:
    vector_layer("clinics", points)
    derive_indicator(session, "clinics", "neighbourhood", "count", code="clinic_count", period="2024")
    _, county = values_by_unit(session, "clinic_count", "county", "2024", "IR-15")
    _, province = values_by_unit(session, "clinic_count", "province", "2024")
    assert county[COUNTY] == len(points) and sum(county.values()) == len(points)
    assert province["IR-15"] == len(points)


def test_per_1000_sum_and_mean_of_an_attribute(session: Session, vector_layer, hoods, points) -> None:
    vector_layer("clinics", points)
    joined = gpd.sjoin(points, hoods, predicate="within").groupby("code")
    for method, code in (("per_1000", "clinics_per_1000"), ("sum", "beds_total"), ("mean", "beds_mean")):
        derive_indicator(session, "clinics", "neighbourhood", method, code=code, period="2024",
                         attribute=None if method == "per_1000" else "beds")
    pop = hoods.set_index("code")["population"]
    _, per_1000 = values_by_unit(session, "clinics_per_1000", "neighbourhood", "2024", COUNTY)
    _, total = values_by_unit(session, "beds_total", "neighbourhood", "2024", COUNTY)
    _, mean = values_by_unit(session, "beds_mean", "neighbourhood", "2024", COUNTY)
    code = hoods["code"].iloc[3]
    assert per_1000[code] == pytest.approx(joined.size()[code] * 1000 / pop[code])
    assert total[code] == joined["beds"].sum()[code]
    assert mean[code] == pytest.approx(joined["beds"].mean()[code])


@pytest.fixture
def two_units(session: Session) -> None:
    """Province T: neighbourhoods T-W (population 2,000) and T-E (population 0) sharing the edge x = 11."""
    insert_units(session, gpd.GeoDataFrame({"code": ["T-W", "T-E"], "population": [2000, 0]},
                                           geometry=[shapely.box(10, 10, 11, 11), shapely.box(11, 10, 12, 11)],
                                           crs=4326), "T")


def _values_of_two_units(session: Session, code: str) -> dict[str, float | None]:
    _, values = values_by_unit(session, code, "neighbourhood", "2024", "T")
    return values


@pytest.mark.usefixtures("two_units")
def test_points_on_a_shared_edge_count_in_both_units(session: Session, vector_layer) -> None:
    vector_layer("edge_points", gpd.GeoDataFrame(geometry=shapely.points([(11, 10.5), (10.5, 10.5), (11.5, 11)]),
                                                 crs=4326))
    derive_indicator(session, "edge_points", "neighbourhood", "count", code="edge_count", period="2024")
    assert _values_of_two_units(session, "edge_count") == {"T-W": 2, "T-E": 2}


@pytest.mark.usefixtures("two_units")
def test_features_of_several_points_count_once_per_unit_they_touch(session: Session, vector_layer) -> None:
    features = gpd.GeoDataFrame({"beds": [4.0, 10.0, np.nan, 7.0]}, geometry=[
        shapely.MultiPoint([(11, 10.5)]),                             # on the shared edge: both units
        shapely.MultiPoint([(10.2, 10.2), (10.4, 10.4), (11.5, 10.5)]),  # two points in T-W, one in T-E
        shapely.MultiPoint([(10.5, 10.5)]),                           # no beds
        shapely.MultiPoint([(20, 20)]),                               # in no unit
    ], crs=4326)
    vector_layer("wards", features)
    # Far-apart fids put the features in different rows of the layer read (65,536 fids a row).
    session.execute(text("UPDATE layers.wards SET fid = fid << 20"))
    for method in ("count", "per_1000", "sum", "mean"):
        derive_indicator(session, "wards", "neighbourhood", method, code=f"wards_{method}", period="2024",
                         attribute="beds" if method in ("sum", "mean") else None)
    assert _values_of_two_units(session, "wards_count") == {"T-W": 3, "T-E": 2}
    # Population 0 leaves the rate missing; sums and means skip the feature without beds.
    assert _values_of_two_units(session, "wards_per_1000") == {"T-W": 1.5, "T-E": None}
    assert _values_of_two_units(session, "wards_sum") == {"T-W": 14, "T-E": 14}
    assert _values_of_two_units(session, "wards_mean") == {"T-W": 7, "T-E": 7}


def test_line_length_in_km_is_geodesic_and_clipped(session: Session, vector_layer, hoods) -> None:
    hood = hoods.geometry.iloc[0]
    c = hood.representative_point()
    # A long east-west line through the neighbourhood: only its part inside counts.
    line = shapely.LineString([(c.x - 5, c.y), (c.x + 5, c.y)])
    vector_layer("roads", gpd.GeoDataFrame(geometry=[line], crs=4326))
    derive_indicator(session, "roads", "neighbourhood", "length_km", code="road_km", period="2024")
    _, km = values_by_unit(session, "road_km", "neighbourhood", "2024", COUNTY)
    inside = gpd.GeoSeries([line.intersection(hood)], crs=4326).to_crs(hoods.estimate_utm_crs()).length.iloc[0]
    assert km[hoods["code"].iloc[0]] == pytest.approx(inside / 1000, rel=5e-3)


def test_area_share_counts_overlapping_polygons_once(session: Session, vector_layer, hoods) -> None:
    hood = hoods.geometry.iloc[1]
    minx, miny, maxx, maxy = hood.bounds
    cover = shapely.box(minx - 1, miny - 1, maxx + 1, maxy + 1)
    vector_layer("orchards", gpd.GeoDataFrame(geometry=[cover, cover.buffer(-1e-3)], crs=4326))
    derive_indicator(session, "orchards", "neighbourhood", "area_share", code="orchard_share", period="2024")
    _, share = values_by_unit(session, "orchard_share", "neighbourhood", "2024", COUNTY)
    assert share[hoods["code"].iloc[1]] == pytest.approx(1.0)


def test_distance_to_the_nearest_feature(session: Session, vector_layer, hoods) -> None:
    centroid = hoods.geometry.iloc[2].centroid
    vector_layer("markets", gpd.GeoDataFrame(geometry=[centroid], crs=4326))
    derive_indicator(session, "markets", "neighbourhood", "distance_km", code="market_km", period="2024")
    _, km = values_by_unit(session, "market_km", "neighbourhood", "2024", COUNTY)
    assert km[hoods["code"].iloc[2]] == pytest.approx(0.0, abs=1e-6)
    assert all(v > 0 for c, v in km.items() if c != hoods["code"].iloc[2])
    derive_indicator(session, "markets", "county", "distance_km", code="market_km_pw", period="2024",
                     origin="population_weighted")
    _, county_km = values_by_unit(session, "market_km_pw", "county", "2024", "IR-15")
    assert county_km[COUNTY] >= 0


def test_zonal_statistics_equal_exactextract(session: Session, raster_layer, hoods) -> None:
    from exactextract import exact_extract

    minx, miny, maxx, maxy = hoods.total_bounds
    cell = 0.01
    cols, rows = int((maxx - minx) / cell) + 3, int((maxy - miny) / cell) + 3
    array = np.arange(rows * cols, dtype="float32").reshape(rows, cols) % 17
    path = raster_layer("elevation", array, minx - cell, maxy + cell, cell, nodata=-9999)
    derive_indicator(session, "elevation", "neighbourhood", "zonal", code="elev_mean", period="2024", stat="mean")
    _, mean = values_by_unit(session, "elev_mean", "neighbourhood", "2024", COUNTY)
    expected = exact_extract(str(path), hoods, ["mean"], include_cols=["code"], output="pandas").set_index("code")
    for code in hoods["code"]:
        assert mean[code] == pytest.approx(expected.loc[code, "mean"], rel=1e-6)


def test_empty_layer_unknown_layer_and_wrong_attribute_are_refused(session: Session, vector_layer, points) -> None:
    vector_layer("nothing", gpd.GeoDataFrame({"beds": np.array([], dtype="int64")}, geometry=[], crs=4326))
    with pytest.raises(InvalidInput, match="no features"):
        derive_indicator(session, "nothing", "neighbourhood", "count", code="x_count", period="2024")
    with pytest.raises(NotFound, match="no_layer"):
        derive_indicator(session, "no_layer", "neighbourhood", "count", code="x_count", period="2024")
    vector_layer("clinics", points)
    with pytest.raises(InvalidInput, match="beds"):
        derive_indicator(session, "clinics", "neighbourhood", "sum", code="x_sum", period="2024", attribute="name")
    with pytest.raises(InvalidInput, match="line"):
        derive_indicator(session, "clinics", "neighbourhood", "length_km", code="x_km", period="2024")
    assert session.execute(text("SELECT count(*) FROM indicator WHERE code LIKE 'x\\_%'")).scalar() == 0


@pytest.mark.parametrize("dtype, nodata, scale", [("float32", -9999.0, 1.0), ("float32", float("nan"), 1.0),
                                                  ("int16", -1, 1.0), ("int16", None, 1.0), ("int16", -1, 0.5)])
def test_zonal_statistics_read_in_memory_or_through_rasterio_equal_exactextract(
        hoods: gpd.GeoDataFrame, tmp_path, dtype: str, nodata: float | None, scale: float) -> None:
    """Small rasters are read whole (scaled ones through rasterio): the values do not change."""
    import rasterio
    from exactextract import exact_extract
    from rasterio.transform import Affine

    from spatial.analytics.overlay import zonal_statistics

    minx, miny, maxx, maxy = hoods.total_bounds
    cell = 0.01
    cols, rows = int((maxx - minx) / cell) + 3, int((maxy - miny) / cell) + 3
    array = (np.arange(rows * cols).reshape(rows, cols) % 17).astype(dtype)
    array[: rows // 3, : cols // 2] = nodata if nodata is not None else 0
    path = tmp_path / "band.tif"
    with rasterio.open(path, "w", driver="GTiff", height=rows, width=cols, count=1, dtype=dtype, crs="EPSG:4326",
                       transform=Affine(cell, 0, minx - cell, 0, -cell, maxy + cell), nodata=nodata) as dst:
        dst.write(array, 1)
        dst.scales = (scale,)
    for stat in ("mean", "count", "majority"):
        expected = exact_extract(str(path), hoods[["geometry"]], [stat], output="pandas")[stat].to_numpy(dtype=float)
        np.testing.assert_allclose(zonal_statistics(path, hoods, stat), expected, rtol=1e-12)


_FORKING_SCRIPT = '''
import os, sys
import numpy as np, geopandas as gpd, rasterio, shapely
from rasterio.transform import Affine
from exactextract import exact_extract
import spatial.analytics.overlay as overlay
from spatial.demo.tessellate import tessellate

out = sys.argv[1]
path = os.path.join(out, "grid.tif")
rng = np.random.default_rng(3)
with rasterio.open(path, "w", driver="GTiff", height=400, width=400, count=1, dtype="float32", crs="EPSG:4326",
                   transform=Affine(0.01, 0, 50, 0, -0.01, 36)) as dst:
    dst.write(rng.normal(10, 3, (400, 400)).astype("float32"), 1)
zones = gpd.GeoDataFrame(geometry=list(tessellate(shapely.box(50, 32, 54, 36), 450, rng)), crs=4326)

real = overlay._forked_extract
def spy(start, stop):
    open(os.path.join(out, f"child-{os.getpid()}"), "w").close()
    return real(start, stop)
overlay._forked_extract = spy

values = overlay.zonal_statistics(path, zones, "mean")
expected = exact_extract(path, zones[["geometry"]], ["mean"], output="pandas")["mean"].to_numpy()
assert np.array_equal(values, expected, equal_nan=True)
print(len([n for n in os.listdir(out) if n.startswith("child-")]))
'''


def test_zonal_statistics_fork_processes_in_a_single_threaded_program_and_agree(tmp_path) -> None:
    """A single-threaded program (`pishraft indicators derive`) shares zonal statistics out
    between forked processes: the numbers are exactextract's."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from spatial.analytics.overlay import WORKERS

    script = tmp_path / "zonal.py"
    script.write_text(_FORKING_SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=300,
                          check=False, cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, "PYTHONPATH": "."})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) == (2 if WORKERS >= 2 else 0)  # 450 zones: two processes' worth
