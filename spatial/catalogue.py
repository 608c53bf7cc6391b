"""The layer catalogue, read: the one reader for every room that needs a layer.

:mod:`layers` writes the catalogue (ingest, replace, remove); overlays
(:mod:`spatial.analytics.overlay`), partner collections and raster tiles
(:mod:`spatial.serving`), the maps and the API read it through these functions:
a layer by slug, the list, the layers reaching into an extent, the file of a raster
layer (never outside the data directory), and the JSON descriptions. Light on purpose
(SQLAlchemy and the schema only), so that ``pishraft layers list`` starts at once.

Examples
--------
>>> [layer.slug for layer in list_layers(session)]        # doctest: +SKIP
['health_centres', 'population_density']
>>> describe(get_layer(session, "health_centres"))["feature_count"]  # doctest: +SKIP
412
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Float, cast, not_, or_, select, text
from sqlalchemy.orm import Session

from spatial.errors import NotFound
from spatial.models.catalogue import Layer
from spatial.settings import get_settings

#: A layer table name as the catalogue's own check allows; any other never reaches SQL.
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def list_layers(session: Session, kind: str | None = None) -> list[Layer]:
    """All layers (or those of ``kind``), by slug."""
    query = select(Layer).order_by(Layer.slug)
    if kind:
        query = query.where(Layer.kind == kind)
    return list(session.execute(query).scalars())


def get_layer(session: Session, slug: str, field: str = "slug") -> Layer:
    """The layer named ``slug``, or :class:`NotFound` (on ``field``) pointing at the list."""
    layer = session.execute(select(Layer).where(Layer.slug == slug)).scalar_one_or_none()
    if layer is None:
        raise NotFound(f"No layer named {slug!r}; 'pishraft layers list' or GET /api/layers shows them.",
                       reason="layer_not_found", slug=slug, field=field)
    return layer


def vector_layers_within_reach(session: Session, bounds: tuple[float, float, float, float]) -> list[Layer]:
    """Vector layers whose extent reaches into ``bounds`` (minx, miny, maxx, maxy in degrees),
    or that have no recorded extent; by kind, then title."""
    minx, miny, maxx, maxy = bounds

    def corner(i: int) -> Any:
        return cast(Layer.bbox[i].astext, Float)

    query = (
        select(Layer)
        .where(Layer.storage == "vector", Layer.table_name.is_not(None))
        .where(or_(Layer.bbox.is_(None), not_(or_(corner(0) > maxx, corner(2) < minx,
                                                   corner(1) > maxy, corner(3) < miny))))
        .order_by(Layer.kind, Layer.title)
    )
    return [layer for layer in session.execute(query).scalars() if _SAFE_NAME.match(str(layer.table_name))]


def features_within(session: Session, layer: Layer, bounds: tuple[float, float, float, float],
                    tolerance: float, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``limit`` features of vector ``layer`` whose box meets ``bounds``, as GeoJSON
    features simplified by ``tolerance`` degrees, and whether the layer has more there.

    Properties are the table's columns without the geometry; features without a geometry
    are left out.
    """
    minx, miny, maxx, maxy = bounds
    if not _SAFE_NAME.match(str(layer.table_name)):
        raise NotFound(f"Layer '{layer.slug}' has no table of features.", reason="layer_has_no_table", field="layer")
    rows = session.execute(
        text(f"""SELECT ST_AsGeoJSON(ST_SimplifyPreserveTopology(t.geom, :tol), 5) AS geometry,
                        to_jsonb(t) - 'geom' AS properties
                 FROM layers."{layer.table_name}" t
                 WHERE t.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)
                 LIMIT :limit"""),
        {"tol": tolerance, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy, "limit": limit + 1},
    ).all()
    features = [{"type": "Feature", "geometry": json.loads(r.geometry), "properties": r.properties}
                for r in rows[:limit] if r.geometry]
    return features, len(rows) > limit


def raster_file(slug: str, raster_path: str | None, field: str = "layer") -> Path:
    """The COG of raster layer ``slug`` (``raster_path`` as the catalogue holds it), inside the
    data directory; :class:`NotFound` (on ``field``) when it is missing or would lie outside."""
    root = get_settings().data_dir.resolve()
    path = (root / str(raster_path)).resolve()
    # The catalogue is trusted, but a path must never leave the data directory.
    if not raster_path or root not in path.parents or not path.is_file():
        raise NotFound(f"The raster file of layer '{slug}' is missing; re-upload the layer.", reason="raster_missing", field=field)
    return path


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
