"""Which derived products are stale, per level: the marks of migration ``0026_refresh_queue``.

Triggers mark a product of a level stale in the transaction that changes what it is derived
from (boundaries, codes, parents, population, indicator values); whoever rebuilds it reads
the marks first (:func:`stale_marks`) and clears those it read once it is done
(:func:`clear_marks`). Every change renews its mark's number, so a change committed while a
rebuild ran is not cleared by it: the product stays marked and is rebuilt again.

Examples
--------
>>> marks = stale_marks(session, "tiles")          # doctest: +SKIP
>>> ...; clear_marks(session, "tiles", marks)     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

Product = Literal["tiles", "coverage"]
#: What is derived from the boundaries and values and kept fresh: the coalesced tile features
#: (``spatial.serving.coalesce``) and the stored map coverage (``spatial.units.coverage``).
PRODUCTS: tuple[Product, ...] = ("coverage", "tiles")


def stale_marks(session: Session, product: Product, levels: Sequence[str] | None = None) -> dict[str, int]:
    """{level: mark} of the levels whose ``product`` is stale (of ``levels`` only, if given)."""
    rows = session.execute(text(
        "SELECT level, mark FROM refresh_queue WHERE product = :product "
        "AND (CAST(:levels AS text[]) IS NULL OR level = ANY (CAST(:levels AS text[]))) ORDER BY level"),
        {"product": product, "levels": None if levels is None else list(levels)})
    return {level: int(mark) for level, mark in rows}


def clear_marks(session: Session, product: Product, marks: dict[str, int]) -> None:
    """Clear the marks read by :func:`stale_marks`, unless a change has renewed them since."""
    if not marks:
        return
    session.execute(text(
        "DELETE FROM refresh_queue q USING unnest(CAST(:levels AS text[]), CAST(:marks AS bigint[])) AS s(level, mark) "
        "WHERE q.product = :product AND q.level = s.level AND q.mark = s.mark"),
        {"product": product, "levels": list(marks), "marks": list(marks.values())})
