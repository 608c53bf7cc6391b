"""The layer catalogue: list, show and remove layers; their JSON descriptions.

Examples
--------
>>> [layer.slug for layer in list_layers(session)]        # doctest: +SKIP
['health_centres', 'population_density']
>>> describe(get_layer(session, "health_centres"))["feature_count"]  # doctest: +SKIP
412
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


def list_layers(session: Session, kind: str | None = None) -> list[Layer]:
    """All layers (or those of ``kind``), by slug."""
    query = select(Layer).order_by(Layer.slug)
    if kind:
        query = query.where(Layer.kind == kind)
    return list(session.execute(query).scalars())


def get_layer(session: Session, slug: str) -> Layer:
    """The layer named ``slug``, or :class:`NotFound` pointing at the list."""
    layer = session.execute(select(Layer).where(Layer.slug == slug)).scalar_one_or_none()
    if layer is None:
        raise NotFound(f"No layer named {slug!r}; 'pishraft layers list' or GET /api/layers shows them.",
                       field="slug")
    return layer


def remove_layer(session: Session, slug: str) -> Layer:
    """Remove the layer: its catalogue row and table now, its raster file once the transaction commits."""
    layer = session.execute(select(Layer).where(Layer.slug == slug).with_for_update()).scalar_one_or_none()
    if layer is None:
        raise NotFound(f"No layer named {slug!r}; nothing was removed.", field="slug")
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


def summary(layer: Layer) -> dict[str, Any]:
    """The short description used in lists."""
    return {
        "slug": layer.slug,
        "title": layer.title,
        "kind": layer.kind,
        "storage": layer.storage,
        "geometry_type": layer.geometry_type,
        "feature_count": layer.feature_count,
        "bbox": layer.bbox,
        "version": layer.version,
        "created_at": layer.created_at.isoformat() if layer.created_at else None,
        "created_by": layer.created_by,
    }


def describe(layer: Layer) -> dict[str, Any]:
    """Everything the catalogue knows about the layer, including previous versions."""
    return summary(layer) | {
        "table_name": layer.table_name,
        "raster_path": layer.raster_path,
        "source_crs": layer.source_crs,
        "source_file": layer.source_file,
        "columns": layer.columns,
        "details": layer.details,
        "updated_at": layer.updated_at.isoformat() if layer.updated_at else None,
        "previous_versions": layer.previous_versions,
    }
