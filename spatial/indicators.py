"""Indicator definitions and values, and their roll-up through the hierarchy."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import NotFound

# One pass per level, from the leaves up: a parent's value is the sum of its children's
# (counts) or their population-weighted mean (rates). Parents that already hold a value
# measured for themselves keep it.
_ROLL_UP_ONE_LEVEL = text(
    """
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
    ON CONFLICT (indicator_id, unit_id, period) DO NOTHING
    """
)


def indicator_id(session: Session, code: str) -> tuple[int, str]:
    """The id and roll-up rule of the indicator ``code``; :class:`NotFound` if unknown."""
    row = session.execute(text("SELECT id, rollup FROM indicator WHERE code = :code"), {"code": code}).first()
    if row is None:
        raise NotFound(f"No indicator has code '{code}'. List them with GET /api/indicators.", field="indicator")
    return int(row.id), str(row.rollup)


def roll_up(session: Session, code: str, period: str | None = None) -> None:
    """Fill parent units' values of indicator ``code`` from their children, leaves first.

    Examples
    --------
    >>> roll_up(session, "vulnerable_households", "2024")   # doctest: +SKIP
    """
    ind_id, rule = indicator_id(session, code)
    for child_level in ("village", "neighbourhood", "rural_district", "district", "county"):
        session.execute(
            _ROLL_UP_ONE_LEVEL,
            {"indicator_id": ind_id, "rollup": rule, "child_level": child_level, "period": period},
        )


def indicator_info(session: Session, code: str) -> dict[str, object]:
    """The definition of indicator ``code`` with the periods that hold values."""
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
    if period is None:
        period = periods[-1] if periods else None
    elif period not in periods:
        raise NotFound(
            f"Indicator '{code}' has no values for period '{period}'; it has: {', '.join(periods) or 'none'}.",
            field="period",
        )
    rows = session.execute(
        text("""SELECT u.code, v.value FROM indicator_value v
                JOIN admin_unit u ON u.id = v.unit_id
                LEFT JOIN admin_unit p ON p.id = u.parent_id
                WHERE v.indicator_id = :id AND v.period = :period AND u.valid_to IS NULL
                  AND (CAST(:level AS text) IS NULL OR u.level = :level)
                  AND (CAST(:parent AS text) IS NULL OR p.code = :parent)"""),
        {"id": info["id"], "period": period, "level": level, "parent": parent_code},
    ).all()
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


def known_indicator_codes(session: Session, codes: list[str]) -> set[str]:
    """Which of ``codes`` name a defined indicator."""
    return set(session.execute(text("SELECT code FROM indicator WHERE code = ANY(:codes)"),
                               {"codes": codes}).scalars())
