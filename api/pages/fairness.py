"""The fair-distribution page of a place (``/monitor/{unit}/fairness``, ``IR`` for the
whole country): for an indicator with several periods, Gini and Theil T (between and
within the groups) per period with their trend, the Lorenz curve of the latest period and
the most and least deprived fifths, drawn with the workspace's Vega-Lite charts; the same
numbers as ``GET /api/monitor/{unit}/fairness``. Beside the indicators, the money disbursed
per head (:func:`spatial.planning.monitor.money_per_head`)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal, require
from api.pages.render import lang_of, page_router, render
from maps.fairness_charts import fifths_over_periods, inequality_trend, lorenz_curve
from spatial.analytics.fairness import NATION
from spatial.analytics.indicators import list_indicators
from spatial.db.engine import session_scope
from spatial.errors import InvalidInput
from spatial.messages import t
from spatial.planning.monitor import MONEY_PER_HEAD, fairness_of
from spatial.units import hierarchy as units

router = page_router()


def indicators_over_time(session: Any) -> list[dict[str, Any]]:
    """The indicators that hold values for at least two periods, deprivation first."""
    found = [i for i in list_indicators(session) if len(i["periods"]) > 1]
    return sorted(found, key=lambda i: i["domain"] != "deprivation")


@router.get("/monitor/{code}/fairness")
def fairness_page(request: Request, code: str, indicator: str | None = Query(None, max_length=64),
                  level: str | None = Query(None, max_length=40),
                  _: Principal = Depends(require("read"))) -> Response:
    """Fair distribution over time of ``indicator`` (default: the first with several periods)
    below unit ``code``."""
    lang = lang_of(request)
    with session_scope() as session:
        if code == NATION:
            unit, parents, name = None, [], t("fairness.nation", lang)
        else:
            unit = units.get_unit(session, code)
            parents = list(reversed(units.ancestors(session, code)))
            name = unit.name_fa if lang == "fa" else unit.name_en
        choices = indicators_over_time(session)
        code_shown = indicator or (choices[0]["code"] if choices else None)
        money = {"code": MONEY_PER_HEAD, "name_fa": t("fairness.money_per_head", "fa"),
                 "name_en": t("fairness.money_per_head", "en")}
        chosen = next((i for i in [*choices, money] if i["code"] == code_shown), None)
        try:
            result = fairness_of(session, code_shown, code, level or None) if code_shown else None
        except InvalidInput as error:
            if code_shown != MONEY_PER_HEAD or error.field != "indicator":
                raise
            result = None  # no money disbursed below the place yet: the page says so
    charts = [inequality_trend(result["periods"], lang), lorenz_curve(result["lorenz"], lang)] if result else []
    if result and any(p["fifths"] for p in result["periods"]):
        charts.append(fifths_over_periods([p for p in result["periods"] if p["fifths"]], lang))
    return render(request, "fairness.html", {
        "code": code, "unit": unit, "parents": parents, "name": name, "choices": [*choices, money],
        "indicator": chosen or {"code": code_shown, "name_fa": code_shown, "name_en": code_shown},
        "result": result, "charts": charts,
    })
