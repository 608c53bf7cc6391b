"""Indicator definitions and values, and their roll-up through the hierarchy."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import binary_fetch
from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput, NotFound
from spatial.messages import label, measure, t
from spatial.models.indicators import DIRECTIONS, DOMAINS
from spatial.tables import Table
from spatial.periods import optional_period_key, period_key
from spatial.units.hierarchy import check_level, get_unit

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ROLLUPS: tuple[str, ...] = ("sum", "weighted_mean")

# One pass per level, from the leaves up: a parent's value is the sum of its children's
# (counts) or their population-weighted mean (rates). Without ``replace``, parents that
# already hold a value measured for themselves keep it; with it, they are recomputed.
_ROLL_UP_ONE_LEVEL = """
    INSERT INTO indicator_value (indicator_id, unit_id, period, value, synthetic)
    SELECT :indicator_id, c.parent_id, v.period,
           CASE WHEN :rollup = 'sum' THEN sum(v.value)
                ELSE sum(v.value * c.population) / nullif(sum(c.population) FILTER (WHERE v.value IS NOT NULL), 0)
           END,
           bool_or(v.synthetic)
    FROM indicator_value v
    JOIN admin_unit c ON c.id = v.unit_id
    JOIN admin_unit p ON p.id = c.parent_id
    WHERE v.indicator_id = :indicator_id AND c.level = :child_level
      AND (CAST(:period AS text) IS NULL OR v.period = :period)
    GROUP BY c.parent_id, v.period
    ON CONFLICT (indicator_id, unit_id, period) DO {action}
    """
_ROLL_UP_KEEP = text(_ROLL_UP_ONE_LEVEL.format(action="NOTHING"))
_ROLL_UP_REPLACE = text(
    _ROLL_UP_ONE_LEVEL.format(action="UPDATE SET value = excluded.value, synthetic = excluded.synthetic")
)


def indicator_id(session: Session, code: str) -> tuple[int, str]:
    """The id and roll-up rule of the indicator ``code``; :class:`NotFound` if unknown."""
    row = session.execute(text("SELECT id, rollup FROM indicator WHERE code = :code"), {"code": code}).first()
    if row is None:
        raise NotFound(f"No indicator has code '{code}'. List them with GET /api/indicators.", field="indicator")
    return int(row.id), str(row.rollup)


def roll_up(session: Session, code: str, period: str | None = None, replace: bool = False) -> None:
    """Fill parent units' values of indicator ``code`` from their children, leaves first.

    ``replace`` recomputes parents that already hold a value (after a re-import or a
    new derivation); by default such values are kept.

    Examples
    --------
    >>> roll_up(session, "vulnerable_households", "2024")   # doctest: +SKIP
    """
    ind_id, rule = indicator_id(session, code)
    for child_level in ("village", "neighbourhood", "rural_district", "district", "county"):
        session.execute(
            _ROLL_UP_REPLACE if replace else _ROLL_UP_KEEP,
            {"indicator_id": ind_id, "rollup": rule, "child_level": child_level, "period": period},
        )


#: Indicator definitions with their periods, until published data changes: gathering the
#: periods reads every value of the indicator, which grows with the size of the level.
_infos: GenerationCache[dict[str, object]] = GenerationCache(size=256)


def indicator_info(session: Session, code: str) -> dict[str, object]:
    """The definition of indicator ``code`` with the periods that hold values (a fresh copy of
    what is kept per data generation)."""
    return dict(_infos.get(session, code, lambda: _indicator_info(session, code)))


def _indicator_info(session: Session, code: str) -> dict[str, object]:
    row = session.execute(
        text("""SELECT i.id, i.code, i.name_fa, i.name_en, i.unit_of_measure, i.domain, i.direction, i.source,
                       i.rollup, i.synthetic,
                       coalesce(array_agg(DISTINCT v.period ORDER BY v.period)
                                FILTER (WHERE v.period IS NOT NULL), '{}') AS periods
                FROM indicator i LEFT JOIN indicator_value v ON v.indicator_id = i.id
                WHERE i.code = :code GROUP BY i.id"""),
        {"code": code},
    ).mappings().first()
    if row is None:
        raise NotFound(f"No indicator has code '{code}'. List them with GET /api/indicators.", field="indicator")
    return dict(row)


def values_by_unit(
    session: Session, code: str, level: str | None = None, period: str | None = None,
    parent_code: str | None = None,
) -> tuple[str | None, dict[str, float | None]]:
    """Values of indicator ``code`` keyed by unit code, for the latest period unless one is named.

    Returns ``(period, {unit_code: value})``; filters by ``level`` and/or ``parent_code``.
    """
    info = indicator_info(session, code)
    periods = list(info["periods"])  # type: ignore[call-overload]
    period = optional_period_key(period)
    if period is None:
        period = periods[-1] if periods else None
    elif period not in periods:
        raise NotFound(
            f"Indicator '{code}' has no values for period '{period}'; it has: {', '.join(periods) or 'none'}.",
            reason="indicator_no_period", period=period, field="period",
        )
    # Plain tuples in binary: a national map of 50,000 neighbourhoods reads them all.
    rows = binary_fetch(
        session,
        """SELECT u.code, v.value FROM indicator_value v
           JOIN admin_unit u ON u.id = v.unit_id
           LEFT JOIN admin_unit p ON p.id = u.parent_id
           WHERE v.indicator_id = :id AND v.period = :period AND u.valid_to IS NULL
             AND (CAST(:level AS text) IS NULL OR u.level = :level)
             AND (CAST(:parent AS text) IS NULL OR p.code = :parent)""",
        {"id": info["id"], "period": period, "level": level, "parent": parent_code},
    )()
    return period, dict(rows)


def first_indicator_code(session: Session) -> str | None:
    """The code of the first indicator (by domain, then code), for default maps."""
    return session.execute(
        text("SELECT code FROM indicator ORDER BY domain = 'deprivation' DESC, code LIMIT 1")
    ).scalar()


def unit_snapshot(session: Session, unit_id: int) -> list[dict[str, object]]:
    """The latest value of every indicator for one unit: the unit's current state.

    Returns one dict per indicator that has a value for the unit, ordered by domain and
    code: ``indicator``, ``name_fa``, ``name_en``, ``unit_of_measure``, ``domain``,
    ``period`` (the latest period with a value) and ``value``.
    """
    rows = session.execute(
        text("""SELECT DISTINCT ON (i.domain, i.code)
                       i.code AS indicator, i.name_fa, i.name_en, i.unit_of_measure, i.domain, v.period, v.value
                FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
                WHERE v.unit_id = :unit_id AND v.value IS NOT NULL
                ORDER BY i.domain, i.code, v.period DESC"""),
        {"unit_id": unit_id},
    ).mappings().all()
    return [dict(r) for r in rows]


def define_indicator(session: Session, spec: Mapping[str, Any], synthetic: bool = False) -> int:
    """Create indicator ``spec['code']``, or update its definition if it exists; return its id.

    ``spec`` holds ``code``, ``name_fa``, ``name_en``, ``domain``, ``direction`` and
    optionally ``unit_of_measure``, ``source``, ``rollup`` ('sum' for counts,
    'weighted_mean' for rates) and ``meta`` (for example ``{"sector": "agriculture"}``
    or ``{"group": "unemployed", "class": "youth"}``).
    """
    code = str(spec.get("code", ""))
    if not CODE_PATTERN.match(code):
        raise InvalidInput(f"Indicator code '{code}' must be lower case letters, digits and _ (max 63), "
                           "starting with a letter.", reason="bad_indicator_code", field="code")
    for key in ("name_fa", "name_en"):
        if not str(spec.get(key, "")).strip():
            raise InvalidInput(f"Indicator '{code}' needs a non-empty {key}.", reason="required", field=key)
    checks = {"domain": DOMAINS, "direction": DIRECTIONS, "rollup": ROLLUPS}
    for key, allowed in checks.items():
        value = spec.get(key, "weighted_mean" if key == "rollup" else None)
        if value not in allowed:
            raise InvalidInput(f"Indicator '{code}': {key} '{value}' is not one of {', '.join(allowed)}.", reason="not_in_list", field=key)
    return int(session.execute(
        text("""INSERT INTO indicator (code, name_fa, name_en, unit_of_measure, domain, direction, source, rollup,
                                       synthetic, meta)
                VALUES (:code, :name_fa, :name_en, :uom, :domain, :direction, :source, :rollup, :synthetic,
                        CAST(:meta AS jsonb))
                ON CONFLICT (code) DO UPDATE SET name_fa = excluded.name_fa, name_en = excluded.name_en,
                    unit_of_measure = excluded.unit_of_measure, domain = excluded.domain,
                    direction = excluded.direction, source = excluded.source, rollup = excluded.rollup,
                    meta = excluded.meta
                RETURNING id"""),
        {"code": code, "name_fa": spec["name_fa"], "name_en": spec["name_en"],
         "uom": spec.get("unit_of_measure", ""), "domain": spec["domain"], "direction": spec["direction"],
         "source": spec.get("source", ""), "rollup": spec.get("rollup", "weighted_mean"), "synthetic": synthetic,
         "meta": json.dumps(dict(spec.get("meta") or {}))},
    ).scalar_one())


def list_indicators(session: Session, domain: str | None = None) -> list[dict[str, Any]]:
    """Every indicator's definition with the periods that hold values, by domain then code."""
    if domain is not None and domain not in DOMAINS:
        raise InvalidInput(f"Unknown domain '{domain}'; use one of: {', '.join(DOMAINS)}.", reason="not_in_list", field="domain")
    return [dict(r) for r in _lists.get(session, domain, lambda: _list_indicators(session, domain))]


