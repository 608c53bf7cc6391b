"""Charts of the fair-distribution page as Vega-Lite specifications, built with Altair
(drawn by ``api/static/charts.js`` like the unit page's, see :mod:`maps.charts`):
inequality over the periods, the Lorenz curve, and the most and least deprived fifths.

Persian charts read right to left (time and population shares flow leftwards, the value
axis on the right) with Jalali years in Persian digits.

Examples
--------
>>> rows = [{"period": "2024", "n": 9, "gini": 0.2, "theil": {"total": 0.1, "between": 0.04, "within": 0.06},
...          "fifths": {"most_deprived": 20.0, "least_deprived": 8.0, "gap": 12.0, "ratio": 2.5}}]
>>> inequality_trend(rows, "en")["datasets"]["rows"][0]["period"]
'2024'
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache
from typing import Any

import altair as alt

from maps.charts import ROWS, SERIES_COLOURS, WIDTH, configured, period_lines
from spatial.messages import t
from spatial.periods import show_period

HEIGHT = 220
#: Gini, then Theil T's total, between and within parts.
TREND_COLOURS = ["#1f5fa8", "#b23a48", "#e08a2c", "#5b8c5a"]
#: The measures of the trend chart, by catalogue key.
TREND_MEASURES = ("fairness.gini", "fairness.theil_total", "fairness.theil_between", "fairness.theil_within")


def _series_over_periods(lang: str, title_key: str, colours: list[str]) -> dict[str, Any]:
    chart = period_lines(lang, colours, ",.3f").properties(width=WIDTH, height=HEIGHT, title=t(title_key, lang))
    return configured(chart, lang)


@cache
def _trend_template(lang: str) -> dict[str, Any]:
    return _series_over_periods(lang, "fairness.trend", TREND_COLOURS)


@cache
def _fifths_template(lang: str) -> dict[str, Any]:
    return _series_over_periods(lang, "fairness.fifths", ["#b23a48", SERIES_COLOURS[0]])


@cache
def _lorenz_template(lang: str) -> dict[str, Any]:
    rtl = lang == "fa"
    chart = alt.Chart(alt.Data(name=ROWS)).mark_line().encode(
        x=alt.X("population:Q", title=t("fairness.population_share", lang), scale=alt.Scale(domain=[0, 1], reverse=rtl),
                axis=alt.Axis(format="%")),
        y=alt.Y("value:Q", title=t("fairness.value_share", lang), scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", orient="right" if rtl else "left")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[], range=[SERIES_COLOURS[0], SERIES_COLOURS[1]])),
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=[], range=[[1, 0], [4, 4]])),
        tooltip=[alt.Tooltip("population:Q", title=t("fairness.population_share", lang), format=".1%"),
                 alt.Tooltip("value:Q", title=t("fairness.value_share", lang), format=".1%")],
    ).properties(width=HEIGHT + 80, height=HEIGHT + 80, title=t("fairness.lorenz", lang))
    return configured(chart, lang)


def _with_rows(template: dict[str, Any], rows: list[dict[str, Any]], series: list[str]) -> dict[str, Any]:
    spec = copy.deepcopy(template)
    spec["datasets"] = {ROWS: rows}
    spec["encoding"]["color"]["scale"]["domain"] = series
    if "strokeDash" in spec["encoding"]:
        spec["encoding"]["strokeDash"]["scale"]["domain"] = series
    return spec


def inequality_trend(periods: Sequence[dict[str, Any]], lang: str) -> dict[str, Any]:
    """Gini and Theil T (total, between and within groups) per period: one line each."""
    names = [t(key, lang) for key in TREND_MEASURES]
    rows = []
    for row in periods:
        common = {"period": show_period(row["period"], lang), "order": row["period"]}
        values = (row["gini"], row["theil"]["total"], row["theil"]["between"], row["theil"]["within"])
        rows += [{**common, "series": name, "value": value} for name, value in zip(names, values, strict=True)]
    return _with_rows(_trend_template(lang), rows, names)


def fifths_over_periods(periods: Sequence[dict[str, Any]], lang: str) -> dict[str, Any]:
    """The mean of the most and of the least deprived fifth of units per period."""
    names = [t("fairness.most_deprived", lang), t("fairness.least_deprived", lang)]
    rows = []
    for row in periods:
        common = {"period": show_period(row["period"], lang), "order": row["period"]}
        rows += [{**common, "series": names[0], "value": row["fifths"]["most_deprived"]},
                 {**common, "series": names[1], "value": row["fifths"]["least_deprived"]}]
    return _with_rows(_fifths_template(lang), rows, names)


def lorenz_curve(lorenz: dict[str, Any], lang: str) -> dict[str, Any]:
    """The Lorenz curve of one period beside the line of perfect equality."""
    names = [t("fairness.lorenz_series", lang, period=show_period(lorenz["period"], lang)),
             t("fairness.equality", lang)]
    rows = [{"series": names[0], **point} for point in lorenz["points"]]
    rows += [{"series": names[1], "population": 0.0, "value": 0.0}, {"series": names[1], "population": 1.0, "value": 1.0}]
    return _with_rows(_lorenz_template(lang), rows, names)
