"""Partner-API fixtures: a vector layer and a raster layer built exactly as the layer
contract says (a table ``layers.<table_name>`` with ``fid``/``geom`` and a COG under the
data directory), committed so that the live server sees them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pytest
import rasterio
import rasterio.shutil
from rasterio.io import MemoryFile
from affine import Affine
from sqlalchemy import text

from spatial.db.bulk import copy_rows, ewkb_hex

WELLS_BOUNDS = (51.0, 35.0, 52.0, 36.0)  # around Tehran
WELLS_GRID = 8  # 8 x 8 = 64 points


def _well_points() -> list[tuple[int, str, float, date, str]]:
    import shapely

    xs = np.linspace(WELLS_BOUNDS[0] + 0.05, WELLS_BOUNDS[2] - 0.05, WELLS_GRID)
    ys = np.linspace(WELLS_BOUNDS[1] + 0.05, WELLS_BOUNDS[3] - 0.05, WELLS_GRID)
    gx, gy = np.meshgrid(xs, ys)
    points = shapely.multipoints(shapely.points(gx.ravel(), gy.ravel())[:, None])
    geoms = ewkb_hex(points)
    return [
        (i + 1, f"well {i + 1}", float(10 + i), date(2024, 1, 1) + timedelta(days=i), g)
        for i, g in enumerate(geoms)
    ]


@pytest.fixture(scope="session")
def wells(database_url: str) -> Iterator[str]:
    """Vector layer ``wells``: 64 points on a grid over 51–52°E, 35–36°N, with name, depth, drilled date."""
    from spatial.db.engine import session_scope

    columns = [{"name": "name", "label": "Name", "type": "text"},
               {"name": "depth_m", "label": "Depth (m)", "type": "float"},
               {"name": "drilled", "label": "Drilled on", "type": "date"}]
    with session_scope() as s:
        s.execute(text("""CREATE TABLE layers.test_wells (fid bigint PRIMARY KEY, name text, depth_m double precision,
                          drilled date, geom geometry(MultiPoint, 4326) NOT NULL)"""))
        s.execute(text("CREATE INDEX ON layers.test_wells USING gist (geom)"))
        copy_rows(s, "test_wells", ("fid", "name", "depth_m", "drilled", "geom"), _well_points(), schema="layers")
        s.execute(text("""INSERT INTO layer (slug, title, kind, storage, table_name, geometry_type, feature_count,
                                             bbox, columns)
                          VALUES ('wells', 'Wells (test)', 'capacity', 'vector', 'test_wells', 'MultiPoint', 64,
                                  CAST(:bbox AS jsonb), CAST(:columns AS jsonb))"""),
                  {"bbox": json.dumps(list(WELLS_BOUNDS)), "columns": json.dumps(columns)})
    yield "wells"
    with session_scope() as s:
        s.execute(text("DELETE FROM layer WHERE slug = 'wells'"))
        s.execute(text("DROP TABLE layers.test_wells"))


@pytest.fixture(scope="session")
def elevation(database_url: str) -> Iterator[str]:
    """Raster layer ``elevation``: a 200 x 200 COG over 51–52°E, 35–36°N, values 0–1990 west to east."""
    from spatial.db.engine import session_scope
    from spatial.settings import get_settings

    path = get_settings().data_dir / "rasters" / "test_elevation.tif"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.tile(np.arange(200, dtype="float32") * 10, (200, 1))
    profile = {"driver": "GTiff", "width": 200, "height": 200, "count": 1, "dtype": "float32", "crs": "EPSG:4326",
               "transform": Affine(1 / 200, 0, WELLS_BOUNDS[0], 0, -1 / 200, WELLS_BOUNDS[3]), "nodata": -9999.0}
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(data, 1)
        with memory.open() as dataset:
            rasterio.shutil.copy(dataset, str(path), driver="COG")
    with session_scope() as s:
        s.execute(text("""INSERT INTO layer (slug, title, kind, storage, raster_path, bbox)
                          VALUES ('elevation', 'Elevation (test)', 'context', 'raster', 'rasters/test_elevation.tif',
                                  CAST(:bbox AS jsonb))"""), {"bbox": json.dumps(list(WELLS_BOUNDS))})
    yield "elevation"
    with session_scope() as s:
        s.execute(text("DELETE FROM layer WHERE slug = 'elevation'"))
    path.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _fresh_generation() -> None:
    """Each test sees the data as committed (no 1-second grace on the generation)."""
    from spatial.serving.generation import forget_generation

    forget_generation()


@pytest.fixture(scope="module", autouse=True)
def fresh_tiles(database_url: str) -> None:
    """Derived products rebuilt, before each module, as the server's background refresher
    would (the tests turn it off): tests elsewhere commit boundary or value changes, which
    mark them stale and have their tiles drawn exact. Nothing stale: one query."""
    from spatial.db.engine import session_scope
    from spatial.serving.freshness import refresh_stale
    from spatial.serving.generation import forget_generation

    with session_scope() as s:
        refresh_stale(s)
    forget_generation()
