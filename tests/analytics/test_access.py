"""Access to services (2SFCA / E2SFCA): published examples, conservation of supply, and the API on the demo."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.analytics.access import (
    BLOCK_ROWS, _floating_catchments, _sparse_weights, gaussian, haversine_m, stepwise, two_step_fca,
)


def test_every_population_shares_all_supply_when_everything_is_within_reach() -> None:
    """The example of the R package ``fca`` (Grüebler et al., ``get_2SFCA``/``spai_2sfca`` and
    their tests, tests/testthat/test-get_2SFCA.R): populations 1…4, supplies 1…6, the
    distance matrix 1…24 filled by column (6 supply rows × 4 population columns), all
    within reach: every population gets Σs / Σp = 21 / 10 = 2.1."""
    population, supply = np.arange(1.0, 5.0), np.arange(1.0, 7.0)
    distances = np.arange(1.0, 25.0).reshape(4, 6)  # R's column-major 6 × 4, transposed: demand × supply

    assert two_step_fca(supply, population, distances, catchment=24) == pytest.approx([2.1, 2.1, 2.1, 2.1])


def test_a_catchment_smaller_than_the_spacing_leaves_each_place_its_own_supply() -> None:
    """PySAL ``access`` (access/tests/test_floating_catchment_area.py,
    ``test_two_stage_floating_catchment_area_small_catchment``): a 5 × 5 grid of unit
    spacing, supply and demand 1 at every node, catchment 0.9: every access is 1."""
    x, y = np.meshgrid(np.arange(5.0), np.arange(5.0))
    nodes = np.column_stack([x.ravel(), y.ravel()])
    distances = np.linalg.norm(nodes[:, None, :] - nodes[None, :, :], axis=2)

    assert two_step_fca(np.ones(25), np.ones(25), distances, catchment=0.9) == pytest.approx(np.ones(25))


# Two clinics (10 and 5 doctors), three villages (1,000, 2,000 and 500 people), 10 km catchment.
SUPPLY, DEMAND = np.array([10.0, 5.0]), np.array([1000.0, 2000.0, 500.0])
DISTANCES_KM = np.array([[2.0, 12.0], [8.0, 4.0], [25.0, 7.0]])


def test_2sfca_follows_luo_and_wang_step_by_step() -> None:
    """Luo & Wang (2003), Environment and Planning B 30(6): R_j = S_j / Σ P_k (d_kj ≤ d0),
    A_i = Σ R_j (d_ij ≤ d0). Clinic 1 serves villages 1 and 2 (R = 10/3000), clinic 2
    villages 2 and 3 (R = 5/2500)."""
    access = two_step_fca(SUPPLY, DEMAND, DISTANCES_KM, catchment=10)

    assert access == pytest.approx([10 / 3000, 10 / 3000 + 5 / 2500, 5 / 2500])


def test_e2sfca_weighs_the_bands_of_luo_and_qi() -> None:
    """Luo & Qi (2009), Health & Place 15(4): weights 1, 0.68 and 0.22 for the three equal
    bands of the catchment, in both steps. At 2, 4, 7 and 8 km of 10 km the weights are
    1, 0.68, 0.22 and 0.22: R_1 = 10/(1000 + 0.22·2000), R_2 = 5/(0.68·2000 + 0.22·500)."""
    r1, r2 = 10 / 1440, 5 / 1470
    access = two_step_fca(SUPPLY, DEMAND, DISTANCES_KM, catchment=10, weights=stepwise(10))

    assert access == pytest.approx([r1, 0.22 * r1 + 0.68 * r2, 0.22 * r2])


def test_gaussian_decay_is_one_at_the_point_and_zero_at_the_edge() -> None:
    assert gaussian(10)(np.array([0.0, 10.0])) == pytest.approx([1.0, 0.0], abs=1e-12)


def test_haversine_gives_a_degree_of_the_equator_and_of_a_meridian() -> None:
    metres = haversine_m(np.array([0.0]), np.array([0.0]), np.array([1.0, 0.0]), np.array([0.0, 1.0]))

    assert metres.shape == (1, 2) and metres[0] == pytest.approx([111_195.08, 111_195.08], abs=0.01)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n_supply: st.integers(1, 8).flatmap(lambda n_demand: st.tuples(
    arrays(float, n_supply, elements=st.floats(0, 1000)),
    arrays(float, n_demand, elements=st.just(0.0) | st.floats(1, 1e6)),  # people: none, or at least one
    arrays(float, (n_demand, n_supply), elements=st.floats(0, 100)),
))), st.floats(1, 100), st.booleans())
def test_accessibility_times_demand_adds_up_to_the_supply_that_reaches_demand(
        data: tuple[np.ndarray, np.ndarray, np.ndarray], catchment: float, banded: bool) -> None:
    supply, demand, distances = data
    access = two_step_fca(supply, demand, distances, catchment, stepwise(catchment) if banded else None)

    reaching = (demand[:, None] * (distances <= catchment)).sum(axis=0) > 0
    assert access @ demand == pytest.approx(supply[reaching].sum(), rel=1e-9, abs=1e-6)


def test_the_blocked_sparse_weights_of_the_database_path_give_the_dense_result() -> None:
    rng = np.random.default_rng(20)
    villages = np.column_stack([rng.uniform(56, 58, BLOCK_ROWS + 500), rng.uniform(29, 31, BLOCK_ROWS + 500)])
    clinics = np.column_stack([rng.uniform(56, 58, 40), rng.uniform(29, 31, 40)])
    people, beds = rng.integers(0, 5000, len(villages)).astype(float), rng.integers(1, 60, 40).astype(float)
    decay = gaussian(30_000)

    dense = two_step_fca(beds, people, haversine_m(villages[:, 0], villages[:, 1], clinics[:, 0], clinics[:, 1]),
                         30_000, decay)
    blocked = _floating_catchments(beds, people, _sparse_weights(villages, clinics, 30_000, decay))
    assert blocked == pytest.approx(dense, rel=1e-12)


def test_access_to_demo_health_centres_is_derived_and_read_back(client: TestClient, session: Session) -> None:
    response = client.post("/api/indicators/access", json={
        "layer": "demo_health_centres", "level": "province", "code": "beds_access_e2sfca", "period": "2024",
        "catchment_m": 150_000, "capacity": "beds", "decay": "gaussian"})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["units"] == 31 and summary["supply_points"] == 124 and summary["method"] == "e2sfca"

    body = client.get("/api/indicators/beds_access_e2sfca/values?level=province&period=2024").json()
    population = dict(session.execute(text(
        "SELECT code, population FROM admin_unit WHERE level = 'province' AND valid_to IS NULL")).all())
    assert len(body["values"]) == 31 and min(body["values"].values()) >= 0
    # Beds per 1,000 × thousands of people = the beds that reach someone (E2SFCA conserves supply).
    beds = sum(value * population[code] / 1000 for code, value in body["values"].items())
    assert beds == pytest.approx(summary["supply_reaching_demand"]) and beds > 0


def test_access_with_a_text_capacity_is_a_422_naming_the_field_and_writes_nothing(client: TestClient) -> None:
    response = client.post("/api/indicators/access", json={
        "layer": "demo_health_centres", "level": "province", "code": "bad_access", "period": "2024",
        "catchment_m": 50_000, "capacity": "name"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "capacity"
    assert client.get("/api/indicators/bad_access").status_code == 404
