"""The layer catalogue, written: remove a layer; and the first rows of a vector layer.

Reading the catalogue (a layer, the list, the descriptions) is :mod:`spatial.catalogue`'s.

Examples
--------
>>> sample_rows(session, get_layer(session, "health_centres"), limit=2)   # doctest: +SKIP
[{'fid': 1, 'name': '…', 'geometry': {'type': 'Point', …}}, …]
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import datafiles
from layers.ingest import SCHEMA, drop_table
from spatial.db.engine import driver_connection
from spatial.errors import NotFound
from spatial.models.catalogue import Layer


def remove_layer(session: Session, slug: str) -> Layer:
    """Remove the layer: its catalogue row and table now, its raster file once the transaction commits."""
    layer = session.execute(select(Layer).where(Layer.slug == slug).with_for_update()).scalar_one_or_none()
    if layer is None:
        raise NotFound(f"No layer named {slug!r}; nothing was removed.", reason="layer_not_found", slug=slug, field="slug")
    session.delete(layer)
    session.flush()
    if layer.table_name:
        drop_table(session, layer.table_name)
    if layer.raster_path:
        datafiles.delete_on_commit(session, datafiles.data_path(layer.raster_path))
    return layer


def sample_rows(session: Session, layer: Layer, limit: int = 5) -> list[dict[str, Any]]:
    """The first ``limit`` features' attributes (by safe column name) and geometry as GeoJSON."""
    if not layer.table_name:
        return []
    names = [c["name"] for c in layer.columns]
    query = sql.SQL("SELECT fid, ST_AsGeoJSON(geom, 9)::json AS geometry{} FROM {} ORDER BY fid LIMIT %s").format(
        sql.SQL("").join(sql.SQL(", {}").format(sql.Identifier(n)) for n in names),
        sql.Identifier(SCHEMA, layer.table_name),
    )
    raw = driver_connection(session)
    with raw.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query, (limit,)).fetchall()
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()} for row in rows]
