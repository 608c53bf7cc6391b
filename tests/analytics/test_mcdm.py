"""AHP weights, VIKOR and TOPSIS with any normalisation: published worked examples, then in an index."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session

from spatial.analytics.indices import compute_index, index_scores, parse_definition, topsis
from spatial.analytics.mcdm import ahp_weights, pairwise_matrix, vikor
from spatial.errors import InvalidInput

DRINKS = ("coffee", "wine", "tea", "beer", "soda", "milk", "water")
#: (row, column) → how many times more the row's drink is consumed than the column's.
DRINK_JUDGEMENTS = {
    ("coffee", "wine"): 9, ("coffee", "tea"): 5, ("coffee", "beer"): 2, ("coffee", "soda"): 1, ("coffee", "milk"): 1,
    ("water", "coffee"): 2, ("water", "wine"): 9, ("water", "tea"): 9, ("water", "beer"): 3, ("water", "soda"): 2,
    ("water", "milk"): 3, ("tea", "wine"): 3, ("beer", "wine"): 9, ("beer", "tea"): 3, ("beer", "milk"): 1,
    ("soda", "wine"): 9, ("soda", "tea"): 4, ("soda", "beer"): 2, ("soda", "milk"): 2, ("milk", "wine"): 9,
    ("milk", "tea"): 3,
}


def _drinks() -> np.ndarray:
    a = np.ones((len(DRINKS), len(DRINKS)))
    for (row, column), value in DRINK_JUDGEMENTS.items():
        i, j = DRINKS.index(row), DRINKS.index(column)
        a[i, j], a[j, i] = value, 1 / value
    return a


def test_ahp_gives_saatys_drink_consumption_weights_and_cr() -> None:
    """Saaty, T. L. (2008), "Decision making with the analytic hierarchy process", Int. J. Services
    Sciences 1(1): 83–98, Table 2 ("Which drink is consumed more in the U.S.?"): derived weights to
    three decimals and CR 0.022 (also AHPy's test suite, tests/test_ahp.py, random_index='saaty')."""
    result = ahp_weights(_drinks())
    weights = dict(zip(DRINKS, result.weights.round(3).tolist(), strict=True))
    assert weights == {"coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116, "soda": 0.190,
                       "milk": 0.129, "water": 0.327}
    assert round(result.cr, 3) == 0.022
    assert result.ci == pytest.approx((result.lambda_max - 7) / 6)
    assert result.cr == pytest.approx(result.ci / 1.32)


def test_a_consistent_matrix_has_cr_zero() -> None:
    w = np.array([0.5, 0.3, 0.2])
    result = ahp_weights(w[:, None] / w[None, :])
    assert result.weights == pytest.approx(w)
    assert result.lambda_max == pytest.approx(3.0) and result.cr == pytest.approx(0.0, abs=1e-12)


def test_fractions_and_non_reciprocal_matrices() -> None:
    assert pairwise_matrix([[1, "3"], ["1/3", 1]], 2)[1, 0] == pytest.approx(1 / 3)
    with pytest.raises(InvalidInput, match="not reciprocal: row 1, column 2 is 3"):
        pairwise_matrix([[1, 3], [3, 1]], 2)
    with pytest.raises(InvalidInput, match="2 × 2"):
        pairwise_matrix([[1, 3]], 2)
    with pytest.raises(InvalidInput, match="'x' is not a number"):
        pairwise_matrix([[1, "x"], [1, 1]], 2)


def test_vikor_matches_pymcdms_worked_example() -> None:
    """pymcdm 1.4.0, pymcdm/methods/vikor.py, the VIKOR docstring example (a doctest of the
    library): five alternatives, four profit criteria, equal weights, v = 0.5 →
    Q = [0.5679, 0.7667, 1, 0.7493, 0]."""
    matrix = np.array([[78, 56, 34, 6], [4, 45, 3, 97], [18, 2, 50, 63], [9, 14, 11, 92], [85, 9, 100, 29]], float)
    _, _, q = vikor(matrix, np.full(4, 0.25))
    assert q.round(4).tolist() == [0.5679, 0.7667, 1.0, 0.7493, 0.0]


def test_vikor_matches_jmcdms_reference_example() -> None:
    """JMcDM (Julia) test suite, the "VIKOR" testset: four alternatives, eight benefit criteria,
    weights 0.110/0.035/0.379/0.384/0.002/0.002/0.010/0.077 → Q ≈ 0.74, 0.73, 1.0, 0.0
    (tolerance 0.01 there), the fourth best."""
    matrix = np.array([[100, 92, 10, 2, 80, 70, 95, 80], [80, 70, 8, 4, 100, 80, 80, 90],
                       [90, 85, 5, 0, 75, 95, 70, 70], [70, 88, 20, 18, 60, 90, 95, 85]], float)
    s, r, q = vikor(matrix, np.array([0.110, 0.035, 0.379, 0.384, 0.002, 0.002, 0.010, 0.077]))
    assert q.tolist() == pytest.approx([0.74, 0.73, 1.0, 0.0], abs=0.01)
    assert int(np.argmin(q)) == 3 and int(np.argmin(s)) == 3 and int(np.argmin(r)) == 3


def test_topsis_with_min_max_normalisation_matches_the_published_example() -> None:
    """Opricovic & Tzeng (2004), "Compromise solution by MCDM methods: A comparative analysis of
    VIKOR and TOPSIS", EJOR 156(2): 445–455, the two-criterion example (cost 1/2/5, benefit
    3000/3750/4500, equal weights), as computed with linear (min-max) normalisation in pymcdm
    1.4.0's TOPSIS docstring: [0.500, 0.617, 0.500]."""
    matrix = np.array([[1, 3000], [2, 3750], [5, 4500]], float)
    closeness = topsis(matrix, np.array([0.5, 0.5]), np.array([False, True]), normalisation="min_max")
    assert closeness.round(3).tolist() == [0.5, 0.617, 0.5]


def test_topsis_accepts_every_normalisation_and_keeps_the_order_of_dominance() -> None:
    matrix = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    for method in ("vector", "min_max", "z_score", "rank", "distance_to_reference"):
        closeness = topsis(matrix, np.array([0.5, 0.5]), np.array([True, True]), method, reference=0)
        assert np.argsort(closeness).tolist() == [0, 1, 2], method


DEFINITION = {
    "code": "ahp_need", "name_fa": "نیاز", "name_en": "Need", "domain": "deprivation", "levels": ["province"],
    "period": "2024", "indicators": ["unemployment_rate", "literacy_rate", "health_centres_per_10k"],
    "weights": "ahp", "pairwise": [[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]],
}


def test_an_index_takes_ahp_weights_and_reports_their_consistency(session: Session) -> None:
    summary = compute_index(session, DEFINITION, clusters=False)
    ahp = summary["ahp"]
    assert ahp["cr"] < 0.1 and ahp["lambda_max"] == pytest.approx(3.0037, abs=1e-4)
    assert list(ahp["weights"].values()) == pytest.approx([0.648, 0.230, 0.122], abs=1e-3)
    assert summary["levels"]["province"]["weights"] == pytest.approx(ahp["weights"], abs=1e-6)


def test_inconsistent_judgements_are_refused_naming_the_pair() -> None:
    # Priorities 8 : 4 : 2 : 1 judged consistently, except jobs against unemployment turned round:
    # "1/8" where the other judgements say 8 (through literacy 2 × 4, through health 4 × 2).
    indicators = [*DEFINITION["indicators"], "jobs_per_1000"]
    pairwise = [[1, 2, 4, "1/8"], ["1/2", 1, 2, 4], ["1/4", "1/2", 1, 2], [8, "1/4", "1/2", 1]]
    with pytest.raises(InvalidInput, match=r"CR = .* is above 0.1\. The most inconsistent judgement is "
                                           r"unemployment_rate against jobs_per_1000: it says 1/8, while the "
                                           r"other judgements imply about 8\."):
        parse_definition({**DEFINITION, "indicators": indicators, "pairwise": pairwise})


def test_vikor_index_scores_count_up_like_the_others(session: Session) -> None:
    definition = {**DEFINITION, "code": "vikor_need", "weights": "equal", "aggregation": "vikor", "v": 0.5}
    del definition["pairwise"]
    summary = compute_index(session, definition, clusters=False)
    scores = index_scores(session, summary["id"], "province")["scores"]
    assert len(scores) == 31
    assert scores[0]["score"] == pytest.approx(1.0)  # Q = 0: the best compromise, here the most deprived
    assert min(s["score"] for s in scores) == pytest.approx(0.0)


@pytest.mark.parametrize(("change", "message"), [
    ({"pairwise": None, "weights": "equal", "v": 0.4}, "'v' belongs to aggregation: vikor"),
    ({"weights": "equal"}, "'pairwise' matrix is given but 'weights' is not 'ahp'"),
    ({"aggregation": "vikor", "v": 1.5}, "between 0 and 1"),
    ({"pairwise": [[1, 3], ["1/3", 1]]}, "3 × 3"),
])
def test_bad_ahp_and_vikor_definitions_say_what_to_fix(change: dict, message: str) -> None:
    definition = {k: v for k, v in {**DEFINITION, **change}.items() if v is not None}
    with pytest.raises(InvalidInput, match=message):
        parse_definition(definition)


def test_definitions_without_the_new_methods_keep_their_hash() -> None:
    plain = {k: v for k, v in DEFINITION.items() if k not in ("weights", "pairwise")}
    assert "pairwise" not in parse_definition(plain).canonical() and "v" not in parse_definition(plain).canonical()
