"""Compact coverages: simplified with shared edges kept, quantised, and decodable exactly."""

from __future__ import annotations

import base64
import gzip

import numpy as np
import shapely
from shapely.geometry import box

from maps.coverage import compact_geometry, encode_coverage
from spatial.units.coverage import fit_zoom, pixel_degrees, simplify_for_zoom
from spatial.demo.tessellate import tessellate


def _unpack(payload: dict, key: str, dtype: type) -> np.ndarray:
    return np.frombuffer(gzip.decompress(base64.b64decode(payload[key])), dtype)


def _decode(payload: dict) -> list[list[np.ndarray]]:
    """Python twin of pishraft.js's decoder: features -> rings of (x, y)."""
    steps = _unpack(payload, "coords", np.int16).reshape(-1, 2).astype(float)
    per_ring = _unpack(payload, "points_per_ring", np.int32)
    per_polygon = _unpack(payload, "rings_per_polygon", np.int32)
    per_feature = _unpack(payload, "polygons_per_feature", np.int32)
    rings, start = [], 0
    for n in per_ring:
        rings.append(np.cumsum(steps[start:start + n], axis=0) * payload["quantum"] + payload["origin"])
        start += n
    ring_ends = np.cumsum(per_polygon)[np.cumsum(per_feature) - 1]
    return [rings[a:b] for a, b in zip([0, *ring_ends[:-1]], ring_ends, strict=True)]


def test_decoded_points_are_within_half_a_grid_step_of_the_originals() -> None:
    geoms = np.array([box(50, 30, 51.123456, 31.5), box(51.123456, 30, 52, 31.5)])
    payload = encode_coverage(geoms, quantum=0.001)
    features = _decode(payload)
    assert payload["features"] == len(features) == 2
    first = features[0][0]
    original = shapely.get_coordinates(shapely.get_exterior_ring(geoms[0]))[:-1]  # the closing point is implied
    assert len(first) == len(original)
    assert np.abs(first - original).max() <= payload["quantum"] / 2 + 1e-9


def test_points_that_fall_on_one_grid_cell_are_dropped() -> None:
    wiggly = shapely.Polygon([(50, 30), (50.00001, 30.00001), (51, 30), (51, 31), (50, 31)])
    payload = encode_coverage(np.array([shapely.MultiPolygon([wiggly])]), quantum=0.01)
    assert payload["points"] == 4


def test_every_number_fits_an_int16_even_for_a_fine_grid() -> None:
    payload = encode_coverage(np.array([box(44, 25, 64, 40)]), quantum=1e-6)
    assert payload["quantum"] >= 20 / 32_000
    assert np.abs(_unpack(payload, "coords", np.int16)).max() <= 32_000


def test_simplification_keeps_a_valid_coverage_with_shared_edges() -> None:
    area = shapely.buffer(shapely.Point(55, 32), 2, quad_segs=64)
    cells = tessellate(area, 40, np.random.default_rng(7))
    simplified = simplify_for_zoom(cells, 5)
    assert shapely.get_num_coordinates(simplified).sum() < shapely.get_num_coordinates(cells).sum()
    assert shapely.coverage_is_valid(simplified)
    assert abs(shapely.area(simplified).sum() - area.area) / area.area < 0.01


def test_fit_zoom_grows_as_the_area_shrinks() -> None:
    iran = (44.0, 25.0, 63.3, 39.8)
    assert 4 <= fit_zoom(iran) <= 6
    assert fit_zoom((56.0, 29.0, 56.2, 29.2)) > fit_zoom(iran) + 5
    assert pixel_degrees(8) == 360 / 256 / 256


def test_the_same_units_at_the_same_zoom_are_encoded_once() -> None:
    cells = tessellate(box(50, 30, 52, 32), 12, np.random.default_rng(3))
    first = compact_geometry(cells, 7)
    assert compact_geometry(shapely.from_wkb(shapely.to_wkb(cells)), 7) is first
    assert compact_geometry(cells, 8) is not first
    assert len(first["inside"]) == 12
