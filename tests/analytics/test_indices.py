"""Composite indices over the demo indicators: stored, reproducible, ranked, and bad input refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput, NotFound
from spatial.analytics.indices import compute_index, index_scores, parse_definition

DEPRIVATION = {
    "code": "test_deprivation", "name_fa": "محرومیت آزمایشی", "name_en": "Test deprivation", "domain": "deprivation",
    "levels": ["province", "county"], "period": "2024",
    "indicators": [{"code": "unemployment_rate", "weight": 0.5}, {"code": "literacy_rate", "weight": 0.3},
                   {"code": "health_centres_per_10k", "weight": 0.2}],
    "normalisation": "min_max", "weights": "explicit", "aggregation": "arithmetic",
}


def test_scores_are_stored_with_hash_period_and_ranks(session: Session) -> None:
    summary = compute_index(session, DEPRIVATION, clusters=False)
    assert summary["period"] == "2024" and len(summary["definition_hash"]) == 64
    assert summary["levels"]["province"]["scored"] == 31 and summary["levels"]["county"]["scored"] == 310
    result = index_scores(session, summary["id"], "province")
    ranks = [s["rank_overall"] for s in result["scores"]]
    assert ranks == sorted(ranks) and ranks[0] == 1 and max(ranks) == 31
    scores = [s["score"] for s in result["scores"]]
    assert scores == sorted(scores, reverse=True) and 0 <= min(scores) and max(scores) <= 1


def test_rank_within_parent_restarts_in_each_province(session: Session) -> None:
    summary = compute_index(session, DEPRIVATION, clusters=False)
    counties = index_scores(session, summary["id"], "county", parent_code="IR-15")["scores"]
    assert len(counties) == 10
    assert sorted(s["rank_in_parent"] for s in counties) == list(range(1, 11))


def test_more_unemployment_means_more_deprivation(session: Session) -> None:
    summary = compute_index(session, {**DEPRIVATION, "indicators": [{"code": "unemployment_rate"}],
                                      "weights": "equal"}, clusters=False)
    scores = index_scores(session, summary["id"], "county")["scores"]
    rates = dict(session.execute(text(
        """SELECT u.code, v.value FROM indicator_value v JOIN admin_unit u ON u.id = v.unit_id
           JOIN indicator i ON i.id = v.indicator_id
           WHERE i.code = 'unemployment_rate' AND v.period = '2024' AND u.level = 'county'""")).all())
    top, bottom = scores[0]["code"], scores[-1]["code"]
    assert rates[top] == max(rates.values()) and rates[bottom] == min(rates.values())


def test_same_definition_same_version_changed_definition_new_version(session: Session) -> None:
    first = compute_index(session, DEPRIVATION, clusters=False)
    again = compute_index(session, DEPRIVATION, clusters=False)
    changed = compute_index(session, {**DEPRIVATION, "aggregation": "geometric", "scale": [1, 100]}, clusters=False)
    assert first["id"] == again["id"] and first["definition_hash"] == again["definition_hash"]
    assert changed["id"] != first["id"]
    assert index_scores(session, "test_deprivation", "province")["index"]["id"] == changed["id"]


@pytest.mark.parametrize(("normalisation", "weights", "aggregation"), [
    ("z_score", "equal", "arithmetic"), ("rank", "entropy", "geometric"), ("vector", "entropy", "topsis"),
    ("distance_to_reference", "equal", "arithmetic"),
])
def test_every_method_combination_scores_every_county(session: Session, normalisation: str, weights: str,
                                                      aggregation: str) -> None:
    definition = {**DEPRIVATION, "normalisation": normalisation, "weights": weights, "aggregation": aggregation,
                  "indicators": [{"code": c["code"]} for c in DEPRIVATION["indicators"]], "levels": ["county"],
                  "reference_unit": "IR-15-01"}
    summary = compute_index(session, definition, clusters=False)
    assert summary["levels"]["county"]["scored"] == 310
    assert sum(summary["levels"]["county"]["weights"].values()) == pytest.approx(1.0)


def test_lisa_clusters_are_stored_with_the_scores(session: Session) -> None:
    summary = compute_index(session, {**DEPRIVATION, "levels": ["county"]})
    clusters = {s["cluster"] for s in index_scores(session, summary["id"], "county")["scores"]}
    assert clusters <= {"HH", "LL", "HL", "LH", "ns"} and "HH" in clusters


def test_missing_values_drop_fill_or_fail(session: Session) -> None:
    session.execute(text("""DELETE FROM indicator_value v USING admin_unit u, indicator i
                            WHERE u.id = v.unit_id AND i.id = v.indicator_id AND u.code = 'IR-15-01'
                              AND i.code = 'literacy_rate' AND v.period = '2024'"""))
    base = {**DEPRIVATION, "levels": ["county"]}
    dropped = compute_index(session, base, clusters=False)
    assert dropped["levels"]["county"]["dropped"] == ["IR-15-01"]
    filled = compute_index(session, {**base, "missing": "mean"}, clusters=False)
    assert filled["levels"]["county"]["scored"] == 310
    with pytest.raises(InvalidInput, match="IR-15-01"):
        compute_index(session, {**base, "missing": "fail"}, clusters=False)


def test_unknown_indicator_is_not_found_and_nothing_is_written(session: Session) -> None:
    before = session.execute(text("SELECT count(*) FROM composite_index")).scalar()
    with pytest.raises(NotFound, match="no_such_indicator"):
        compute_index(session, {**DEPRIVATION, "indicators": [{"code": "no_such_indicator"}], "weights": "equal"})
    assert session.execute(text("SELECT count(*) FROM composite_index")).scalar() == before


@pytest.mark.parametrize(("change", "message"), [
    ({"domain": "happiness"}, "domain"),
    ({"levels": ["planet"]}, "planet"),
    ({"indicators": []}, "indicators"),
    ({"normalisation": "vector"}, "vector' normalisation goes only with topsis or vikor"),
    ({"weights": "equal"}, "weights: explicit"),
    ({"normalisation": "distance_to_reference"}, "reference_unit"),
])
def test_bad_definitions_say_what_to_fix(change: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_definition({**DEPRIVATION, **change})


def test_definitions_parse_from_yaml_text() -> None:
    definition = parse_definition("""
code: yaml_index
name_fa: شاخص
name_en: Index
domain: capacity
level: county
indicators: [literacy_rate, {code: health_centres_per_10k}]
""")
    assert definition.levels == ("county",) and [c.code for c in definition.components] == [
        "literacy_rate", "health_centres_per_10k"]
