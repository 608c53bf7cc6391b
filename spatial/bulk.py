"""Bulk loading with PostgreSQL COPY: the one fast path for writing many rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from psycopg import sql
from sqlalchemy.orm import Session


def ewkb_hex(geometries: np.ndarray, srid: int = 4326) -> np.ndarray:
    """Hex EWKB strings for an array of shapely geometries, the text form COPY accepts."""
    return shapely.to_wkb(shapely.set_srid(geometries, srid), hex=True, include_srid=True)


#: Separators of COPY text lines, as Arrow scalars.
_TAB, _NEWLINE, _EMPTY = (pa.scalar(v, pa.large_string()) for v in ("\t", "\n", ""))

#: EWKB geometry type codes of the Multi* types.
MULTI_TYPE_CODES = {"MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def multi_ewkb_hex(geometries: np.ndarray, multi_type: str, srid: int = 4326) -> pa.Array:
    """Hex EWKB of ``geometries`` as ``multi_type``, single-part ones wrapped as one-part Multi*.

    Wrapping is done on the encoded bytes (a Multi* is a header, a count and the parts'
    own WKB), so millions of points become MultiPoints without building new objects.

    Examples
    --------
    >>> multi_ewkb_hex(np.array([shapely.Point(1, 2)]), "MultiPoint").to_pylist()[0][:26]
    '0104000020E610000001000000'
    """
    header = "01" + (MULTI_TYPE_CODES[multi_type] | 0x20000000).to_bytes(4, "little").hex().upper() + \
        srid.to_bytes(4, "little").hex().upper()
    plain = pa.array(shapely.to_wkb(geometries, hex=True, byte_order=1, include_srid=False), pa.large_string())
    single = pa.array(shapely.get_type_id(geometries) < 4)
    wrapped = pc.binary_join_element_wise(pa.scalar(header + "01000000", pa.large_string()), plain, _EMPTY)
    # A plain Multi* WKB is "01" + 4-byte type + rest: swap in the EWKB type and SRID.
    retyped = pc.binary_join_element_wise(pa.scalar(header, pa.large_string()),
                                          pc.utf8_slice_codeunits(plain, 10), _EMPTY)
    return pc.if_else(single, wrapped, retyped)


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


#: COPY text-format escapes, backslash first so that later escapes are not doubled.
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def copy_text_column(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """One Arrow column as COPY text-format fields: values cast to text, escaped, NULL as ``\\N``.

    Integers, floats, booleans, dates and timestamps cast to the text PostgreSQL parses
    for the matching type (``true``, ``2024-01-02``, ``2024-01-02 10:00:00Z``, ``inf``).
    """
    text = pc.cast(column, pa.large_string())
    for raw, escaped in _COPY_ESCAPES:
        text = pc.replace_substring(text, raw, escaped)
    return pc.fill_null(text, "\\N")


def copy_arrow(
    session: Session,
    table: str,
    columns: Sequence[str],
    data: pa.Table,
    schema: str | None = None,
    chunk_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """COPY an Arrow table into ``schema.table(columns)``, column-wise and without a Python loop per row.

    Each chunk of ``chunk_rows`` rows is turned into COPY text by Arrow compute kernels
    (cast, escape, join) and written as one buffer. ``data``'s columns map to
    ``columns`` in order; a geometry column should already hold hex EWKB text
    (:func:`ewkb_hex`). ``progress`` receives the number of rows written so far.

    Examples
    --------
    >>> copy_arrow(session, "roads_v1", ["fid", "geom", "name"], table, schema="layers")  # doctest: +SKIP
    1000000
    """
    target = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    raw = session.connection().connection.driver_connection
    written = 0
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, data.num_rows, chunk_rows):
            chunk = data.slice(start, chunk_rows)
            fields = [copy_text_column(chunk.column(i)) for i in range(chunk.num_columns)]
            # Each line ends with "\n": join the fields with tabs, then append an empty field after "\n".
            lines = pc.binary_join_element_wise(*fields, _TAB)
            lines = pc.binary_join_element_wise(lines, _EMPTY, _NEWLINE)
            for array in lines.chunks:
                copy.write(_string_bytes(array))
            written += chunk.num_rows
            if progress:
                progress(written)
    return written


def _string_bytes(array: pa.LargeStringArray) -> memoryview:
    """The concatenated UTF-8 of a (large) string array without nulls, zero-copy."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    values = array.buffers()[2]
    if values is None:
        return memoryview(b"")
    return memoryview(values)[int(offsets[0]) : int(offsets[-1])]
