"""Attribute columns: safe SQL names for any source name, and Arrow types to PostgreSQL types.

Examples
--------
>>> safe_names(["نام", "Beds", "beds", "2020 pop", "geom"])
['field_1', 'beds', 'beds_2', 'f_2020_pop', 'geom_1']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pyarrow as pa

#: Names of the columns every layer table has.
RESERVED = frozenset({"fid", "geom"})
MAX_NAME = 55


@dataclass(frozen=True)
class Column:
    """An attribute column: safe ``name``, original ``label``, catalogue ``type``, SQL type, data."""

    name: str
    label: str
    type: str
    sql_type: str
    data: pa.ChunkedArray

    def catalogue_entry(self) -> dict[str, str]:
        """The ``{"name", "label", "type"}`` entry kept in ``Layer.columns``."""
        return {"name": self.name, "label": self.label, "type": self.type}


def safe_names(labels: list[str]) -> list[str]:
    """Lower-case ASCII identifiers (``[a-z_][a-z0-9_]*``), unique, never ``fid`` or ``geom``.

    Non-Latin names (Persian, Arabic) have no ASCII form and become ``field_<n>``
    (their position); the original is kept as the column's label.
    """
    names: list[str] = []
    taken: set[str] = set(RESERVED)
    for position, label in enumerate(labels, start=1):
        ascii_name = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:MAX_NAME]
        if not base:
            base = f"field_{position}"
        elif base[0].isdigit():
            base = f"f_{base}"
        name, suffix = base, (1 if base in RESERVED else 2)
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        names.append(name)
    return names


def _kind(arrow_type: pa.DataType) -> tuple[str, str] | None:
    """Catalogue type and SQL type for an Arrow type, or ``None`` when it has no column form."""
    if pa.types.is_boolean(arrow_type):
        return "boolean", "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer", "bigint"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float", "double precision"
    if pa.types.is_date(arrow_type):
        return "date", "date"
    if pa.types.is_timestamp(arrow_type):
        return "datetime", "timestamptz" if arrow_type.tz else "timestamp"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_time(arrow_type):
        return "text", "text"
    return None


def plan_columns(table: pa.Table) -> tuple[list[Column], list[str]]:
    """The columns to create for ``table``'s fields, and the labels of fields dropped.

    Integers, floats, text, dates, timestamps and booleans keep their type. Fields of
    other types (lists, binary blobs) cannot be stored as one column and are dropped
    and reported.
    """
    # By position: a file may repeat a field name (CSV headers often do).
    kinds = [(i, f, _kind(f.type)) for i, f in enumerate(table.schema)]
    dropped = [f.name for _, f, kind in kinds if kind is None]
    usable = [(i, f, kind) for i, f, kind in kinds if kind is not None]
    names = safe_names([f.name for _, f, _ in usable])
    columns = [
        Column(name=name, label=f.name, type=kind[0], sql_type=kind[1], data=table.column(i))
        for name, (i, f, kind) in zip(names, usable, strict=True)
    ]
    return columns, dropped