#: Every indicator with its periods, per domain, until published data changes (every map's
#: indicator choices list them; the periods are gathered from every value).
_lists: GenerationCache[list[dict[str, Any]]] = GenerationCache(size=16)


def _list_indicators(session: Session, domain: str | None) -> list[dict[str, Any]]:
    # The (indicator, period) pairs in one hashed pass over the values: five times faster on
    # 50,000 neighbourhoods than sorting each indicator's values for its distinct periods.
    rows = session.execute(
        text("""WITH pairs AS (SELECT DISTINCT indicator_id, period FROM indicator_value),
                     periods AS (SELECT indicator_id, array_agg(period ORDER BY period) AS periods
                                 FROM pairs GROUP BY indicator_id)
                SELECT i.code, i.name_fa, i.name_en, i.unit_of_measure, i.domain, i.direction, i.source, i.rollup,
                       i.synthetic, i.meta, coalesce(p.periods, '{}') AS periods
                FROM indicator i LEFT JOIN periods p ON p.indicator_id = i.id
                WHERE CAST(:domain AS text) IS NULL OR i.domain = :domain
                ORDER BY i.domain, i.code"""),
        {"domain": domain},
    ).mappings().all()
    return [dict(r) for r in rows]


def indicator_names(session: Session) -> list[dict[str, Any]]:
    """Code, Persian and English name of every indicator, by domain then code: what a form's
    select list needs (one cheap query; :func:`list_indicators` also gathers the periods)."""
    rows = session.execute(text("SELECT code, name_fa, name_en FROM indicator ORDER BY domain, code")).mappings()
    return [dict(r) for r in rows]


