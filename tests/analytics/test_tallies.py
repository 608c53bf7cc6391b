"""The point-in-polygon rule both engines apply (spatial.analytics.tallies)."""

from __future__ import annotations

import numpy as np
import shapely

from spatial.analytics.tallies import point_tallies, values_of_tallies


def test_a_feature_of_several_points_counts_once_even_when_its_points_are_not_neighbours() -> None:
    """Found by the property test: the pairs come sorted by unit, and within a unit by grid
    cell, so feature 0's two points, at (0, 0) and (0, 3), are not next to each other there."""
    polygons = np.array([shapely.box(0, 0, 10, 10)])
    xy = np.array([[0.0, 0.0], [0.0, 3.0], [0.0, 0.0]])
    tallies = point_tallies(xy, np.array([0, 0, 1]), np.array([5.0, np.nan]), polygons)
    assert tallies.tolist() == [[2.0], [5.0], [1.0]]  # features, sum of known values, features with a value
    population = np.array([0.0])
    assert values_of_tallies("count", tallies, population).tolist() == [2.0]
    assert np.isnan(values_of_tallies("per_1000", tallies, population)).all()
    assert values_of_tallies("mean", tallies, population).tolist() == [5.0]
