"""Vectorised geometry helpers against shapely's own answers."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from spatial.geometry import multipoint_coordinates, points_in_polygons


@pytest.fixture
def polygons() -> np.ndarray:
    """A 4 x 3 grid of unit squares, one with a hole, one as a two-part MultiPolygon, one empty."""
    boxes = [shapely.box(x, y, x + 1, y + 1) for x in range(4) for y in range(3)]
    boxes[4] = boxes[4].difference(shapely.box(1.25, 1.25, 1.75, 1.75))
    boxes[7] = shapely.MultiPolygon([boxes[7], shapely.box(10, 10, 11, 11)])
    boxes[9] = shapely.Polygon()
    return np.array(boxes)


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_points_in_polygons_equal_a_prepared_intersects_query(polygons: np.ndarray, workers: int) -> None:
    rng = np.random.default_rng(3)
    # Random points, points on edges and vertices (shared by up to four squares), points in
    # the hole and in the far part of the MultiPolygon, and points off every polygon.
    xy = np.concatenate([rng.uniform(-0.5, 4.5, (2000, 2)), rng.integers(0, 5, (200, 2)).astype(float),
                         np.column_stack([rng.integers(0, 5, 100), rng.uniform(0, 3, 100)]),
                         [[1.5, 1.5], [10.5, 10.5], [50, 50], [-3, 1]]])
    polygon, point = points_in_polygons(xy, polygons, workers=workers)
    tree_point, tree_polygon = shapely.STRtree(polygons).query(shapely.points(xy), predicate="intersects")
    assert (sorted(zip(polygon.tolist(), point.tolist(), strict=True))
            == sorted(zip(tree_polygon.tolist(), tree_point.tolist(), strict=True)))
    assert np.all(np.diff(polygon) >= 0)


def test_points_in_polygons_of_no_points_or_no_polygons(polygons: np.ndarray) -> None:
    for xy, polys in ((np.zeros((0, 2)), polygons), (np.ones((3, 2)), np.array([shapely.Polygon()]))):
        polygon, point = points_in_polygons(xy, polys)
        assert len(polygon) == len(point) == 0


@pytest.mark.parametrize("parts", [[1, 1, 1], [3, 1, 0, 2], [0], [2]])
def test_multipoint_coordinates_of_concatenated_wkb(parts: list[int]) -> None:
    rng = np.random.default_rng(len(parts))
    geoms = [shapely.MultiPoint(rng.uniform(0, 1, (n, 2))) if n else shapely.from_wkt("MULTIPOINT EMPTY")
             for n in parts]
    xy, index = multipoint_coordinates(b"".join(shapely.to_wkb(geoms, byte_order=1).tolist()), len(geoms))
    expected_xy, expected_index = shapely.get_coordinates(geoms, return_index=True)
    np.testing.assert_array_equal(xy, expected_xy)
    np.testing.assert_array_equal(index, expected_index)
