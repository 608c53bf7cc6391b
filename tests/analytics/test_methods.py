"""Index methods, allocation and inequality on published worked examples and by their properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from spatial.analytics.advantage import location_quotient, specialisation
from spatial.analytics.allocation import allocate_budget
from spatial.errors import InvalidInput
from spatial.analytics.indices import entropy_weights, normalise, parse_definition, topsis
from spatial.analytics.spatial_stats import gini, theil


def test_topsis_matches_the_published_textbook_example() -> None:
    # Papathanasiou & Ploskas (2018), Multiple Criteria Decision Aid, ch. 1 "TOPSIS":
    # six alternatives, four benefit criteria, weights 0.4/0.3/0.1/0.2.
    matrix = np.array([[8, 7, 2, 1], [5, 3, 7, 5], [7, 5, 6, 4], [9, 9, 7, 3], [11, 10, 3, 7], [6, 9, 5, 4]], float)
    closeness = topsis(matrix, np.array([0.4, 0.3, 0.1, 0.2]), np.ones(4, dtype=bool))
    assert closeness.round(3).tolist() == [0.387, 0.327, 0.391, 0.615, 0.868, 0.493]


def test_topsis_cost_criterion_prefers_the_lower_value() -> None:
    closeness = topsis(np.array([[1.0], [3.0]]), np.array([1.0]), np.array([False]))
    assert closeness.tolist() == [1.0, 0.0]


def test_entropy_weights_match_the_published_example() -> None:
    # Xu (2004), "A note on the subjective and objective integrated approach to determine
    # attribute weights", European Journal of Operational Research 156(2): 530-532.
    matrix = np.array([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]], float)
    assert entropy_weights(matrix).round(4).tolist() == [0.4630, 0.3992, 0.1378, 0.0]


def test_location_quotient_matches_the_textbook_definition() -> None:
    # BLS/BEA definition and its example: manufacturing is 20% of the county's jobs (2,000 of
    # 10,000) and 10% of the nation's (100,000 of 1,000,000), so the county's LQ is 2.0.
    employment = pd.DataFrame({"manufacturing": [2_000, 98_000], "other": [8_000, 892_000]}, index=["county", "rest"])
    lq = location_quotient(employment)
    assert lq.loc["county", "manufacturing"] == pytest.approx(2.0)
    assert lq.loc["county", "other"] == pytest.approx(0.8 / 0.9)
    assert lq.loc["rest", "manufacturing"] == pytest.approx((98 / 990) / 0.1)


def test_location_quotient_against_the_parent_uses_siblings_only() -> None:
    employment = pd.DataFrame({"farming": [30, 10, 50, 50], "services": [70, 90, 50, 50]})
    parents = pd.Series(["P", "P", "Q", "Q"])
    lq = location_quotient(employment, parents)
    assert lq["farming"].round(3).tolist() == [1.5, 0.5, 1.0, 1.0]
    assert specialisation(employment, parents).round(3).tolist() == [0.1, 0.1, 0.0, 0.0]


def test_min_max_reverses_indicators_that_count_the_other_way() -> None:
    x = np.array([[10.0, 1.0], [20.0, 3.0], [30.0, 2.0]])
    out = normalise(x, np.array([True, False]), "min_max")
    assert out.tolist() == [[0.0, 1.0], [0.5, 0.0], [1.0, 0.5]]


def test_distance_to_reference_is_relative_to_the_reference_unit() -> None:
    out = normalise(np.array([[10.0], [15.0], [5.0]]), np.array([True]), "distance_to_reference", reference=0)
    assert out.ravel().tolist() == [0.0, 0.5, -0.5]


def test_gini_of_perfect_equality_and_of_one_holder() -> None:
    assert gini(np.full(10, 3.0)) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 0.0, 5.0])) == pytest.approx(0.8)


def test_weights_that_do_not_sum_to_one_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="sum to 0.9"):
        parse_definition({"code": "x", "name_fa": "x", "name_en": "x", "domain": "deprivation", "levels": ["county"],
                          "indicators": [{"code": "a", "weight": 0.5}, {"code": "b", "weight": 0.4}]})


def test_floors_above_the_budget_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="floors add up to 300"):
        allocate_budget([1.0, 2.0, 3.0], 200, floors=100)


def test_allocation_gives_what_capped_units_cannot_take_to_units_without_need() -> None:
    split = allocate_budget([1.0, 0.0, 0.0], 101, floors=0, caps=60)
    assert split.amounts.tolist() == [60, 21, 20] and split.bound[0] == "cap"


def test_allocation_reports_floors_and_caps() -> None:
    split = allocate_budget([10.0, 1.0, 0.0, 5.0], 1_000, floors=50, caps=500)
    assert split.amounts.sum() == 1_000
    assert split.bound[0] == "cap" and split.bound[2] == "floor"


# ---------------------------------------------------------------- properties

needs = arrays(np.float64, st.integers(1, 40), elements=st.floats(0, 1e6, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(need=needs, budget=st.integers(0, 10**15), floor_share=st.floats(0, 1), cap_factor=st.floats(1, 5),
       use_cap=st.booleans())
def test_allocation_sums_to_the_budget_within_floors_and_caps(need: np.ndarray, budget: int, floor_share: float,
                                                             cap_factor: float, use_cap: bool) -> None:
    n = len(need)
    floor = int(budget * floor_share) // n
    cap = max(floor, -(-budget * cap_factor // n)) if use_cap else None
    cap = None if cap is None else int(cap)
    if need.sum() == 0 and cap is None and floor * n < budget:
        with pytest.raises(InvalidInput):
            allocate_budget(need, budget, floor, cap)
        return
    split = allocate_budget(need, budget, floor, cap)
    assert int(split.amounts.sum()) == budget
    assert (split.amounts >= floor).all()
    if cap is not None:
        assert (split.amounts <= cap).all()


@settings(max_examples=100, deadline=None)
@given(values=arrays(np.float64, st.integers(2, 60), elements=st.floats(0.01, 1e6)),
       groups=st.lists(st.sampled_from("abcd"), min_size=60, max_size=60),
       weighted=st.booleans())
def test_theil_between_plus_within_equals_total(values: np.ndarray, groups: list[str], weighted: bool) -> None:
    weights = np.linspace(1, 3, len(values)) if weighted else None
    t = theil(values, np.array(groups[: len(values)]), weights)
    assert t["between"] + t["within"] == pytest.approx(t["total"], abs=1e-9)
    assert t["total"] >= -1e-12 and t["between"] >= -1e-12


@settings(max_examples=100, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=st.floats(-1e3, 1e3)),
       transform=st.sampled_from([np.exp, lambda v: v**3, lambda v: 7 * v + 2, np.arctan]))
def test_rank_normalisation_is_invariant_to_monotone_transforms(x: np.ndarray, transform) -> None:  # type: ignore[no-untyped-def]
    benefit = np.arange(x.shape[1]) % 2 == 0
    transformed = transform(x / 1e2)
    if len(np.unique(transformed)) != len(np.unique(x / 1e2)):
        return  # the transform merged values at float precision: not strictly increasing there
    assert np.array_equal(normalise(x / 1e2, benefit, "rank"), normalise(transformed, benefit, "rank"))
