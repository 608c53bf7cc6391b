"""Bulk loading with PostgreSQL COPY: the one fast path for writing many rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely
from psycopg import sql
from sqlalchemy.orm import Session


def ewkb_hex(geometries: np.ndarray, srid: int = 4326) -> np.ndarray:
    """Hex EWKB strings for an array of shapely geometries, the text form COPY accepts."""
    return shapely.to_wkb(shapely.set_srid(geometries, srid), hex=True, include_srid=True)


def copy_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    schema: str | None = None,
) -> int:
    """COPY ``rows`` into ``schema.table(columns)`` inside the session's transaction.

    Identifiers are quoted by psycopg, never formatted into SQL by hand.
    Returns the number of rows written.
    """
    target = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    raw = session.connection().connection.driver_connection
    count = 0
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
