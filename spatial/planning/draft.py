"""The draft of a new roadmap for a unit, filled from the evidence Pishraft already holds.

A roadmap starts from the place's capacities and comparative advantages, its target
community and its deprivation («اصل اول»). This module reads them from the analyses of
:mod:`spatial.analytics` — ranks among siblings, location quotients, shift-share, target
community counts, Alkire-Foster contributions — and proposes the roadmap's parts. Every
item names the analysis it came from (``source``) and the number behind it (``figure``),
so the planner sees why it is there; ``text`` is the line the new-roadmap form offers,
with source and figure in words, so they stay with the roadmap once saved (capacity and
advantage lines name their indicator by code beside it, so their text leaves the name out).

The level-wide analyses (location quotients, shift-share) are kept per data generation
by their own modules, so a draft costs the unit's own queries only; after a data change the
server's warmer computes them again, with the suggestions' standardised profiles, before a
planner asks (:func:`warm_roadmap_inputs`).
"""

from __future__ import annotations

import math
from contextlib import suppress
from typing import Any

from sqlalchemy.orm import Session

from spatial.analytics.advantage import advantages
from spatial.analytics.multidimensional import unit_deprivation
from spatial.analytics.profile import indicator_series
from spatial.analytics.shift_share import unit_profile_shift_share
from spatial.analytics.target_community import target_community
from spatial.errors import NotFound
from spatial.jalali import format_number, persian_digits
from spatial.messages import indicator_name, label, measure, t
from spatial.planning.similar import level_profile
from spatial.units.hierarchy import get_unit, one_unit_per_level

#: The domains of the indicators that describe the current state (sector jobs and
#: target-community counts have parts of their own).
STATE_DOMAINS: tuple[str, ...] = ("capacity", "deprivation")
#: A capacity is an indicator of the capacity domain in which the unit is in this top share of its siblings.
TOP_SHARE = 1 / 3
#: How many Alkire-Foster indicators of each measure the draft proposes to remove.
TOP_DEPRIVATIONS = 3


def roadmap_draft(session: Session, code: str, lang: str = "fa") -> dict[str, Any]:
    """The draft of a new roadmap for unit ``code``, its words in ``lang``.

    ``{unit, current_state, capacities, advantages, target_community, deprivations,
    strategies}``; every item has ``source`` (the analysis), ``source_label`` (its name
    in ``lang``), ``figure`` (the number) and ``text`` (the line the form offers).

    - current state: the latest value of each capacity and deprivation indicator, with its
      rank among the unit's siblings (1 = best, by the indicator's direction);
    - capacities: those capacity indicators in which the unit ranks in the top third;
    - advantages: sectors with location quotient against the parent above 1 *and* a
      positive regional shift between the two latest periods, by location quotient;
    - target community: the count of each group and class;
    - deprivations: the indicators contributing most to each stored Alkire-Foster measure;
    - strategies: one line per advantage.
    """
    unit = get_unit(session, code)
    series = indicator_series(session, code)
    names = {row["code"]: indicator_name(row, lang) for row in series}
    state = _current_state(series, lang)
    advantage_items = _advantages(session, code, unit.level, lang)
    return {
        "unit": {"code": unit.code, "name_fa": unit.name_fa, "name_en": unit.name_en, "level": unit.level},
        "current_state": state,
        "capacities": [{**item, "text": t("draft.capacity_line", lang, value=format_number(item["figure"], lang, 2),
                                          uom=measure(item["unit_of_measure"], lang), rank=_n(item["rank"], lang),
                                          peers=_n(item["peers"], lang), source=item["source_label"])}
                       for item in state if item["domain"] == "capacity" and item["top"]],
        "advantages": advantage_items,
        "target_community": _target_community(session, code, lang),
        "deprivations": _deprivations(session, unit.id, names, lang),
        "strategies": [{**item, "text": t("draft.strategy_line", lang, sector=item["name"],
                                          lq=format_number(item["figure"], lang, 2))}
                       for item in advantage_items],
    }


def warm_roadmap_inputs(session: Session) -> None:
    """Compute what drafts and suggestions read of a whole level (kept per data generation) for
    every level, so that the first planner after a data change does not wait for it
    (:class:`spatial.serving.warming.Warmer`): the draft of one unit per level, which fills the
    level's location quotients and shift-share, and the level's standardised profiles."""
    for code in one_unit_per_level(session):
        with suppress(NotFound):  # a level without the data a draft needs has nothing to keep
            roadmap_draft(session, code)
        level_profile(session, get_unit(session, code).level)


