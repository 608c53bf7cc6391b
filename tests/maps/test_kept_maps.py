"""A map's classification and its served page are kept per data generation; Fisher-Jenks over a
large level runs on an evenly spaced sample; only a few pages are drawn at once."""

from __future__ import annotations

import threading

import mapclassify
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from maps import pages, served
from maps.base import base_map
from maps.choropleth import FISHER_JENKS_SAMPLE, PALETTE, breaks_sample, class_breaks, values_array
from spatial.analytics import indicators
from spatial.errors import RateLimited
from spatial.units.frames import units_frame


def test_the_sample_is_evenly_spaced_order_statistics_with_both_ends() -> None:
    values = np.random.default_rng(7).gamma(2.0, 3.0, 50_000)
    sample = breaks_sample(values)
    assert sample.size == FISHER_JENKS_SAMPLE
    assert sample[0] == values.min() and sample[-1] == values.max()
    assert np.all(np.diff(sample) >= 0)
    assert np.array_equal(breaks_sample(values[::-1]), sample), "the same values give the same sample"
    assert breaks_sample(values[:10]).size == 10


def test_fisher_jenks_of_a_large_level_is_that_of_its_sample_and_splits_all_values_alike() -> None:
    values = np.random.default_rng(3).lognormal(1.0, 0.6, 20_000)
    breaks = class_breaks(values, "fisher_jenks")
    assert breaks == [float(b) for b in mapclassify.FisherJenks(breaks_sample(values), k=5).bins]
    assert breaks[-1] == values.max()
    # Each break of the sample splits all the values where the same break of the sample does.
    sample = breaks_sample(values)
    for b in breaks[:-1]:
        assert abs((values <= b).mean() - (sample <= b).mean()) < 2 / FISHER_JENKS_SAMPLE


def test_small_levels_and_other_schemes_use_every_value() -> None:
    values = np.random.default_rng(5).normal(10, 2, 5_000)
    assert class_breaks(values, "quantiles") == [float(b) for b in mapclassify.Quantiles(values, k=5).bins]
    few = values[:FISHER_JENKS_SAMPLE]
    assert class_breaks(few, "fisher_jenks") == [float(b) for b in mapclassify.FisherJenks(few, k=5).bins]


def test_kept_breaks_equal_fresh_ones_and_follow_an_import(session: Session) -> None:
    frame = units_frame(session, level="neighbourhood")
    period, values = indicators.values_by_unit(session, "unemployment_rate", level="neighbourhood", period="2024")
    key = ("indicator", "unemployment_rate", period, "neighbourhood", None)
    kept = pages.map_breaks(session, key, frame, values, "fisher_jenks")
    assert kept == class_breaks(values_array(frame, values), "fisher_jenks", len(PALETTE))

    top = frame["code"].iloc[0]
    indicators.import_csv(session, f"unit_code,period,unemployment_rate\n{top},{period},99.5\n")
    _, changed = indicators.values_by_unit(session, "unemployment_rate", level="neighbourhood", period=period)
    again = pages.map_breaks(session, key, frame, changed, "fisher_jenks")
    assert again == class_breaks(values_array(frame, changed), "fisher_jenks", len(PALETTE))
    assert again[-1] == 99.5 != kept[-1]


def test_a_served_page_is_drawn_once_per_data_generation(session: Session) -> None:
    drawn: list[int] = []

    def draw() -> object:
        drawn.append(1)
        return base_map("fa", "none", True)

    first = served.served_page(session, ("test-page",), draw)  # type: ignore[arg-type]
    assert served.served_page(session, ("test-page",), draw) == first  # type: ignore[arg-type]
    assert len(drawn) == 1
    code = session.execute(text("SELECT min(code) FROM admin_unit WHERE level = 'neighbourhood'")).scalar_one()
    indicators.import_csv(session, f"unit_code,period,unemployment_rate\n{code},2024,12\n")
    served.served_page(session, ("test-page",), draw)  # type: ignore[arg-type]
    assert len(drawn) == 2


def test_a_page_not_yet_drawn_is_refused_while_others_are_being_drawn(session: Session) -> None:
    release = threading.Event()
    started = threading.Barrier(served.DRAWN_AT_ONCE + 1)

    def slow() -> object:
        started.wait(timeout=10)
        release.wait(timeout=10)
        return base_map("fa", "none", True)

    def draw_in_thread(n: int) -> None:
        from spatial.db.engine import session_scope

        with session_scope() as other:
            served.served_page(other, ("slow", n), slow)  # type: ignore[arg-type]

    threads = [threading.Thread(target=draw_in_thread, args=(n,)) for n in range(served.DRAWN_AT_ONCE)]
    for thread in threads:
        thread.start()
    try:
        started.wait(timeout=10)
        with pytest.raises(RateLimited) as refused:
            served.served_page(session, ("another",), lambda: base_map("fa", "none", True))
        assert refused.value.retry_after > 0
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=10)
    assert served.served_page(session, ("another",), lambda: base_map("fa", "none", True))


def test_the_national_fisher_jenks_map_of_neighbourhoods_is_served_and_then_kept(client: TestClient) -> None:
    path = "/maps/overview?level=neighbourhood&scheme=fisher_jenks"
    first = client.get(path)
    assert first.status_code == 200
    assert client.get(path).text == first.text, "the same page, not drawn again (folium names differ per drawing)"
