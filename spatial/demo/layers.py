"""Demo resource layers: synthetic health centres, schools, roads, irrigated land and a
population-density raster inside the real provinces, added through the real ingestion
code (files written, then ``layers.ingest.add_layer``). All are marked synthetic in
their title and ``details``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.features import geometry_mask
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.demo.common import SEED, SYNTHETIC_NOTE, DemoStep

#: slug → (Persian title, English title, kind). The catalogue keeps the Persian title (a
#: layer has one); the English one names the indicators derived from the layer.
DEMO_LAYERS: dict[str, tuple[str, str, str]] = {
    "demo_health_centres": ("مراکز بهداشت (نمونه)", "Health centres (synthetic)", "capacity"),
    "demo_schools": ("مدارس (نمونه)", "Schools (synthetic)", "capacity"),
    "demo_roads": ("جاده‌ها (نمونه)", "Roads (synthetic)", "capacity"),
    "demo_irrigated_land": ("اراضی آبی (نمونه)", "Irrigated land (synthetic)", "capacity"),
    "demo_population_density": ("تراکم جمعیت (نمونه)", "Population density (synthetic)", "context"),
}
MARK = {"synthetic": True, "note": SYNTHETIC_NOTE}
#: Raster grid over Iran: 0.1° pixels.
GRID_WEST, GRID_NORTH, GRID_STEP, GRID_WIDTH, GRID_HEIGHT = 44.0, 40.0, 0.1, 200, 150


def _provinces(session: Session) -> tuple[list[str], np.ndarray]:
    rows = session.execute(text(
        "SELECT code, ST_AsBinary(geom) FROM admin_unit WHERE level = 'province' AND valid_to IS NULL ORDER BY code"
    )).all()
    return [r[0] for r in rows], shapely.from_wkb([bytes(r[1]) for r in rows])


def _points_inside(polygon: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random points inside ``polygon`` (rejection sampling in its bounding box)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found = np.empty(0, dtype=object)
    while len(found) < n:
        candidates = shapely.points(rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n))
        found = np.concatenate([found, candidates[shapely.contains(polygon, candidates)]])
    return found[:n]


def _feature_file(folder: Path, name: str, geometries: np.ndarray, properties: list[dict[str, Any]]) -> Path:
    features = [{"type": "Feature", "properties": p, "geometry": json.loads(shapely.to_geojson(g))}
                for g, p in zip(geometries, properties, strict=True)]
    path = folder / f"{name}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def _vector_files(folder: Path, codes: list[str], provinces: np.ndarray, rng: np.random.Generator) -> dict[str, Path]:
    health, schools, roads, fields = [], [], [], []
    health_props, school_props, road_props, field_props = [], [], [], []
    for code, province in zip(codes, provinces, strict=True):
        for i, point in enumerate(_points_inside(province, 4, rng), start=1):
            health.append(point)
            health_props.append({"name": f"Synthetic health centre {code}-{i}", "name_fa": f"مرکز بهداشت نمونه {i}",
                                 "beds": int(rng.integers(0, 60)), "province": code})
        for i, point in enumerate(_points_inside(province, 6, rng), start=1):
            schools.append(point)
            school_props.append({"name": f"Synthetic school {code}-{i}", "pupils": int(rng.integers(40, 900)),
                                 "level": str(rng.choice(["primary", "secondary"])), "province": code})
        ends = _points_inside(province, 4, rng)
        for i in range(0, 4, 2):
            roads.append(shapely.LineString([ends[i], ends[i + 1]]))
            road_props.append({"name": f"Synthetic road {code}-{i // 2 + 1}", "lanes": int(rng.integers(1, 3)),
                               "province": code})
        for centre in _points_inside(province, 3, rng):
            # Clipped to the province, so that fields never spill over a border.
            fields.append(shapely.intersection(centre.buffer(float(rng.uniform(0.03, 0.1)), quad_segs=4), province))
            field_props.append({"crop": str(rng.choice(["wheat", "pistachio", "date palm", "rice"])), "province": code})
    return {
        "demo_health_centres": _feature_file(folder, "health_centres", np.array(health), health_props),
        "demo_schools": _feature_file(folder, "schools", np.array(schools), school_props),
        "demo_roads": _feature_file(folder, "roads", np.array(roads), road_props),
        "demo_irrigated_land": _feature_file(folder, "irrigated_land", np.array(fields), field_props),
    }


def _raster_file(folder: Path, provinces: np.ndarray, rng: np.random.Generator) -> Path:
    """Population density (people per km², float32, nodata -1 outside Iran): a few cities on a rural floor."""
    transform = Affine(GRID_STEP, 0, GRID_WEST, 0, -GRID_STEP, GRID_NORTH)
    cols, rows = np.meshgrid(np.arange(GRID_WIDTH) + 0.5, np.arange(GRID_HEIGHT) + 0.5)
    lon, lat = GRID_WEST + cols * GRID_STEP, GRID_NORTH - rows * GRID_STEP
    density = rng.gamma(2.0, 10.0, lon.shape)
    for city in shapely.get_coordinates(shapely.point_on_surface(provinces)):
        density += 800.0 * np.exp(-((lon - city[0]) ** 2 + (lat - city[1]) ** 2) / 0.08)
    outside = geometry_mask(list(provinces), out_shape=density.shape, transform=transform)
    density = np.where(outside, -1.0, density).astype("float32")
    path = folder / "population_density.tif"
    with rasterio.open(path, "w", driver="GTiff", width=GRID_WIDTH, height=GRID_HEIGHT, count=1, dtype="float32",
                       crs="EPSG:4326", transform=transform, nodata=-1.0) as dst:
        dst.write(density, 1)
    return path


def load(session: Session, progress: Callable[[str], None]) -> None:
    """Write the demo files and add each through the real ingestion path."""
    from layers import datafiles
    from layers.ingest import LayerRequest, add_layer

    rng = np.random.default_rng(SEED + 4)
    codes, provinces = _provinces(session)
    with datafiles.work_folder("demo-layers") as work:
        folder = Path(work)
        files = _vector_files(folder, codes, provinces, rng)
        files["demo_population_density"] = _raster_file(folder, provinces, rng)
        for slug, path in files.items():
            title, _title_en, kind = DEMO_LAYERS[slug]
            progress(f"layer {slug}")
            add_layer(session, path, LayerRequest(name=slug, title=title, kind=kind, replace=True),
                      added_by="demo", details=MARK)


def remove(session: Session) -> None:
    """Remove the demo layers (only those marked synthetic)."""
    from layers.catalogue import remove_layer

    synthetic = session.execute(
        text("SELECT slug FROM layer WHERE slug = ANY(:slugs) AND (details ->> 'synthetic')::boolean"),
        {"slugs": list(DEMO_LAYERS)},
    ).scalars().all()
    for slug in synthetic:
        remove_layer(session, slug)


STEP = DemoStep(name="layers", load=load, remove=remove)