def known_indicator_codes(session: Session, codes: list[str]) -> set[str]:
    """Which of ``codes`` name a defined indicator."""
    return set(session.execute(text("SELECT code FROM indicator WHERE code = ANY(:codes)"),
                               {"codes": codes}).scalars())


#: Units at a level, optionally only those below a given unit (at any depth).
_SCOPE = """
    WITH RECURSIVE below(id) AS (
        SELECT id FROM admin_unit WHERE CAST(:parent_id AS integer) IS NOT NULL AND id = :parent_id
        UNION ALL
        SELECT a.id FROM admin_unit a JOIN below b ON a.parent_id = b.id WHERE a.valid_to IS NULL
    )
    SELECT u.id AS unit_id, u.code, p.code AS parent_code, u.population
    FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
    WHERE u.level = :level AND u.valid_to IS NULL
      AND (CAST(:parent_id AS integer) IS NULL OR u.id IN (SELECT id FROM below))
    ORDER BY u.code
"""


def rows_frame(rows: Sequence[Sequence[Any]], columns: list[str]) -> pd.DataFrame:
    """A frame of query ``rows`` built column by column (pandas probes every SQLAlchemy row otherwise)."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, (list(c) for c in zip(*rows, strict=True)), strict=True)))


def units_in_scope(session: Session, level: str, parent_code: str | None = None) -> pd.DataFrame:
    """Current units at ``level`` (below ``parent_code`` when given), indexed by code.

    Columns: ``unit_id``, ``parent_code``, ``population``.
    """
    check_level(level)
    parent_id = get_unit(session, parent_code).id if parent_code else None

    def read() -> pd.DataFrame:
        rows = binary_fetch(session, _SCOPE, {"level": level, "parent_id": parent_id})()
        return rows_frame(rows, ["unit_id", "code", "parent_code", "population"]).set_index("code")

    frame = _scopes.get(session, (level, parent_id), read)
    if frame.empty:
        where = f" below '{parent_code}'" if parent_code else ""
        raise NotFound(f"No current units at level '{level}'{where}.", field="level")
    return frame.copy()


#: Units in scope, until published data changes: every level-wide measure starts from them.
_scopes: GenerationCache[pd.DataFrame] = GenerationCache(size=64)


def latest_common_period(session: Session, codes: Sequence[str]) -> str:
    """The latest period for which every indicator in ``codes`` has values."""
    common: set[str] | None = None
    for code in codes:
        periods = set(indicator_info(session, code)["periods"])  # type: ignore[call-overload]
        common = periods if common is None else common & periods
    if not common:
        raise NotFound(f"Indicators {', '.join(codes)} share no period with values; name one with 'period'.",
                       field="period")
    return max(common)


def indicator_matrix(
    session: Session, codes: Sequence[str], level: str, period: str, parent_code: str | None = None
) -> pd.DataFrame:
    """Values of indicators ``codes`` in ``period`` for the units in scope, one column per code.

    Indexed by unit code, with the scope columns of :func:`units_in_scope` first;
    a unit without a value has NaN.
    """
    scope = units_in_scope(session, level, parent_code)
    ids = [indicator_id(session, c)[0] for c in codes]
    # One row of three arrays, in binary: a level of 50,000 units and six indicators is
    # 300,000 values, which as rows would cost seconds to turn into Python objects. The units
    # as a set to join (not ``= ANY``): over a whole level the planner would otherwise walk
    # the unit index through every indicator and period of each unit (6,200 neighbourhoods:
    # 170 ms instead of 23; a parent's few units cost the same either way).
    indicator_ids, unit_ids, numbers = binary_fetch(
        session,
        """SELECT coalesce(array_agg(v.indicator_id), '{}'), coalesce(array_agg(v.unit_id), '{}'),
                  coalesce(array_agg(coalesce(v.value, 'NaN')), '{}')
           FROM indicator_value v
           WHERE v.indicator_id = ANY(:ids) AND v.period = :period
             AND v.unit_id IN (SELECT unnest(CAST(:units AS integer[])))""",
        {"ids": ids, "period": period, "units": [int(u) for u in scope["unit_id"]]},
    )()[0]
    wide = np.full((len(scope), len(codes)), np.nan)
    wide[pd.Index(scope["unit_id"]).get_indexer(unit_ids), pd.Index(ids).get_indexer(indicator_ids)] = numbers
    out = scope.copy()
    for column, code in enumerate(codes):
        out[code] = wide[:, column]
    return out


def import_csv(session: Session, data: bytes | str, filename: str = "upload.csv") -> dict[str, Any]:
    """Import indicator values from a wide CSV: ``unit_code,period,<indicator>,<indicator>…``.

    Periods may be Jalali or Gregorian years (``1403`` and ``2024`` are the same period,
    stored as ``2024``; :mod:`spatial.periods`).

    Every indicator column must name a defined indicator; every row names one current
    unit (all rows at one level) and a period; a (unit, period) pair appears once. An
    empty cell is a missing value. Values replace earlier ones for the same (indicator,
    unit, period), then parents are recomputed by roll-up. Nothing is written when any
    check fails; the error names the line and column.

    Examples
    --------
    >>> import_csv(session, "unit_code,period,unemployment_rate\nIR-15-01-001,2024,12.5\n")  # doctest: +SKIP
    {'rows': 1, 'values': 1, 'indicators': ['unemployment_rate'], 'periods': ['2024'], 'level': 'neighbourhood'}
    """
    raw = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    try:
        frame = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInput(f"{filename}: not a readable CSV ({exc}).", reason="csv_unreadable", name=filename, field="file") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for required in ("unit_code", "period"):
        if required not in frame.columns:
            raise InvalidInput(f"{filename}: the header needs a '{required}' column; it has "
                               f"{', '.join(frame.columns) or 'none'}.", reason="csv_column_missing", name=filename, column=required, field="file")
    codes = [c for c in frame.columns if c not in ("unit_code", "period")]
    if not codes:
        raise InvalidInput(f"{filename}: no indicator columns after unit_code and period.", reason="csv_no_indicators", name=filename, field="file")
    if frame.empty:
        raise InvalidInput(f"{filename}: the file has a header but no rows.", reason="csv_no_rows", name=filename, field="file")
    known: dict[str, int] = dict(session.execute(text("SELECT code, id FROM indicator WHERE code = ANY(:c)"), {"c": codes}).all())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise NotFound(f"{filename}: unknown indicator column(s) {', '.join(unknown)}; define them first "
                       "(pishraft indicators define) or fix the header.", reason="csv_unknown_indicators", name=filename, codes=", ".join(unknown), field="file")
    lines = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)  # header is line 1
    frame["unit_code"] = frame["unit_code"].str.strip()
    frame["period"] = frame["period"].str.strip()
    for column in ("unit_code", "period"):
        empty = lines[frame[column] == ""]
        if len(empty):
            raise InvalidInput(f"{filename}: {column} is empty on line(s) {_lines(empty)}.", reason="csv_empty_cells",
                               name=filename, column=column, lines=_lines(empty), field=column)
    # 1403 and 2024 are one period (spatial.periods): a file may use either calendar.
    frame["period"] = frame["period"].map(period_key)
    dup = frame.duplicated(["unit_code", "period"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        raise InvalidInput(f"{filename}: unit {first.unit_code} and period {first.period} appear more than once "
                           f"(lines {_lines(lines[dup])}); keep one row per unit and period.", reason="csv_duplicate_rows", name=filename, unit=first.unit_code, period=first.period, lines=_lines(lines[dup]), field="unit_code")
    units = pd.DataFrame(
        session.execute(text("SELECT code, id, level FROM admin_unit WHERE valid_to IS NULL AND code = ANY(:c)"),
                        {"c": frame["unit_code"].unique().tolist()}).all(),
        columns=["unit_code", "unit_id", "level"],
    )
    merged = frame.merge(units, on="unit_code", how="left")
    missing = merged["unit_id"].isna().to_numpy()
    if missing.any():
        bad = merged.loc[missing, "unit_code"].unique()[:10]
        raise NotFound(f"{filename}: unknown unit code(s) {', '.join(bad)} (line(s) {_lines(lines[missing])}); "
                       "list codes with GET /api/units.", reason="csv_unknown_units", name=filename, codes=", ".join(bad), lines=_lines(lines[missing]), field="unit_code")
    levels = merged["level"].unique()
    if len(levels) > 1:
        raise InvalidInput(f"{filename}: rows mix levels ({', '.join(sorted(levels))}); import one level per file.",
                           reason="csv_mixed_levels", name=filename, field="unit_code")
    written = 0
    for code in codes:
        cells = merged[code].str.strip()
        values = pd.to_numeric(cells.replace("", np.nan), errors="coerce")
        bad = values.isna() & (cells != "")
        if bad.any():
            line = int(lines[bad.to_numpy()].iloc[0])
            raise InvalidInput(f"{filename}: line {line}, column {code}: '{cells[bad].iloc[0]}' is not a number.",
                               reason="csv_not_a_number", name=filename, line=line, column=code, value=cells[bad].iloc[0], field=code)
        keep = values.notna().to_numpy()
        session.execute(
            text("""INSERT INTO indicator_value (indicator_id, unit_id, period, value)
                    SELECT :ind, u, p, v FROM unnest(CAST(:units AS integer[]), CAST(:periods AS text[]),
                                                     CAST(:vals AS float8[])) AS t(u, p, v)
                    ON CONFLICT (indicator_id, unit_id, period) DO UPDATE SET value = excluded.value,
                        synthetic = false"""),
            {"ind": known[code], "units": merged.loc[keep, "unit_id"].astype(int).tolist(),
             "periods": merged.loc[keep, "period"].tolist(), "vals": values[keep].astype(float).tolist()},
        )
        written += int(keep.sum())
    periods = sorted(merged["period"].unique().tolist())
    for code in codes:
        for period in periods:
            roll_up(session, code, period, replace=True)
    return {"rows": len(frame), "values": written, "indicators": codes, "periods": periods, "level": str(levels[0])}


def _lines(lines: pd.Series, limit: int = 10) -> str:
    shown = [str(int(n)) for n in lines.iloc[:limit]]
    return ", ".join(shown) + (" …" if len(lines) > limit else "")


def catalogue_table(found: list[dict[str, Any]], lang: str = "fa") -> Table:
    """The indicator catalogue (:func:`list_indicators`) as one table in ``lang``'s words."""
    def w(key: str) -> str:
        return t(key, lang)

    return Table(w("indicator.catalogue"), [w("indicator.name"), w("derive.domain"), w("kr.unit_of_measure"),
                                            w("indicator.periods"), w("indicator.source")], [
        [(i["name_fa"] if lang == "fa" else i["name_en"]) or i["name_en"] or i["code"], label("domain", i["domain"], lang),
         measure(i["unit_of_measure"], lang), "، ".join(i["periods"]) if lang == "fa" else ", ".join(i["periods"]),
         i["source"]]
        for i in found])
