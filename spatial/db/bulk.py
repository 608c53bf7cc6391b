"""Bulk reads and writes: PostgreSQL COPY, the one fast path for writing many rows, and
binary fetches for reading many large values (polygons, arrays)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.engine import driver_connection


def ewkb_hex(geometries: np.ndarray, srid: int = 4326) -> np.ndarray:
    """Hex EWKB strings for an array of shapely geometries, the text form COPY accepts."""
    return shapely.to_wkb(shapely.set_srid(geometries, srid), hex=True, include_srid=True)


#: Separators of COPY text lines, as Arrow scalars.
_TAB, _NEWLINE, _EMPTY = (pa.scalar(v, pa.large_string()) for v in ("\t", "\n", ""))
_EMPTY_BINARY = pa.scalar(b"", pa.large_binary())

#: EWKB geometry type codes of the Multi* types.
MULTI_TYPE_CODES = {"MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}
#: "00".."FF" as 2-byte codes: indexing this with bytes hex-encodes them in one numpy step.
_HEX_PAIRS = np.frombuffer("".join(f"{i:02X}" for i in range(256)).encode(), dtype=np.uint16)


def _binary_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and bytes of a large_binary array without nulls, zero-copy."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = array.buffers()[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8))


def plain_wkb_mask(wkb: pa.Array) -> np.ndarray:
    """Which entries are little-endian 2D WKB of a simple type (what :func:`multi_ewkb_hex` can wrap)."""
    wkb = _large_binary(wkb)
    offsets, data = _binary_buffers(wkb)
    starts = offsets[:-1]
    ok = (offsets[1:] - starts) >= 5
    head = np.where(ok, starts, 0)
    if len(data) == 0:
        return ok
    return ok & (data[head] == 1) & (data[head + 1] >= 1) & (data[head + 1] <= 7) & \
        (data[head + 2] == 0) & (data[head + 3] == 0) & (data[head + 4] == 0)


def _large_binary(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_binary())


def hex_text(wkb: pa.Array) -> pa.Array:
    """Upper-case hex of each binary value, as a large_string array (vectorised)."""
    wkb = _large_binary(wkb)
    offsets, data = _binary_buffers(wkb)
    hexed = _HEX_PAIRS[data[offsets[0] : offsets[-1]]]
    return pa.LargeStringArray.from_buffers(len(wkb), pa.py_buffer((offsets - offsets[0]) * 2), pa.py_buffer(hexed))


def multi_ewkb_hex(wkb: pa.Array | pa.ChunkedArray, multi_type: str, srid: int = 4326) -> pa.Array:
    """Hex EWKB as ``multi_type`` of plain WKB values (little-endian, 2D; see :func:`plain_wkb_mask`).

    Single-part values are wrapped as one-part Multi*, on the encoded bytes (a Multi* is
    a header, a count and its parts' own WKB), so millions of points become MultiPoints
    without building new geometry objects; Multi* values get the EWKB type and SRID.

    Every output value is a fixed prefix joined to the value's own bytes, with explicit
    offsets and no slicing, so the output's size is exactly the input's plus 13 bytes per
    single-part and 4 per Multi* value, for any row count.

    Examples
    --------
    >>> wkb = pa.array([shapely.to_wkb(shapely.Point(1, 2), byte_order=1)])
    >>> multi_ewkb_hex(wkb, "MultiPoint").to_pylist()[0][:26]
    '0104000020E610000001000000'
    """
    wkb = _large_binary(wkb)
    offsets, data = _binary_buffers(wkb)
    header = b"\x01" + (MULTI_TYPE_CODES[multi_type] | 0x20000000).to_bytes(4, "little") + srid.to_bytes(4, "little")
    starts = offsets[:-1]
    multi = data[starts + 1] >= 4 if len(data) else np.zeros(len(wkb), dtype=bool)
    one_part = pa.scalar(header + (1).to_bytes(4, "little"), pa.large_binary())
    if not multi.any():
        return hex_text(pc.binary_join_element_wise(one_part, wkb, _EMPTY_BINARY))
    # A plain Multi* starts with byte order + type (5 bytes); its EWKB starts with byte order + type + SRID
    # (9 bytes). Overwrite its first 5 bytes with the header's last 5 and prefix the header's first 4.
    body = data[offsets[0] : offsets[-1]].copy()
    at = (starts[multi] - offsets[0])[:, None] + np.arange(5)
    body[at] = np.frombuffer(header[4:], dtype=np.uint8)
    rewritten = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(wkb), [None, pa.py_buffer(offsets - offsets[0]), pa.py_buffer(body)]
    )
    prefix = pc.if_else(pa.array(multi), pa.scalar(header[:4], pa.large_binary()), one_part)
    return hex_text(pc.binary_join_element_wise(prefix, rewritten, _EMPTY_BINARY))


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
    raw = driver_connection(session)
    count = 0
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


#: COPY text-format escapes, backslash first so that later escapes are not doubled.
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ("\x00", ""))


def copy_text_column(column: pa.Array | pa.ChunkedArray, escape: bool = True) -> pa.ChunkedArray:
    """One Arrow column as COPY text-format fields: values cast to text, escaped, NULL as ``\\N``.

    Integers, floats, booleans, dates and timestamps cast to the text PostgreSQL parses
    for the matching type (``true``, ``2024-01-02``, ``2024-01-02 10:00:00Z``, ``inf``);
    NUL characters, which PostgreSQL text cannot hold, are dropped. Only text can hold
    the characters COPY escapes, so only text is scanned for them
    (``escape=False`` skips that for text known to be plain, such as hex EWKB).
    """
    is_text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    text = pc.cast(column, pa.large_string())
    if is_text and escape:
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
    verbatim: Sequence[str] = (),
) -> int:
    """COPY an Arrow table into ``schema.table(columns)``, column-wise and without a Python loop per row.

    Each chunk of ``chunk_rows`` rows is turned into COPY text by Arrow compute kernels
    (cast, escape, join) and written as one buffer. ``data``'s columns map to
    ``columns`` in order; a geometry column should already hold hex EWKB text
    (:func:`multi_ewkb_hex`) and be named in ``verbatim`` (text that needs no escaping).
    ``progress`` receives the number of rows written so far.

    Examples
    --------
    >>> copy_arrow(session, "roads_v1", ["fid", "geom", "name"], table, schema="layers")  # doctest: +SKIP
    1000000
    """
    target = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    raw = driver_connection(session)
    written = 0
    with raw.cursor() as cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        # The queued writer sends from its own thread while the next chunk is prepared.
        for start in range(0, data.num_rows, chunk_rows):
            chunk = data.slice(start, chunk_rows)
            fields = [copy_text_column(chunk.column(i), escape=name not in verbatim)
                      for i, name in enumerate(columns)]
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


def binary_fetch(session: Session, statement: str,
                 params: dict[str, Any] | None = None) -> Callable[[], list[tuple[Any, ...]]]:
    """A function fetching the rows of ``statement`` (``:name`` parameters) in binary.

    Large WKB values and arrays then travel as they are instead of as text (hex for
    bytea) that psycopg has to parse back. The function uses only the session's driver
    connection, so another thread may run it while this one does other work.
    """
    compiled = str(text(statement).compile(dialect=session.get_bind().dialect))
    raw = driver_connection(session)

    def fetch() -> list[tuple[Any, ...]]:
        with raw.cursor(binary=True) as cursor:
            return cursor.execute(compiled, params or {}).fetchall()

    return fetch
