"""Charts of a unit's indicators as Vega-Lite specifications, built with Altair.

The workspace draws them in the browser with the vendored vega, vega-lite and
vega-embed (``api/static/vendor``, see its README; ``api/static/charts.js``). Persian
charts carry Persian words and periods (Jalali years in Persian digits); their axes read
right to left (the value axis on the right, time flowing leftwards); numbers are given
Persian digits by the page's number locale (``charts.js``).

Examples
--------
>>> rows = [{"code": "u", "name_fa": "بیکاری", "name_en": "Unemployment", "unit_of_measure": "%",
...          "domain": "deprivation", "direction": "higher_is_worse", "period": "2024", "value": 12.0,
...          "peers_mean": 10.0, "peers": 5, "share_below": 0.75}]
>>> over_periods(rows, "Yazd", "en")["mark"]["type"]
'line'
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache
from typing import Any

import altair as alt

from spatial.messages import label, t
from spatial.periods import show_period

#: Persian charts are set in the workspace's Persian font.
FONT = "Vazirmatn, Tahoma, sans-serif"
WIDTH = 420
BAR_HEIGHT = 22
#: The unit's own line, then its siblings' mean (the map's accent blue, then a quiet grey).
SERIES_COLOURS = ["#1f5fa8", "#9aa5b1"]
#: The name of the dataset each chart draws.
ROWS = "rows"


def _name(row: dict[str, Any], lang: str) -> str:
    return str(row["name_fa"] if lang == "fa" else row["name_en"])


def configured(chart: alt.TopLevelMixin, lang: str) -> dict[str, Any]:
    """The chart's specification (not validated again), in the page's font and with titles
    at the reading start."""
    chart = chart.configure(font=FONT).configure_title(anchor="end" if lang == "fa" else "start") \
        .configure_view(stroke=None)
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec.pop("$schema", None)  # the vendored Vega-Lite reads it without the schema's URL
    return spec


# Altair builds each chart's specification once per language (it takes tens of
# milliseconds); a view copies it and puts in its rows (the named dataset ``rows``), its
# list of indicators and its series names.

def period_lines(lang: str, colours: Sequence[str], value_format: str, domain: Sequence[str] = ()) -> alt.Chart:
    """A line per ``series`` of ``value`` over the periods (rows of the named dataset ``rows``,
    sorted by ``order``; right to left on Persian charts): the shape every over-the-periods
    chart shares. The caller adds its title, size and filters; a view fills ``domain``."""
    rtl = lang == "fa"
    return alt.Chart(alt.Data(name=ROWS)).mark_line(point=True).encode(
        x=alt.X("period:O", title=t("chart.period", lang), sort=alt.EncodingSortField("order"),
                scale=alt.Scale(reverse=rtl), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=t("chart.value", lang), axis=alt.Axis(orient="right" if rtl else "left")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(domain), range=list(colours))),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("period:O", title=t("chart.period", lang)),
                 alt.Tooltip("value:Q", title=t("chart.value", lang), format=value_format)],
    )


@cache
def _over_periods_template(lang: str) -> dict[str, Any]:
    choice = alt.param(name="indicator", value="", bind=alt.binding_select(options=[""],
                                                                            name=t("chart.indicator", lang) + " "))
    chart = period_lines(lang, SERIES_COLOURS, ",.2f", domain=["", ""]).add_params(choice).transform_filter(
        alt.datum.indicator == choice).properties(width=WIDTH, height=220, title=t("chart.over_periods", lang))
    return configured(chart, lang)


@cache
def _among_siblings_template(lang: str) -> dict[str, Any]:
    rtl = lang == "fa"
    chart = alt.Chart(alt.Data(name=ROWS)).mark_bar().encode(
        x=alt.X("better:Q", title=t("chart.better_than", lang), scale=alt.Scale(domain=[0, 100], reverse=rtl)),
        y=alt.Y("indicator:N", title=None, sort=None, axis=alt.Axis(orient="right" if rtl else "left", labelLimit=220)),
        color=alt.Color("domain:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("indicator:N", title=t("chart.indicator", lang)),
                 alt.Tooltip("period:N", title=t("chart.period", lang)),
                 alt.Tooltip("value:Q", title=t("chart.value", lang), format=",.2f"),
                 alt.Tooltip("mean:Q", title=t("chart.peers_mean", lang), format=",.2f"),
                 alt.Tooltip("better:Q", title=t("chart.better_than", lang))],
    ).properties(width=WIDTH, height=BAR_HEIGHT, title=t("chart.among_siblings", lang))
    return configured(chart, lang)


def over_periods(rows: Sequence[dict[str, Any]], unit_name: str, lang: str) -> dict[str, Any]:
    """A line chart of one indicator over the periods (chosen from a list of every indicator;
    first the one with the most periods): the unit's value beside its siblings' mean."""
    this_unit, peers = t("chart.this_unit", lang, name=unit_name), t("chart.peers_mean", lang)
    data = []
    for row in rows:
        common = {"indicator": _name(row, lang), "period": show_period(row["period"], lang), "order": row["period"]}
        data.append({**common, "series": this_unit, "value": row["value"]})
        if int(row["peers"]) > 1:
            data.append({**common, "series": peers, "value": row["peers_mean"]})
    names = list(dict.fromkeys(d["indicator"] for d in data))
    periods = {name: len({d["order"] for d in data if d["indicator"] == name}) for name in names}
    spec = copy.deepcopy(_over_periods_template(lang))
    spec["datasets"] = {ROWS: data}
    choice = next(p for p in spec["params"] if p["name"] == "indicator")
    choice["value"] = max(names, key=lambda name: periods[name], default="")  # first shown: the longest series
    choice["bind"]["options"] = names
    spec["encoding"]["color"]["scale"]["domain"] = [this_unit, peers]
    return spec


def among_siblings(rows: Sequence[dict[str, Any]], lang: str) -> dict[str, Any]:
    """A bar per indicator (its latest period): the share of the unit's siblings it does
    better than, by the indicator's direction (higher is better or worse)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # ordered by period: the last row of an indicator is its latest
        latest[row["code"]] = row
    data = []
    for row in latest.values():
        if int(row["peers"]) < 2:
            continue  # no sibling to stand among
        below = float(row["share_below"])
        better = 1.0 - below if row["direction"] == "higher_is_worse" else below
        data.append({"indicator": _name(row, lang), "better": round(100 * better), "value": row["value"],
                     "mean": row["peers_mean"], "domain": label("domain", row["domain"], lang),
                     "period": show_period(row["period"], lang)})
    spec = copy.deepcopy(_among_siblings_template(lang))
    spec["datasets"] = {ROWS: data}
    spec["height"] = max(BAR_HEIGHT * len(data), BAR_HEIGHT)
    return spec
