"""Fair allocation: split a budget in whole rials over units in proportion to need.

Each unit gets ``clip(λ · need, floor, cap)`` with the one λ that spends the budget;
λ is found exactly with rational arithmetic, then amounts are rounded to whole rials
by largest remainder, so the result always sums to the budget exactly and never
breaks a floor or a cap.

Examples
--------
>>> allocate_budget([3.0, 1.0], 100).amounts.tolist()
[75, 25]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import copy_rows
from spatial.errors import InvalidInput, NotFound
from spatial.analytics.indicators import units_in_scope
from spatial.analytics.indices import source_values


@dataclass(frozen=True)
class Split:
    """Amounts in rials per unit (input order) and which units sit at their floor or cap."""

    amounts: np.ndarray  # int64
    bound: list[str | None]


def _as_bounds(value: float | Sequence[float] | None, n: int, default: float, name: str) -> np.ndarray:
    if value is None:
        return np.full(n, default, dtype=object)
    array = np.broadcast_to(np.asarray(value, dtype=object), (n,)).copy()
    for v in array:
        if isinstance(v, float) and not v.is_integer():
            raise InvalidInput(f"Every {name} must be a whole number of rials.", field=name)
        if v < 0:
            raise InvalidInput(f"A {name} cannot be negative.", field=name)
    return np.array([int(v) if v != np.inf else v for v in array], dtype=object)


def allocate_budget(need: Sequence[float], budget: float, floors: float | Sequence[float] | None = None,
                    caps: float | Sequence[float] | None = None) -> Split:
    """Split ``budget`` (whole rials) over units in proportion to ``need``, within floors and caps.

    Raises :class:`InvalidInput` when the floors add up to more than the budget, the
    caps to less, a floor exceeds its cap, or a need is negative or not a number.
    """
    if isinstance(budget, float) and not budget.is_integer() or int(budget) < 0:
        raise InvalidInput("The budget must be a non-negative whole number of rials.", field="budget")
    budget = int(budget)
    need_array = np.asarray(need, dtype=float)
    n = len(need_array)
    if n == 0:
        raise InvalidInput("There are no units to allocate to.", field="level")
    if not np.all(np.isfinite(need_array)) or np.any(need_array < 0):
        raise InvalidInput("Need must be a non-negative number for every unit; use a min-max or rank "
                           "normalised index.", field="need")
    lo = _as_bounds(floors, n, 0, "floor")
    hi = _as_bounds(caps, n, np.inf, "cap")
    if any(f > c for f, c in zip(lo, hi, strict=True)):
        raise InvalidInput("A floor is above its cap.", field="floor")
    if sum(lo) > budget:
        raise InvalidInput(f"The floors add up to {sum(lo):,} rials, more than the budget of {budget:,}; "
                           "lower the floors or raise the budget.", field="floor")
    if all(c != np.inf for c in hi) and sum(hi) < budget:
        raise InvalidInput(f"The caps add up to {sum(hi):,} rials, less than the budget of {budget:,}; "
                           "raise the caps or lower the budget.", field="cap")
    if need_array.sum() == 0:
        if not all(c != np.inf for c in hi) and sum(lo) < budget:
            raise InvalidInput("Every unit has zero need; nothing to share the budget by.", field="need")
    exact = _water_fill([Fraction(v) for v in need_array], budget, lo, hi)
    if sum(exact) < budget:
        # Every unit with need sits at its cap: the rest goes to the units without need,
        # equally, within their caps (the caps add up to at least the budget).
        idle = [Fraction(int(v == 0)) for v in need_array]
        exact = _water_fill(idle, budget, np.array(exact, dtype=object), hi)
    amounts = _round_to_total(exact, budget, lo, hi)
    bound: list[str | None] = [
        "cap" if a == c else "floor" if a == f and f > 0 else None for a, f, c in zip(amounts, lo, hi, strict=True)
    ]
    return Split(np.array(amounts, dtype=np.int64), bound)


def _clip(value: Fraction, lo: Any, hi: Any) -> Fraction:
    return max(Fraction(lo), value if hi == np.inf else min(Fraction(hi), value))


def _water_fill(need: list[Fraction], budget: int, lo: np.ndarray, hi: np.ndarray) -> list[Fraction]:
    """Exact amounts clip(λ·need, lo, hi) summing to ``budget``.

    Σ clip(λ·need) is increasing and piecewise linear in λ with breaks at lo/need and
    hi/need: bisect over the sorted breaks, then solve the last segment exactly.
    """
    def spent(lam: Fraction) -> Fraction:
        return sum((_clip(lam * v, f, c) for v, f, c in zip(need, lo, hi, strict=True)), Fraction(0))

    breaks = sorted({Fraction(b) / v for v, f, c in zip(need, lo, hi, strict=True) if v > 0
                     for b in (f, c) if b != np.inf})
    breaks = [Fraction(0), *breaks]
    # Largest break whose spending does not exceed the budget.
    left, right = 0, len(breaks) - 1
    if spent(breaks[right]) <= budget:
        left = right
    else:
        while right - left > 1:
            mid = (left + right) // 2
            if spent(breaks[mid]) <= budget:
                left = mid
            else:
                right = mid
    lam0 = breaks[left]
    free = [i for i, (v, f, c) in enumerate(zip(need, lo, hi, strict=True))
            if v > 0 and f <= lam0 * v and (c == np.inf or lam0 * v < c)]
    slope = sum((need[i] for i in free), Fraction(0))
    base = spent(lam0)
    lam = lam0 + (Fraction(budget) - base) / slope if slope > 0 else lam0
    return [_clip(lam * v, f, c) for v, f, c in zip(need, lo, hi, strict=True)]


def _round_to_total(exact: list[Fraction], budget: int, lo: np.ndarray, hi: np.ndarray) -> list[int]:
    """Whole rials: floors of the exact amounts, plus one rial to the largest remainders."""
    amounts = [int(x.numerator // x.denominator) for x in exact]
    remainder = budget - sum(amounts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - amounts[i]), i))
    for i in order:
        if remainder <= 0:
            break
        if hi[i] == np.inf or amounts[i] < hi[i]:
            amounts[i] += 1
            remainder -= 1
    if remainder != 0 or any(a < f for a, f in zip(amounts, lo, strict=True)):
        raise InvalidInput("The budget cannot be split within these floors and caps.", field="budget")
    return amounts


def allocate(session: Session, need_source: str, level: str, budget: int, *, name: str = "allocation",
             period: str | None = None, parent_code: str | None = None, by_population: bool = False,
             floor: float | None = None, cap: float | None = None, created_by: str = "system") -> dict[str, Any]:
    """Allocate ``budget`` rials over the units at ``level`` by the need in ``need_source``; store it.

    ``need_source`` is an indicator code or ``'index:<id or code>'`` (higher = more
    need); ``by_population`` multiplies need by population; ``floor`` and ``cap`` are
    per-unit amounts in rials. Returns the stored allocation with its shares.
    """
    found_period, values = source_values(session, need_source, level, period, parent_code)
    scope = units_in_scope(session, level, parent_code)
    frame = scope.loc[[c for c in scope.index if c in values]].copy()
    if frame.empty:
        raise InvalidInput(f"'{need_source}' has no values at level {level}.", field="need_source")
    frame["need"] = pd.Series(values)
    weight = frame["need"] * (frame["population"].fillna(0).astype(float) if by_population else 1.0)
    split = allocate_budget(weight.to_numpy(), budget, floor, cap)
    allocation_id = session.execute(
        text("""INSERT INTO allocation (name, need_source, level, period, budget, parameters, created_by)
                VALUES (:name, :source, :level, :period, :budget, CAST(:params AS jsonb), :by) RETURNING id"""),
        {"name": name, "source": need_source, "level": level, "period": found_period, "budget": int(budget),
         "params": json.dumps({"parent_code": parent_code, "by_population": by_population, "floor": floor,
                               "cap": cap}), "by": created_by},
    ).scalar_one()
    rows = list(zip(frame.index, frame["unit_id"], frame["need"], split.amounts, split.bound, strict=True))
    copy_rows(session, "allocation_share", ("allocation_id", "unit_id", "need", "amount", "bound"),
              ((allocation_id, int(u), float(n), int(a), b) for _, u, n, a, b in rows))
    return {
        "id": int(allocation_id), "name": name, "need_source": need_source, "level": level, "period": found_period,
        "budget": int(budget), "total": int(split.amounts.sum()),
        "at_floor": [c for c, *_, b in rows if b == "floor"],
        "at_cap": [c for c, *_, b in rows if b == "cap"],
        "shares": [{"code": c, "need": float(n), "amount": int(a), "bound": b}
                   for c, _, n, a, b in sorted(rows, key=lambda r: (-r[3], r[0]))],
    }


def stored_allocation(session: Session, allocation_id: int) -> dict[str, Any]:
    """A stored allocation with its shares, largest first."""
    head = session.execute(
        text("""SELECT id, name, need_source, level, period, budget, parameters, created_at, created_by
                FROM allocation WHERE id = :id"""),
        {"id": allocation_id},
    ).mappings().first()
    if head is None:
        raise NotFound(f"No allocation {allocation_id}.", field="allocation_id")
    shares = session.execute(
        text("""SELECT u.code, s.need, s.amount, s.bound FROM allocation_share s JOIN admin_unit u ON u.id = s.unit_id
                WHERE s.allocation_id = :id ORDER BY s.amount DESC, u.code"""),
        {"id": allocation_id},
    ).mappings()
    return {**head, "budget": int(head["budget"]), "shares": [{**r, "amount": int(r["amount"])} for r in shares]}
