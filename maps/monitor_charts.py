"""The monitoring centre's charts as Vega-Lite specifications (Altair), drawn by the
workspace's vendored vega like the unit page's (:mod:`maps.charts`, ``charts.js``).

- :func:`status_bars`: actions by progress status, stacked, per child, sector, sponsor or
  organisation;
- :func:`over_time`: how many actions were in each status at the end of each Jalali month
  (its rows are fetched from ``GET /api/monitor/{unit}/over-time`` once the page is shown);
- :func:`money_bars`: rials committed beside rials disbursed, per sponsor or source.

Examples
--------
>>> spec = status_bars([{"name": "Yazd", "counts": {"overdue": 2, "on_track": 5}}], "By province", "en")
>>> spec["mark"]["type"]
'bar'
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache
from typing import Any

import altair as alt

from maps.actions import PROGRESS
from maps.charts import ROWS, WIDTH, configured
from spatial.messages import label, t
from spatial.planning.progress import STATUSES

#: Most bars a chart shows (the rest are in the tables and downloads).
MOST_BARS = 15
#: Committed, then disbursed.
MONEY_COLOURS = ["#9ecae1", "#08519c"]


def _status_scale(lang: str) -> alt.Scale:
    return alt.Scale(domain=[label("progress", s, lang) for s in STATUSES], range=[PROGRESS[s] for s in STATUSES])


@cache
def _status_template(lang: str) -> dict[str, Any]:
    rtl = lang == "fa"
    chart = alt.Chart(alt.Data(name=ROWS)).mark_bar().encode(
        x=alt.X("n:Q", title=t("monitor.chart.actions", lang), stack="zero", scale=alt.Scale(reverse=rtl)),
        y=alt.Y("name:N", title=None, sort=alt.EncodingSortField("total", order="descending"),
                axis=alt.Axis(orient="right" if rtl else "left", labelLimit=220)),
        color=alt.Color("status:N", title=None, scale=_status_scale(lang), legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("name:N", title=" "), alt.Tooltip("status:N", title=t("monitor.col.status", lang)),
                 alt.Tooltip("n:Q", title=t("monitor.chart.actions", lang))],
    ).properties(width=WIDTH)
    return configured(chart, lang)


def status_bars(groups: Sequence[dict[str, Any]], title: str, lang: str) -> dict[str, Any]:
    """Stacked bars of actions by status, one per group (``name``, ``counts``), the largest first."""
    top = sorted(groups, key=lambda g: -sum(g["counts"].values()))[:MOST_BARS]
    rows = [{"name": str(g["name"] or t("common.unknown", lang)), "status": label("progress", s, lang),
             "order": i, "n": g["counts"].get(s, 0), "total": sum(g["counts"].values())}
            for g in top for i, s in enumerate(STATUSES) if g["counts"].get(s, 0)]
    spec = copy.deepcopy(_status_template(lang))
    spec["datasets"] = {ROWS: rows}
    spec["title"] = title
    spec["height"] = max(60, 22 * len(top))
    return spec


@cache
def _over_time_template(lang: str) -> dict[str, Any]:
    rtl = lang == "fa"
    chart = alt.Chart(alt.UrlData(url="", format=alt.JsonDataFormat(type="json", property=ROWS))).mark_line(
        point=True).encode(
        x=alt.X("label:O", title=t("monitor.chart.month", lang), sort=alt.EncodingSortField("month"),
                scale=alt.Scale(reverse=rtl), axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("n:Q", title=t("monitor.chart.actions", lang), axis=alt.Axis(orient="right" if rtl else "left")),
        color=alt.Color("status:N", title=None, scale=_status_scale(lang), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:O", title=t("monitor.chart.month", lang)),
                 alt.Tooltip("status:N", title=t("monitor.col.status", lang)),
                 alt.Tooltip("n:Q", title=t("monitor.chart.actions", lang))],
    ).properties(width=WIDTH, height=240, title=t("monitor.chart.over_time", lang))
    return configured(chart, lang)


def over_time(url: str, lang: str) -> dict[str, Any]:
    """Lines of the actions in each status at the end of each Jalali month, rows read from ``url``
    (``{"rows": [{month, label, status, n}]}``)."""
    spec = copy.deepcopy(_over_time_template(lang))
    spec["data"]["url"] = url
    return spec


@cache
def _money_template(lang: str) -> dict[str, Any]:
    rtl = lang == "fa"
    kinds = [t("monitor.money.committed", lang), t("monitor.money.disbursed", lang)]
    chart = alt.Chart(alt.Data(name=ROWS)).mark_bar().encode(
        x=alt.X("rials:Q", title=t("monitor.money.rials", lang), scale=alt.Scale(reverse=rtl)),
        y=alt.Y("name:N", title=None, sort=None, axis=alt.Axis(orient="right" if rtl else "left", labelLimit=220)),
        yOffset=alt.YOffset("kind:N", sort=kinds),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=kinds, range=MONEY_COLOURS),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("name:N", title=" "), alt.Tooltip("kind:N", title=" "),
                 alt.Tooltip("rials:Q", title=t("monitor.money.rials", lang), format=",d")],
    ).properties(width=WIDTH)
    return configured(chart, lang)


def money_bars(groups: Sequence[dict[str, Any]], title: str, lang: str) -> dict[str, Any]:
    """Rials committed beside rials disbursed, per group (``name``, ``committed``, ``disbursed``)."""
    kinds = [t("monitor.money.committed", lang), t("monitor.money.disbursed", lang)]
    top = sorted(groups, key=lambda g: -g["committed"])[:MOST_BARS]
    rows = [{"name": str(g["name"] or t("common.unknown", lang)), "kind": kind, "rials": g[key]}
            for g in top for kind, key in zip(kinds, ("committed", "disbursed"), strict=True)]
    spec = copy.deepcopy(_money_template(lang))
    spec["datasets"] = {ROWS: rows}
    spec["title"] = title
    spec["height"] = max(60, 30 * len(top))
    return spec
