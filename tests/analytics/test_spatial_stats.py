"""Moran's I and LISA on libpysal's bundled Columbus data (Anselin 1988), loaded as units.

The data ship inside the libpysal wheel (no download). Pishraft builds queen
contiguity from the boundaries stored in PostGIS; the results must equal esda run
directly on the shapefile.
"""

from __future__ import annotations

import collections
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
from libpysal import examples
from sqlalchemy.orm import Session

from spatial.analytics.bivariate import bivariate_classes
from spatial.errors import InvalidInput, NotFound
from spatial.analytics.lisa import PERMUTATIONS, QUADRANTS, SEED
from spatial.analytics.spatial_stats import inequality, lisa_clusters, moran
from tests.analytics.conftest import insert_units, set_values


@pytest.fixture(scope="module")
def columbus() -> gpd.GeoDataFrame:
    frame = gpd.read_file(examples.get_path("columbus.shp"))
    frame["code"] = [f"XC-{int(i):03d}" for i in frame["POLYID"]]
    frame["population"] = (frame["AREA"] * 10_000).round().astype(int)
    return frame


@pytest.fixture
def columbus_units(session: Session, columbus: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    insert_units(session, columbus[["code", "population", "geometry"]], "XC")
    set_values(session, "columbus_crime", dict(zip(columbus["code"], columbus["CRIME"], strict=True)))
    set_values(session, "columbus_income", dict(zip(columbus["code"], columbus["INC"], strict=True)),
               domain="capacity", direction="higher_is_better")
    return columbus


def _esda_direct(frame: gpd.GeoDataFrame, column: str) -> tuple[esda.Moran, list[str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
        w.transform = "r"
        np.random.seed(SEED)
        global_ = esda.Moran(frame[column].to_numpy(), w, permutations=PERMUTATIONS)
        local = esda.Moran_Local(frame[column].to_numpy(), w, permutations=PERMUTATIONS, seed=SEED)
    labels = [QUADRANTS[int(q)] if p < 0.05 else "ns" for q, p in zip(local.q, local.p_sim, strict=True)]
    return global_, labels


def test_morans_i_matches_esda_and_the_published_value(session: Session, columbus_units: gpd.GeoDataFrame) -> None:
    result = moran(session, "columbus_crime", "neighbourhood", parent_code="XC")
    direct, _ = _esda_direct(columbus_units, "CRIME")
    assert result["n"] == 49
    assert result["I"] == pytest.approx(direct.I, abs=1e-12)
    assert round(result["I"], 3) == 0.500  # Anselin's Columbus crime, queen contiguity
    assert result["p_sim"] == pytest.approx(direct.p_sim)
    assert result["expected"] == pytest.approx(-1 / 48)


def test_lisa_cluster_counts_match_esda(session: Session, columbus_units: gpd.GeoDataFrame) -> None:
    clusters = lisa_clusters(session, "columbus_crime", "neighbourhood", parent_code="XC")
    _, labels = _esda_direct(columbus_units, "CRIME")
    assert clusters == dict(zip(columbus_units["code"], labels, strict=True))
    counts = collections.Counter(clusters.values())
    assert counts == collections.Counter(labels)
    assert counts["HH"] > 0 and counts["LL"] > 0


def test_lisa_on_an_index_source(session: Session, columbus_units: gpd.GeoDataFrame) -> None:
    from spatial.analytics.indices import compute_index

    summary = compute_index(session, {
        "code": "columbus_need", "name_fa": "نیاز", "name_en": "Need", "domain": "deprivation",
        "levels": ["neighbourhood"], "parent_code": "XC", "period": "2024",
        "indicators": [{"code": "columbus_crime"}]})
    clusters = lisa_clusters(session, f"index:{summary['id']}", "neighbourhood", parent_code="XC")
    assert set(clusters) == set(columbus_units["code"])


def test_bivariate_classes_are_terciles_with_meanings(session: Session, columbus_units: gpd.GeoDataFrame) -> None:
    classes = bivariate_classes(session, "columbus_income", "columbus_crime", "neighbourhood", parent_code="XC")
    assert len(classes) == 49
    counts = collections.Counter(c["capacity_class"] for c in classes.values())
    assert sorted(counts.values()) == [16, 16, 17]
    poorest = min(columbus_units.itertuples(), key=lambda r: r.INC)
    most_crime = max(columbus_units.itertuples(), key=lambda r: r.CRIME)
    assert classes[poorest.code]["capacity_class"] == 1
    assert classes[most_crime.code]["deprivation_class"] == 3
    high_both = next(c for c in classes.values() if (c["capacity_class"], c["deprivation_class"]) == (1, 3))
    assert "outside investment" in high_both["meaning_en"] and "سرمایه‌گذاری بیرونی" in high_both["meaning_fa"]


def test_inequality_decomposes_by_parent(session: Session) -> None:
    result = inequality(session, "unemployment_rate", "county", period="2024")
    assert 0 < result["gini"] < 1
    theil = result["theil"]
    assert theil["between"] + theil["within"] == pytest.approx(theil["total"])


def test_too_few_units_and_unknown_sources_are_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="at least 5"):
        lisa_clusters(session, "unemployment_rate", "county", parent_code="IR-15-01")
    with pytest.raises(NotFound, match="nope"):
        lisa_clusters(session, "nope", "county")
    with pytest.raises(NotFound):
        lisa_clusters(session, "index:99999", "county")


def test_population_weights_change_the_gini(session: Session) -> None:
    weighted = inequality(session, "unemployment_rate", "county", period="2024")
    plain = inequality(session, "unemployment_rate", "county", period="2024", population_weighted=False)
    assert weighted["gini"] != pytest.approx(plain["gini"])