def _n(value: int, lang: str) -> str:
    return persian_digits(value) if lang == "fa" else str(value)


def _item(source: str, figure: float, lang: str, **rest: Any) -> dict[str, Any]:
    return {"source": source, "source_label": t(f"draft.source.{source}", lang), "figure": figure, **rest}


def _current_state(series: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Latest value and rank among siblings of each capacity and deprivation indicator."""
    latest: dict[str, dict[str, Any]] = {}
    for row in series:  # ordered by period within each indicator: the last is latest
        if row["domain"] in STATE_DOMAINS:
            latest[row["code"]] = row
    items = []
    for row in latest.values():
        rank = int(row["rank_low"] if row["direction"] == "higher_is_worse" else row["rank_high"])
        peers = int(row["peers"])
        value = float(row["value"])
        items.append(_item(
            "sibling_rank", value, lang, indicator=row["code"], name=indicator_name(row, lang), domain=row["domain"],
            unit_of_measure=row["unit_of_measure"], period=row["period"], rank=rank, peers=peers,
            top=rank <= max(1, math.ceil(peers * TOP_SHARE)),
            text=t("draft.state_line", lang, name=indicator_name(row, lang), value=format_number(value, lang, 2),
                   uom=measure(row["unit_of_measure"], lang), rank=_n(rank, lang), peers=_n(peers, lang))))
    return items


def _advantages(session: Session, code: str, level: str, lang: str) -> list[dict[str, Any]]:
    """Sectors with LQ (against the parent) above 1 and a positive regional shift, by LQ, highest first."""
    try:
        period, frame = advantages(session, level)
    except NotFound:  # no sector indicators: no advantages to propose
        return []
    shifts = unit_profile_shift_share(session, code)
    regional = {s["sector"]: s["regional_shift"] for s in shifts["sectors"]} if shifts else {}
    mine = frame[(frame["code"] == code) & (frame["lq_parent"] > 1)].sort_values("lq_parent", ascending=False)
    items = []
    for r in mine.itertuples():
        shift = regional.get(str(r.sector))
        if shift is None or shift <= 0:
            continue
        name = label("sector", str(r.sector), lang)
        items.append(_item(
            "location_quotient", float(r.lq_parent), lang, indicator=str(r.indicator), sector=str(r.sector),
            name=name, period=period, regional_shift=float(shift),
            shift_source=t("draft.source.shift_share", lang), lq_nation=float(r.lq_nation),
            text=t("draft.advantage_line", lang, lq=format_number(float(r.lq_parent), lang, 2),
                   source=t("draft.source.location_quotient", lang), shift=format_number(round(float(shift)), lang),
                   shift_source=t("draft.source.shift_share", lang))))
    return items


def _target_community(session: Session, code: str, lang: str) -> list[dict[str, Any]]:
    """The count of each target group and class, groups first."""
    found = target_community(session, code)
    items = []
    for group, part in found["groups"].items():
        items.append(_item("target_community", part["count"], lang, group=group, indicator=None,
                           name=label("target_group", group, lang), period=found["period"], share=part["share"]))
        for klass in part["classes"]:
            items.append(_item("target_community", klass["count"], lang, group=group, indicator=klass["indicator"],
                               name=indicator_name({**klass, "code": klass["indicator"]}, lang), period=found["period"],
                               share=klass["share"]))
    for item in items:
        item["text"] = t("draft.community_line", lang, name=item["name"], count=format_number(item["figure"], lang))
    return items


def _deprivations(session: Session, unit_id: int, names: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """The indicators contributing most to each stored Alkire-Foster measure of the unit, largest first."""
    items = []
    for result in unit_deprivation(session, unit_id):
        contributions = sorted(((float(v), k) for k, v in (result["contributions"] or {}).items() if v),
                               reverse=True)[:TOP_DEPRIVATIONS]
        for share, indicator in contributions:
            items.append(_item(
                "alkire_foster", share, lang, measure=result["code"], measure_name=indicator_name(result, lang),
                indicator=indicator, name=names.get(indicator, indicator), period=result["period"],
                m0=float(result["m0"]),
                text=t("draft.deprivation_line", lang, indicator=names.get(indicator, indicator),
                       share=format_number(round(share * 100, 1), lang), measure=indicator_name(result, lang))))
    return items
