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

from spatial.demo import PROVINCES_FILE

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


def shapefile_parts(folder: Path, *, encoding: str = "cp1256", cpg: bool = True, prj: bool | bytes = True,
                    frame: gpd.GeoDataFrame | None = None, stem: str = "health") -> dict[str, bytes]:
    """The files of a Windows-1256 Shapefile in UTM 40N (Persian column name and values).

    ``frame`` and ``stem`` default to the health centres; ``prj`` may be ``False`` (no
    .prj) or the bytes to write as the .prj instead of the real one.
    """
    if frame is None:
        frame = health_centres().drop(columns=["opened"])  # dBASE dates are text in some readers; kept simple
    pyogrio.write_dataframe(frame, folder / f"{stem}.shp", encoding=encoding)
    parts = {p.name: p.read_bytes() for p in sorted(folder.glob(f"{stem}.*"))}
    for p in folder.glob(f"{stem}.*"):
        p.unlink()
    if not cpg:
        parts.pop(f"{stem}.cpg", None)
    if prj is False:
        parts.pop(f"{stem}.prj")
    elif isinstance(prj, bytes):
        parts[f"{stem}.prj"] = prj
    return parts


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def write_shapefile_zip(folder: Path, **kwargs: object) -> Path:
    return write_zip(folder / "health_shp.zip", shapefile_parts(folder, **kwargs))  # type: ignore[arg-type]


def provinces_utm() -> gpd.GeoDataFrame:
    """Iran's 31 provinces (29 Polygons, 2 MultiPolygons: islands) in UTM 40N, Persian names in
    Windows-1256's letters (Arabic yeh), and their population-like number."""
    frame = gpd.read_file(PROVINCES_FILE, columns=["iso_3166_2", "name_fa"])
    frame["name_fa"] = frame["name_fa"].str.replace("ی", "ي")
    frame["rank"] = np.arange(1, len(frame) + 1, dtype=np.int64) * 1000
    return frame.to_crs(UTM40N)


def write_provinces_shapefile_zip(folder: Path, *, cpg: bool = True) -> Path:
    """The provinces as a zipped Windows-1256 Shapefile in UTM 40N (with or without its .cpg)."""
    parts = shapefile_parts(folder, frame=provinces_utm(), stem="provinces", cpg=cpg)
    return write_zip(folder / "provinces.zip", parts)


def write_kmz(folder: Path) -> Path:
    """A KMZ (zipped KML) with two folders: wells (points, Persian folder name) and roads (lines)."""
    placemarks = "".join(
        f"<Placemark><name>چاه {i}</name><Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
        for i, (lon, lat) in enumerate(KML_WELLS, start=1)
    )
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>field survey</name><Folder><name>{KML_WELLS_FOLDER}</name>{placemarks}</Folder>"
        "<Folder><name>roads</name><Placemark><name>r1</name>"
        "<LineString><coordinates>56.0,30.0,0 56.5,30.5,0</coordinates></LineString></Placemark></Folder>"
        "</Document></kml>"
    )
    return write_zip(folder / "survey.kmz", {"doc.kml": kml.encode()})


KML_WELLS_FOLDER = "چاه‌ها"
KML_WELLS = [(56.1, 30.2), (56.25, 30.35), (57.0, 29.9)]


def write_truncated_geotiff(folder: Path) -> Path:
    """A GeoTIFF cut off half way, as an interrupted download leaves it: its header reads, its pixels do not."""
    whole = folder / "whole.tif"
    write_geotiff(whole)
    path = folder / "cut.tif"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    whole.unlink()
    return path


#: Wells near Kerman: the coordinates as numbers and as written with Persian digits.
WELLS_LONLAT = [(56.1, 30.25), (57.0625, 29.5), (55.75, 31.0)]
WELLS_DEPTH = [1200, 85, 3400]


def _persian(text: str) -> str:
    return text.translate(str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫"))


def write_persian_digit_csv(folder: Path) -> Path:
    """A CSV with coordinates and depths in Persian digits (٫ decimal, ٬ thousands) and a name holding digits."""
    lines = ["name,lon,lat,depth_m"]
    for i, ((lon, lat), depth) in enumerate(zip(WELLS_LONLAT, WELLS_DEPTH, strict=True), start=1):
        depth_text = f"{depth:,}".replace(",", "٬")
        lines.append(f"چاه {_persian(str(i))},{_persian(repr(lon))},{_persian(repr(lat))},{_persian(depth_text)}")
    path = folder / "wells.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_swapped_csv(folder: Path) -> Path:
    """The wells with latitude in the lon column and longitude in the lat column."""
    lines = ["name,lon,lat"] + [f"well {i},{lat},{lon}" for i, (lon, lat) in enumerate(WELLS_LONLAT, start=1)]
    path = folder / "swapped.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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
