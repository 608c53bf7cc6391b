"""Fixtures for the analytics tests: layers written to the layers contract, and small unit sets.

Layer tables follow the ingestion contract (``layers.<table_name>`` with ``fid``,
``geom geometry(Multi*, 4326)`` GiST-indexed, attribute columns listed in
``Layer.columns``); rasters are GeoTIFFs under the data directory. Everything is
written inside the test's rolled-back session, except raster files, which get
unique names.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from psycopg import sql
from rasterio.transform import Affine
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import copy_rows, ewkb_hex
from spatial.settings import get_settings

_SQL_TYPES = {"integer": "bigint", "float": "double precision", "text": "text"}
_MULTI = {"Point": "MULTIPOINT", "LineString": "MULTILINESTRING", "Polygon": "MULTIPOLYGON"}


def _as_multi(geoms: np.ndarray) -> np.ndarray:
    parts, index = shapely.get_parts(geoms, return_index=True)
    kind = shapely.get_type_id(parts[0])
    make = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}[int(kind)]
    return make(parts, indices=index)


def write_vector_layer(session: Session, slug: str, frame: gpd.GeoDataFrame, kind: str = "capacity") -> None:
    """Write ``frame`` (EPSG:4326) as layer ``slug`` the way ingestion does, and catalogue it."""
    attributes = [c for c in frame.columns if c != frame.geometry.name]
    columns = [{"name": c, "label": c,
                "type": "integer" if pd.api.types.is_integer_dtype(frame[c])
                else "float" if pd.api.types.is_float_dtype(frame[c]) else "text"} for c in attributes]
    geometry_type = _MULTI[frame.geom_type.iloc[0].removeprefix("Multi")] if len(frame) else "MULTIPOINT"
    raw = session.connection().connection.driver_connection
    ddl = sql.SQL("CREATE TABLE {t} (fid bigint PRIMARY KEY, geom geometry({g}, 4326) NOT NULL{cols})").format(
        t=sql.Identifier("layers", slug), g=sql.SQL(geometry_type),
        cols=sql.SQL("").join(sql.SQL(", {} {}").format(sql.Identifier(c["name"]), sql.SQL(_SQL_TYPES[c["type"]]))
                              for c in columns))
    session.execute(text(ddl.as_string(raw)))
    session.execute(text(sql.SQL("CREATE INDEX {i} ON {t} USING gist (geom)").format(
        i=sql.Identifier(f"{slug}_geom_idx"), t=sql.Identifier("layers", slug)).as_string(raw)))
    if len(frame):
        geoms = ewkb_hex(_as_multi(frame.geometry.to_numpy()))
        values = frame[attributes].astype(object).where(frame[attributes].notna(), None).to_numpy()
        copy_rows(session, slug, ["fid", "geom", *attributes],
                  ((i + 1, g, *row) for i, (g, row) in enumerate(zip(geoms, values, strict=True))), schema="layers")
    session.execute(
        text("""INSERT INTO layer (slug, title, kind, storage, table_name, geometry_type, feature_count, columns)
                VALUES (:slug, :slug, :kind, 'vector', :slug, :gt, :n, CAST(:columns AS jsonb))"""),
        {"slug": slug, "kind": kind, "gt": geometry_type, "n": len(frame), "columns": json.dumps(columns)},
    )


def write_raster_layer(session: Session, slug: str, array: np.ndarray, west: float, north: float,
                       cell: float, nodata: float | None = None) -> Path:
    """Write ``array`` as a GeoTIFF (EPSG:4326) under the data directory and catalogue it."""
    relative = Path("rasters") / f"{slug}-{uuid.uuid4().hex[:8]}.tif"
    path = get_settings().data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", height=array.shape[0], width=array.shape[1], count=1,
                       dtype=array.dtype, crs="EPSG:4326", transform=Affine(cell, 0, west, 0, -cell, north),
                       nodata=nodata, tiled=True) as dst:
        dst.write(array, 1)
    session.execute(
        text("""INSERT INTO layer (slug, title, kind, storage, raster_path)
                VALUES (:slug, :slug, 'context', 'raster', :path)"""),
        {"slug": slug, "path": str(relative)},
    )
    return path


@pytest.fixture
def vector_layer(session: Session) -> Callable[..., None]:
    return lambda slug, frame, kind="capacity": write_vector_layer(session, slug, frame, kind)


@pytest.fixture
def raster_layer(session: Session) -> Callable[..., Path]:
    return lambda slug, array, west, north, cell, nodata=None: write_raster_layer(
        session, slug, array, west, north, cell, nodata)


def neighbourhoods_of(session: Session, county: str) -> gpd.GeoDataFrame:
    """The neighbourhoods of ``county`` with their population, as a GeoDataFrame."""
    rows = session.execute(
        text("""SELECT n.code, n.population, ST_AsBinary(n.geom) FROM admin_unit n
                JOIN admin_unit c ON c.id = n.parent_id WHERE c.code = :county ORDER BY n.code"""),
        {"county": county},
    ).all()
    return gpd.GeoDataFrame({"code": [r[0] for r in rows], "population": [r[1] for r in rows]},
                            geometry=shapely.from_wkb([bytes(r[2]) for r in rows]), crs=4326)


def insert_units(session: Session, frame: gpd.GeoDataFrame, province: str) -> None:
    """Add a test province ``province`` (the union of ``frame``) with ``frame`` as its neighbourhoods.

    ``frame`` needs ``code`` and ``population`` columns.
    """
    union = shapely.union_all(frame.geometry.to_numpy())
    session.execute(
        text("""INSERT INTO admin_unit (code, level, name_fa, name_en, population, geom)
                VALUES (:code, 'province', :code, :code, :pop, ST_Multi(ST_GeomFromWKB(:wkb, 4326)))"""),
        {"code": province, "pop": int(frame["population"].sum()), "wkb": shapely.to_wkb(union)},
    )
    parent = session.execute(text("SELECT id FROM admin_unit WHERE code = :c"), {"c": province}).scalar_one()
    copy_rows(session, "admin_unit", ("code", "level", "name_fa", "name_en", "parent_id", "population", "geom"),
              ((c, "neighbourhood", c, c, parent, int(p), g) for c, p, g in
               zip(frame["code"], frame["population"], ewkb_hex(_as_multi(frame.geometry.to_numpy())), strict=True)))


def set_values(session: Session, indicator: str, values: dict[str, float], period: str = "2024",
               domain: str = "context", direction: str = "higher_is_worse", meta: dict | None = None,
               rollup: str = "weighted_mean") -> None:
    """Define ``indicator`` and set its values by unit code."""
    from spatial.analytics.indicators import define_indicator

    ind = define_indicator(session, {"code": indicator, "name_fa": indicator, "name_en": indicator, "domain": domain,
                                     "direction": direction, "rollup": rollup, "meta": meta or {}})
    session.execute(
        text("""INSERT INTO indicator_value (indicator_id, unit_id, period, value)
                SELECT :ind, u.id, :period, t.v FROM unnest(CAST(:codes AS text[]), CAST(:vals AS float8[])) t(c, v)
                JOIN admin_unit u ON u.code = t.c AND u.valid_to IS NULL
                ON CONFLICT (indicator_id, unit_id, period) DO UPDATE SET value = excluded.value"""),
        {"ind": ind, "period": period, "codes": list(values), "vals": [float(v) for v in values.values()]},
    )
