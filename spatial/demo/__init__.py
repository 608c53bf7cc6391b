"""The demo data set: Iran's 31 real provinces, with synthetic counties, neighbourhoods,
populations and indicators inside them.

Everything generated is marked ``synthetic`` (column and ``meta.note``) and the maps
say so in their attribution. Generation is deterministic: the same arguments always
give the same codes, shapes and values.

This package loads the units and indicators; each other concern's demo data is a step
module (accounts, layers, analytics, roadmaps) built on :mod:`spatial.demo.common`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import copy_rows, ewkb_hex
from spatial.demo import accounts as _accounts
from spatial.demo import analytics as _analytics
from spatial.demo import layers as _layers
from spatial.demo import roadmaps as _roadmaps
from spatial.demo.common import DEMO_SOURCE, SEED, SYNTHETIC_NOTE, DemoStep, Progress
from spatial.demo.tessellate import tessellate
from spatial.geometry import as_multipolygons
from spatial.units.coverage import refresh_large_levels
from spatial.errors import InvalidInput
from spatial.analytics.indicators import roll_up
from spatial.serving.coalesce import refresh_coalesced_tiles
from spatial.jalali import persian_digits

PROVINCES_FILE = Path(__file__).with_name("iran_provinces.geojson")
COUNTIES_PER_PROVINCE = 10
DEFAULT_NEIGHBOURHOODS_PER_COUNTY = 20
MAX_NEIGHBOURHOODS = 50_000
PERIODS = ("2023", "2024")
DEMO_VERSION = 2  # 2: sector jobs for 2023 too (shift-share)

#: Synthetic indicators: code, Persian name, English name, unit, domain, direction, roll-up.
DEMO_INDICATORS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("unemployment_rate", "نرخ بیکاری", "Unemployment rate", "%", "deprivation", "higher_is_worse", "weighted_mean"),
    ("literacy_rate", "نرخ باسوادی", "Literacy rate", "%", "capacity", "higher_is_better", "weighted_mean"),
    ("health_centres_per_10k", "مراکز بهداشت در ده‌هزار نفر", "Health centres per 10,000 people",
     "per 10k", "capacity", "higher_is_better", "weighted_mean"),
    ("vulnerable_households", "خانوارهای آسیب‌پذیر", "Vulnerable households", "households",
     "target_community", "higher_is_worse", "sum"),
)

#: Extra demo steps, in load order; each concern registers its own here. Analytics
#: derives indicators from the demo layers, so layers come first.
EXTRA_STEPS: tuple[DemoStep, ...] = (_accounts.STEP, _layers.STEP, _analytics.STEP, _roadmaps.STEP)


#: Natural Earth gives Alborz (split from Tehran in 2010) Tehran's IR-07; ISO 3166-2
#: assigned it IR-32 in the scheme the other codes follow.
_ISO_FIXES = {"IRN-5490": "IR-32"}


def load_provinces() -> list[dict[str, Any]]:
    """The vendored Natural Earth provinces as GeoJSON features, sorted by ISO code."""
    features = json.loads(PROVINCES_FILE.read_text(encoding="utf-8"))["features"]
    for f in features:
        p = f["properties"]
        p["iso_3166_2"] = _ISO_FIXES.get(p["adm1_code"], p["iso_3166_2"])
    return sorted(features, key=lambda f: f["properties"]["iso_3166_2"])


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def load_demo(session: Session, neighbourhoods: int | None = None, progress: Progress = lambda _: None) -> bool:
    """Load the demo into the database in one transaction; skip if it is already there.

    ``neighbourhoods`` is the total number of synthetic neighbourhoods (default 20 per
    county, at most 50,000). Returns ``True`` when data was written.
    """
    counties_total = len(load_provinces()) * COUNTIES_PER_PROVINCE
    wanted = neighbourhoods or DEFAULT_NEIGHBOURHOODS_PER_COUNTY * counties_total
    if not (counties_total <= wanted <= MAX_NEIGHBOURHOODS):
        raise InvalidInput(
            f"--neighbourhoods must be between {counties_total} (one per county) and {MAX_NEIGHBOURHOODS}.",
            field="neighbourhoods",
        )
    state = {"version": DEMO_VERSION, "neighbourhoods": wanted, "seed": SEED,
             "steps": [step.name for step in EXTRA_STEPS]}
    current = session.execute(text("SELECT value FROM pishraft_meta WHERE key = 'demo'")).scalar()
    if current == state:
        progress("demo already loaded; nothing to do")
        return False
    if current is not None:
        progress("removing the previous demo")
        _remove_demo(session)

    rng = np.random.default_rng(SEED)
    progress("provinces")
    provinces = load_provinces()
    province_geoms = as_multipolygons(shapely.make_valid(np.array([shapely.geometry.shape(f["geometry"]) for f in provinces])))

    progress(f"{counties_total} synthetic counties")
    county_rows: list[dict[str, Any]] = []
    for f, geom in zip(provinces, province_geoms, strict=True):
        p = f["properties"]
        cells = tessellate(geom, COUNTIES_PER_PROVINCE, rng)
        for i, cell in enumerate(cells, start=1):
            county_rows.append({
                "code": f"{p['iso_3166_2']}-{i:02d}", "parent": p["iso_3166_2"], "geom": cell,
                "name_fa": f"شهرستان نمونه {persian_digits(i)} ({p['name_fa'].removeprefix('استان ')})",
                "name_en": f"Synthetic county {i} ({p['name_en']})",
                "population": int(rng.lognormal(12.0, 0.8)),
            })

    progress(f"{wanted} synthetic neighbourhoods")
    hood_rows: list[dict[str, Any]] = []
    for county, n in zip(county_rows, _spread(wanted, len(county_rows)), strict=True):
        cells = tessellate(county["geom"], n, rng)
        pops = rng.multinomial(county["population"], rng.dirichlet(np.full(len(cells), 2.0)))
        for i, (cell, pop) in enumerate(zip(cells, pops, strict=True), start=1):
            hood_rows.append({
                "code": f"{county['code']}-{i:03d}", "parent": county["code"], "geom": cell,
                "name_fa": f"محله نمونه {persian_digits(i)}، {county['name_fa']}",
                "name_en": f"Synthetic neighbourhood {i}, {county['name_en']}",
                "population": int(pop),
            })

    province_pop: dict[str, int] = {}
    for c in county_rows:
        province_pop[c["parent"]] = province_pop.get(c["parent"], 0) + c["population"]
    province_rows = [
        {"code": f["properties"]["iso_3166_2"], "parent": None, "geom": g,
         "name_fa": f["properties"]["name_fa"], "name_en": f["properties"]["name_en"],
         "population": province_pop[f["properties"]["iso_3166_2"]],
         "meta": {"source": "Natural Earth admin-1 (public domain)", "adm1_code": f["properties"]["adm1_code"],
                  "wikidata": f["properties"]["wikidataid"], "note": "boundary real; population " + SYNTHETIC_NOTE}}
        for f, g in zip(provinces, province_geoms, strict=True)
    ]

    progress("writing units")
    _insert_level(session, "province", province_rows)
    _insert_level(session, "county", county_rows)
    _insert_level(session, "neighbourhood", hood_rows)

    progress("synthetic indicators")
    _insert_indicators(session, rng)
    session.execute(text("ANALYZE admin_unit"))
    for step in EXTRA_STEPS:
        progress(step.name)
        step.load(session, progress)
    progress("coalesced tiles")
    refresh_coalesced_tiles(session)
    progress("map coverage of large levels")
    refresh_large_levels(session)
    session.execute(
        text("INSERT INTO pishraft_meta (key, value) VALUES ('demo', CAST(:v AS jsonb)) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
        {"v": json.dumps(state)},
    )
    return True


def _insert_level(session: Session, level: str, rows: list[dict[str, Any]]) -> None:
    parent_ids: dict[str, int] = dict(session.execute(text("SELECT code, id FROM admin_unit WHERE valid_to IS NULL")).all())
    geoms = ewkb_hex(np.array([r["geom"] for r in rows]))
    default_meta = json.dumps({"note": SYNTHETIC_NOTE})
    copy_rows(
        session,
        "admin_unit",
        ("code", "level", "name_fa", "name_en", "parent_id", "population", "synthetic", "meta", "geom"),
        (
            (r["code"], level, r["name_fa"], r["name_en"], parent_ids.get(r["parent"]) if r["parent"] else None,
             r["population"], True, json.dumps(r["meta"]) if "meta" in r else default_meta, g)
            for r, g in zip(rows, geoms, strict=True)
        ),
    )


def _insert_indicators(session: Session, rng: np.random.Generator) -> None:
    hoods = session.execute(
        text("""SELECT id, ST_X(ST_PointOnSurface(geom)) AS x, ST_Y(ST_PointOnSurface(geom)) AS y, population
                FROM admin_unit WHERE level = 'neighbourhood' AND synthetic ORDER BY code""")
    ).all()
    ids = np.array([h.id for h in hoods])
    x = np.array([h.x for h in hoods])
    y = np.array([h.y for h in hoods])
    pop = np.array([h.population for h in hoods], dtype=float)
    # A smooth national pattern (more deprivation to the south-east) plus local noise,
    # so that clusters and rankings have something to find.
    trend = (x - 44) / 19 - (y - 25) / 15  # ~0 north-west … ~1 south-east
    for period_index, period in enumerate(PERIODS):
        drift = 0.5 * period_index
        values = {
            "unemployment_rate": np.clip(8 + 10 * trend + rng.normal(0, 2, len(ids)) - drift, 1, 45),
            "literacy_rate": np.clip(92 - 15 * trend + rng.normal(0, 3, len(ids)) + drift, 40, 99.5),
            "health_centres_per_10k": np.clip(3 - 1.5 * trend + rng.gamma(2, 0.4, len(ids)), 0.1, None),
            "vulnerable_households": np.round(pop / 4.2 * np.clip(0.1 + 0.25 * trend + rng.normal(0, 0.04, len(ids)), 0.01, 0.9)),
        }
        for code, name_fa, name_en, unit, domain, direction, rule in DEMO_INDICATORS:
            if period_index == 0:
                session.execute(
                    text("""INSERT INTO indicator (code, name_fa, name_en, unit_of_measure, domain, direction,
                                                   source, rollup, synthetic, meta)
                            VALUES (:code, :fa, :en, :unit, :domain, :direction, :source, :rule, true,
                                    CAST(:meta AS jsonb))"""),
                    {"code": code, "fa": name_fa, "en": name_en, "unit": unit, "domain": domain,
                     "direction": direction, "rule": rule, "source": DEMO_SOURCE["fa"],
                     "meta": json.dumps({"note": SYNTHETIC_NOTE, "source_en": DEMO_SOURCE["en"]})},
                )
            ind_id = session.execute(text("SELECT id FROM indicator WHERE code = :c"), {"c": code}).scalar_one()
            copy_rows(
                session, "indicator_value", ("indicator_id", "unit_id", "period", "value", "synthetic"),
                ((ind_id, int(u), period, round(float(v), 3), True) for u, v in zip(ids, values[code], strict=True)),
            )
            roll_up(session, code, period)


def _remove_demo(session: Session) -> None:
    for step in reversed(EXTRA_STEPS):
        step.remove(session)
    session.execute(text("DELETE FROM indicator WHERE synthetic"))
    # Leaves first: parent links are ON DELETE RESTRICT.
    for level in ("village", "neighbourhood", "rural_district", "district", "county", "province"):
        session.execute(text("DELETE FROM admin_unit WHERE synthetic AND level = :l"), {"l": level})
    session.execute(text("DELETE FROM pishraft_meta WHERE key = 'demo'"))


def prepare_demo_database(neighbourhoods: int | None = None, progress: Progress = lambda _: None) -> bool:
    """Make the database in use ready for the demo: migrate its schema, then load the demo
    unless it is there (``make demo-data`` does the same with ``pishraft db upgrade`` and
    ``pishraft demo load``). For benchmarks and scripts. Returns ``True`` when data was written."""
    from spatial.db import migrate
    from spatial.db.engine import session_scope

    migrate.upgrade()
    with session_scope() as session:
        return load_demo(session, neighbourhoods, progress)
