"""Test files for ingestion, built in code: every format, a Persian Windows-1256 Shapefile in
UTM 40N, and each kind of bad input the issue names."""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import rasterio
import shapely
from pyproj import Transformer
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

UTM40N = 32640
#: Four health centres near Kerman, in UTM zone 40N metres.
EASTINGS = np.array([420_000.5, 455_250.25, 501_000.0, 598_765.125])
NORTHINGS = np.array([3_301_000.75, 3_350_500.5, 3_399_999.0, 3_333_333.333])
#: Persian names, all encodable in Windows-1256 (which has Arabic yeh, not Farsi yeh).
NAMES = ["مرکز بهداشت شهرک", "درمانگاه کوهبنان", "خانه بهداشت راور", "مرکز درمان\u064a زرند"]
BEDS = [12, 0, 5, 40]
AREAS = [120.5, 80.25, 1e-3, 3.5e6]
OPENED = [dt.date(2001, 3, 21), dt.date(1999, 12, 31), None, dt.date(2024, 2, 29)]
ACTIVE = [True, False, True, True]


def reference_lonlat() -> tuple[np.ndarray, np.ndarray]:
    """The points in EPSG:4326 by pyproj, the reference the stored coordinates are held to."""
    lon, lat = Transformer.from_crs(UTM40N, 4326, always_xy=True).transform(EASTINGS, NORTHINGS)
    return np.asarray(lon), np.asarray(lat)


def health_centres(crs: int = UTM40N) -> gpd.GeoDataFrame:
    """The sample points with typed attributes, in ``crs`` (UTM 40N or EPSG:4326)."""
    frame = gpd.GeoDataFrame(
        {
            "نام": NAMES,
            "beds": pd.array(BEDS, dtype="int64"),
            "area_m2": AREAS,
            "opened": pd.array(OPENED, dtype=pd.ArrowDtype(pa.date32())),
            "active": ACTIVE,
        },
        geometry=shapely.points(EASTINGS, NORTHINGS),
        crs=UTM40N,
    )
    return frame if crs == UTM40N else frame.to_crs(crs)


def write_geojson(folder: Path) -> Path:
    path = folder / "health.geojson"
    pyogrio.write_dataframe(health_centres(4326), path, driver="GeoJSON", use_arrow=True)
    return path


def write_gpkg(folder: Path, layers: tuple[str, ...] = ("health",)) -> Path:
    path = folder / "health.gpkg"
    for layer in layers:
        pyogrio.write_dataframe(health_centres(), path, layer=layer, driver="GPKG", use_arrow=True)
    return path


def write_fgb(folder: Path) -> Path:
    path = folder / "health.fgb"
    pyogrio.write_dataframe(health_centres(), path, driver="FlatGeobuf", use_arrow=True)
    return path


def write_geoparquet(folder: Path) -> Path:
    path = folder / "health.parquet"
    health_centres().to_parquet(path)
    return path


def write_csv_lonlat(folder: Path) -> Path:
    frame = health_centres(4326)
    path = folder / "health.csv"
    table = pd.DataFrame({"name": frame["نام"], "beds": BEDS, "area_m2": AREAS,
                          "opened": [d.isoformat() if d else "" for d in OPENED],
                          "lon": frame.geometry.x.map(repr), "lat": frame.geometry.y.map(repr)})
    table.to_csv(path, index=False)
    return path


def write_csv_wkt(folder: Path) -> Path:
    frame = health_centres(4326)
    path = folder / "health_wkt.csv"
    table = pd.DataFrame({"name": frame["نام"], "beds": BEDS, "area_m2": AREAS,
                          "opened": [d.isoformat() if d else "" for d in OPENED],
                          "wkt": shapely.to_wkt(frame.geometry.values, rounding_precision=-1)})
    table.to_csv(path, index=False)
    return path


def shapefile_parts(folder: Path, *, encoding: str = "cp1256", cpg: bool = True, prj: bool = True) -> dict[str, bytes]:
    """The files of a Windows-1256 Shapefile in UTM 40N (Persian column name and values)."""
    frame = health_centres().drop(columns=["opened"])  # dBASE dates are text in some readers; kept simple
    pyogrio.write_dataframe(frame, folder / "health.shp", encoding=encoding)
    parts = {p.name: p.read_bytes() for p in sorted(folder.glob("health.*"))}
    for p in folder.glob("health.*"):
        p.unlink()
    if not cpg:
        parts.pop("health.cpg", None)
    if not prj:
        parts.pop("health.prj")
    return parts


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def write_shapefile_zip(folder: Path, **kwargs: object) -> Path:
    return write_zip(folder / "health_shp.zip", shapefile_parts(folder, **kwargs))  # type: ignore[arg-type]


FORMAT_WRITERS = {
    "geojson": write_geojson,
    "gpkg": write_gpkg,
    "shapefile_zip": write_shapefile_zip,
    "csv_lonlat": write_csv_lonlat,
    "csv_wkt": write_csv_wkt,
    "flatgeobuf": write_fgb,
    "geoparquet": write_geoparquet,
}


def write_geotiff(path: Path, *, georeferenced: bool = True, crs: int | None = UTM40N) -> np.ndarray:
    """A small float32 population-density raster with nodata -1; returns its pixels."""
    rng = np.random.default_rng(7)
    data = rng.gamma(2.0, 50.0, (60, 80)).astype("float32")
    data[:5, :5] = -1.0
    profile = {"driver": "GTiff", "width": 80, "height": 60, "count": 1, "dtype": "float32", "nodata": -1.0}
    if georeferenced:
        profile["transform"] = Affine(1_000, 0, 450_000, 0, -1_000, 3_360_000)  # 1 km pixels
    if georeferenced and crs:
        profile["crs"] = f"EPSG:{crs}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # wanted, for the bad-input case
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
    return data


def feature_collection(features: list[dict]) -> bytes:
    import json

    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def zip_bomb(path: Path, megabytes: int = 30) -> Path:
    """A small zip that unpacks to ``megabytes`` of zeros (compression ratio ~1000)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.geojson", b"\0" * (megabytes * 1024 * 1024))
    path.write_bytes(buffer.getvalue())
    return path


def upload(client, path: Path, name: str, **form: object):  # type: ignore[no-untyped-def]
    """POST ``path`` to /api/layers with the given form fields."""
    with path.open("rb") as fh:
        return client.post("/api/layers", data={"name": name, **{k: str(v) for k, v in form.items()}},
                           files={"file": (path.name, fh)})
