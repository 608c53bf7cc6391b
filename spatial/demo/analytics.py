"""Analytics demo: synthetic sector jobs and target community, indicators derived from the
demo layers, and demo capacity and deprivation indices (all marked synthetic)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import copy_rows
from spatial.demo.common import DEMO_SOURCE, SYNTHETIC_NOTE, DemoStep, Progress
from spatial.demo.layers import DEMO_LAYERS
from spatial.errors import InvalidInput
from spatial.analytics.indicators import define_indicator, roll_up
from spatial.analytics.indices import compute_index
from spatial.analytics.overlay import derive_indicator

SEED = 1404
PERIOD = "2024"
#: The earlier period of sector jobs, for shift-share (drawn from its own generator,
#: so the rest of the demo stays as it was).
BASE_PERIOD = "2023"
#: sector → national growth of its jobs from BASE_PERIOD to PERIOD (synthetic)
SECTOR_GROWTH: dict[str, float] = {"agriculture": -0.02, "industry": 0.03, "services": 0.05, "mining": 0.01,
                                   "handicrafts": 0.04, "tourism": 0.08}
NOTE = {"note": SYNTHETIC_NOTE}

#: sector → (Persian name, share of jobs in the north-west, share in the south-east)
SECTORS: dict[str, tuple[str, float, float]] = {
    "agriculture": ("کشاورزی", 0.12, 0.35),
    "industry": ("صنعت", 0.30, 0.10),
    "services": ("خدمات", 0.45, 0.35),
    "mining": ("معدن", 0.03, 0.08),
    "handicrafts": ("صنایع دستی", 0.04, 0.07),
    "tourism": ("گردشگری", 0.06, 0.05),
}

#: code → (group, class, Persian name, English name)
TARGET_GROUPS: dict[str, tuple[str, str, str, str]] = {
    "unemployed_youth": ("unemployed", "youth", "جوانان بیکار", "Unemployed youth (15–29)"),
    "unemployed_women": ("unemployed", "women", "زنان بیکار", "Unemployed women"),
    "unemployed_graduates": ("unemployed", "graduates", "دانش‌آموختگان بیکار", "Unemployed graduates"),
    "vulnerable_female_headed": ("vulnerable", "female_headed", "خانوارهای زن‌سرپرست", "Female-headed households"),
    "vulnerable_disabled": ("vulnerable", "disabled", "افراد دارای معلولیت", "People with disabilities"),
    "vulnerable_elderly_alone": ("vulnerable", "elderly_alone", "سالمندان تنها", "Elderly people living alone"),
}

DEPRIVATION_INDEX: dict[str, Any] = {
    "code": "deprivation_demo", "name_fa": "شاخص ترکیبی محرومیت (نمونه)", "name_en": "Composite deprivation (demo)",
    "domain": "deprivation", "levels": ["province", "county", "neighbourhood"], "period": PERIOD,
    "indicators": [{"code": "unemployment_rate", "weight": 0.4}, {"code": "literacy_rate", "weight": 0.3},
                   {"code": "health_centres_per_10k", "weight": 0.3}],
    "normalisation": "min_max", "weights": "explicit", "aggregation": "arithmetic", "missing": "drop_unit",
}
CAPACITY_INDEX: dict[str, Any] = {
    "code": "capacity_demo", "name_fa": "شاخص ترکیبی ظرفیت (نمونه)", "name_en": "Composite capacity (demo)",
    "domain": "capacity", "levels": ["province", "county", "neighbourhood"], "period": PERIOD,
    "indicators": [{"code": "jobs_per_1000"}, {"code": "health_centres_per_10k"}],
    "normalisation": "rank", "weights": "equal", "aggregation": "arithmetic", "missing": "mean",
}


def _neighbourhoods(session: Session) -> Any:
    return session.execute(
        text("""SELECT u.id, u.population, ST_X(ST_PointOnSurface(u.geom)) AS x, ST_Y(ST_PointOnSurface(u.geom)) AS y,
                       v.value AS unemployment
                FROM admin_unit u JOIN indicator_value v ON v.unit_id = u.id
                JOIN indicator i ON i.id = v.indicator_id AND i.code = 'unemployment_rate'
                WHERE u.level = 'neighbourhood' AND u.synthetic AND v.period = :p ORDER BY u.code"""),
        {"p": PERIOD},
    ).all()


def _write(session: Session, spec: dict[str, Any], ids: np.ndarray, values: np.ndarray,
           period: str = PERIOD) -> None:
    indicator_id = define_indicator(session, {**spec, "source": DEMO_SOURCE["fa"], "meta": {
        **spec.get("meta", {}), **NOTE, "source_en": DEMO_SOURCE["en"]}}, synthetic=True)
    copy_rows(session, "indicator_value", ("indicator_id", "unit_id", "period", "value", "synthetic"),
              ((indicator_id, int(u), period, float(v), True) for u, v in zip(ids, values, strict=True)))
    roll_up(session, spec["code"], period, replace=True)


def derive_from_layers(session: Session) -> list[str]:
    """Derive a per-1,000-people indicator from every demo point layer; return their codes."""
    layers = session.execute(
        text("""SELECT slug, title, kind FROM layer
                WHERE storage = 'vector' AND geometry_type ILIKE '%point%' AND coalesce(feature_count, 1) > 0
                ORDER BY slug""")
    ).all()
    codes = []
    for slug, title, kind in layers:
        code = f"{slug}_per_1000"[:63]
        title_en = DEMO_LAYERS[slug][1] if slug in DEMO_LAYERS else title
        try:
            derive_indicator(session, slug, "neighbourhood", "per_1000", code=code, period=PERIOD,
                             name_fa=f"{title} در هزار نفر", name_en=f"{title_en} per 1,000 people",
                             domain="deprivation" if kind == "deprivation" else "capacity",
                             direction="higher_is_worse" if kind == "deprivation" else "higher_is_better",
                             synthetic=True)
        except InvalidInput:
            continue  # an empty demo layer has nothing to give
        codes.append(code)
    return codes


def load(session: Session, progress: Progress) -> None:
    """Write the analytics demo; run after the units, indicators and demo layers."""
    rng = np.random.default_rng(SEED)
    hoods = _neighbourhoods(session)
    ids = np.array([h.id for h in hoods])
    pop = np.array([h.population for h in hoods], dtype=float)
    x, y = np.array([h.x for h in hoods]), np.array([h.y for h in hoods])
    unemployment = np.array([h.unemployment for h in hoods], dtype=float) / 100
    trend = np.clip((x - 44) / 19 - (y - 25) / 15, 0, 1)[:, None]

    progress("synthetic jobs by sector")
    north_west = np.array([s[1] for s in SECTORS.values()])
    south_east = np.array([s[2] for s in SECTORS.values()])
    mix = (1 - trend) * north_west + trend * south_east
    mix = mix * rng.gamma(4.0, 0.25, mix.shape)  # local specialisation around the regional mix
    mix /= mix.sum(axis=1, keepdims=True)
    jobs = np.round(pop[:, None] * 0.3 * (1 - unemployment[:, None]) * mix)
    # A year earlier: each sector's national trend, and local growth around it.
    base_rng = np.random.default_rng(SEED + 1)
    growth = np.array(list(SECTOR_GROWTH.values()))[None, :] + base_rng.normal(0, 0.06, jobs.shape)
    jobs_before = np.round(jobs / np.clip(1 + growth, 0.5, None))
    for j, (sector, (name_fa, _, _)) in enumerate(SECTORS.items()):
        spec = {"code": f"jobs_{sector}", "name_fa": f"شاغلان {name_fa}", "name_en": f"Jobs in {sector}",
                "unit_of_measure": "jobs", "domain": "context", "direction": "higher_is_better",
                "rollup": "sum", "meta": {"sector": sector}}
        _write(session, spec, ids, jobs_before[:, j], BASE_PERIOD)
        _write(session, spec, ids, jobs[:, j])
    _write(session, {"code": "jobs_per_1000", "name_fa": "شاغلان در هزار نفر", "name_en": "Jobs per 1,000 people",
                     "unit_of_measure": "per 1,000", "domain": "capacity", "direction": "higher_is_better",
                     "rollup": "weighted_mean"}, ids,
           np.divide(jobs.sum(axis=1) * 1000, pop, out=np.zeros_like(pop), where=pop > 0))

    progress("synthetic target community")
    unemployed = pop * 0.35 * unemployment
    counts = {
        "unemployed_youth": unemployed * rng.uniform(0.35, 0.55, len(ids)),
        "unemployed_women": unemployed * rng.uniform(0.2, 0.4, len(ids)),
        "unemployed_graduates": unemployed * rng.uniform(0.15, 0.35, len(ids)),
        "vulnerable_female_headed": pop / 3.3 * rng.uniform(0.05, 0.12, len(ids)) * (1 + trend[:, 0]),
        "vulnerable_disabled": pop * rng.uniform(0.01, 0.02, len(ids)),
        "vulnerable_elderly_alone": pop * rng.uniform(0.01, 0.03, len(ids)),
    }
    for code, (group, klass, name_fa, name_en) in TARGET_GROUPS.items():
        _write(session, {"code": code, "name_fa": name_fa, "name_en": name_en,
                         "unit_of_measure": "households" if "headed" in code else "people",
                         "domain": "target_community", "direction": "higher_is_worse", "rollup": "sum",
                         "meta": {"group": group, "class": klass}}, ids, np.round(counts[code]))

    progress("indicators derived from demo layers")
    derived = derive_from_layers(session)
    capacity = dict(CAPACITY_INDEX)
    capacity["indicators"] = [*CAPACITY_INDEX["indicators"], *({"code": c} for c in derived)]

    progress("demo deprivation and capacity indices")
    compute_index(session, DEPRIVATION_INDEX, created_by="demo", synthetic=True)
    compute_index(session, capacity, created_by="demo", synthetic=True)


def remove(session: Session) -> None:
    """Delete what :func:`load` wrote (synthetic indicators go with the foundation's clean-up)."""
    session.execute(text("DELETE FROM composite_index WHERE synthetic"))


STEP = DemoStep(name="analytics", load=load, remove=remove)
