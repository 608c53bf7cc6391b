"""The map builders, fed with hand-made data in the shapes the analytics and roadmap
functions return: what each map shows, in Persian and English, and what it says when
data is missing."""

from __future__ import annotations

import numpy as np

from maps.actions import action_popup, progress_map, roadmap_map
from maps.assets import page_html
from maps.categories import BIVARIATE_COLOURS, CLUSTER_COLOURS, bivariate_map, cluster_map
from maps.choropleth import PALETTE, class_breaks, choropleth_map
from tests.maps.samples import coverage_properties, grid_units, in_page, roadmap_data


def _classes(n: int) -> dict[str, dict]:
    codes = grid_units()["code"].tolist()[:n]
    return {c: {"capacity_class": 1 + i % 3, "deprivation_class": 1 + i // 3, "meaning_fa": None, "meaning_en": None}
            for i, c in enumerate(codes)}


# --- classed choropleth -------------------------------------------------------------------

def test_each_scheme_gives_increasing_breaks_ending_at_the_maximum() -> None:
    values = np.array([1, 2, 2, 3, 5, 8, 13, 21, 34, 55], dtype=float)
    for scheme in ("quantiles", "fisher_jenks", "equal_interval"):
        breaks = class_breaks(values, scheme, 5)
        assert breaks == sorted(breaks) and breaks[-1] == 55


def test_choropleth_legend_shows_class_bounds_in_persian_digits() -> None:
    units = grid_units()
    values = {c: float(i) for i, c in enumerate(units["code"])}
    html = page_html(choropleth_map(units, values, "نرخ بیکاری", "fa", "equal_interval"))
    assert in_page("۰ – ۱٫۶", html) and in_page("بدون داده", html)
    props = coverage_properties(html)
    assert props["name_fa"][0] == "واحد آزمایشی 00" and props["label"][-1] == "۸"
    assert props["palette"][props["colour"][-1]] == PALETTE[-1]


def test_choropleth_without_values_says_so() -> None:
    html = page_html(choropleth_map(grid_units(), {}, "Unemployment", "en"))
    assert "No values are recorded for these units." in html


# --- capacity × deprivation ---------------------------------------------------------------

def test_bivariate_map_colours_units_by_class_and_explains_all_nine_classes() -> None:
    html = page_html(bivariate_map(grid_units(), _classes(9), "fa"))
    props = coverage_properties(html)
    first = props["palette"][props["colour"][0]]
    assert first == BIVARIATE_COLOURS[(1, 1)]
    assert props["palette"][props["colour"][8]] == BIVARIATE_COLOURS[(3, 3)]
    assert in_page("فرصت طلایی اشتغال‌زایی", html) and in_page("اولویت حمایت مستقیم", html)
    assert html.count('<li class=\\"row\\">') == 9  # one meaning per class


def test_bivariate_meanings_from_the_data_replace_the_defaults() -> None:
    classes = _classes(1)
    classes["T-00"]["meaning_en"] = "Keep an eye on it"
    html = page_html(bivariate_map(grid_units(), classes, "en"))
    assert "Keep an eye on it" in html and "8 units have no capacity and deprivation data (grey)." in html


def test_bivariate_map_without_data_says_so() -> None:
    html = page_html(bivariate_map(grid_units(), {}, "fa"))
    assert in_page("داده ظرفیت و محرومیت هنوز موجود نیست.", html)


# --- LISA clusters --------------------------------------------------------------------------

def test_cluster_map_colours_each_lisa_class_and_names_it() -> None:
    units = grid_units()
    labels = ["HH", "LL", "HL", "LH", "ns", "HH", "LL", "HL", "LH"]
    html = page_html(cluster_map(units, dict(zip(units["code"], labels, strict=True)), "en"))
    props = coverage_properties(html)
    assert [props["palette"][c] for c in props["colour"][:5]] == [CLUSTER_COLOURS[k] for k in labels[:5]]
    assert props["label"][0] == "High-High (hot spot)" and props["label"][4] == "Not significant"


def test_cluster_map_without_data_says_so() -> None:
    assert "No cluster data is available yet." in page_html(cluster_map(grid_units(), {}, "en"))


# --- roadmap and progress -------------------------------------------------------------------

def test_action_popup_in_persian_has_jalali_dates_amounts_and_a_progress_bar() -> None:
    action = roadmap_data()["actions"]["features"][0]["properties"]
    html = action_popup(action, "fa")
    assert 'dir="rtl"' in html
    assert "۱۲ شهریور ۱۴۰۳" in html  # 2024-09-02
    assert "مریم احمدی" in html and "بانک ملت" in html
    assert "۵٬۰۰۰٬۰۰۰٬۰۰۰ ریال" in html and "۷٬۵۰۰٬۰۰۰٬۰۰۰ ریال" in html  # an item, and the total
    assert '<span style="width:62%"></span>' in html or '<span style="width:63%"></span>' in html


def test_action_popup_in_english_has_iso_dates() -> None:
    html = action_popup(roadmap_data()["actions"]["features"][0]["properties"], "en")
    assert "2024-09-02" in html and "Responsible" in html and 'dir="ltr"' in html


def test_roadmap_map_draws_placed_actions_by_status_and_counts_the_others() -> None:
    data = roadmap_data()
    html = page_html(roadmap_map(data, "fa"))
    assert in_page("نقشه راه توسعه واحد ۱۱", html) and in_page("۱ فروردین ۱۴۰۳ – ۲۹ اسفند ۱۴۰۵", html)
    assert in_page("مصوب", html) and in_page("داده‌های نمونه", html)  # approved; synthetic roadmap
    assert in_page("۱ اقدام بدون مکان روی نقشه نیامده است.", html)
    assert in_page("در حال اجرا", html) and "#3182bd" in html and in_page("متوقف", html)
    assert data["actions"]["features"][0]["properties"].get("popup_html") is None  # input left as it was


def test_roadmap_map_without_data_says_so() -> None:
    assert "This roadmap&#x27;s data is not available." in page_html(roadmap_map(None, "en"))


def test_progress_map_colours_actions_by_progress_status_and_counts_them() -> None:
    html = page_html(progress_map(roadmap_data()["actions"], "en"))
    for colour in ("#91cf60", "#fc8d59", "#1a9850"):
        assert colour in html
    assert "On track (1)" in html and "Overdue (0)" in html  # the overdue action has no place
    assert "1 actions without a place are not on the map." in html


def test_progress_map_without_data_says_so() -> None:
    html = page_html(progress_map({"type": "FeatureCollection", "features": []}, "fa"))
    assert in_page("هنوز داده‌ای برای دیده‌بان پیشرفت نیست.", html)
