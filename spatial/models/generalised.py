"""Boundaries of administrative units prepared for low-zoom vector tiles.

One row per (unit, zoom) for zooms 0 to :data:`GENERALISED_MAX_ZOOM`: the unit's
boundary in Web Mercator, simplified to half a tile pixel of that zoom and then put in
*world tile-extent units* of that zoom (``ST_AsMVTGeom`` on the whole world with an
extent of ``4096 << zoom``: integer coordinates, y downwards, SRID 0). A tile (z, x, y)
then only has to translate each feature by ``(-x * 4096, -y * 4096)`` and clip the few
that cross the tile's buffered edge: at zoom 7 a tile holds thousands of neighbourhoods
of a few vertices each, and a per-feature ``ST_AsMVTGeom`` (transform, snap, validate)
would cost most of its rendering time.

Units whose simplified boundary covers less than one screen pixel at a zoom (a
256-pixel tile) have no row for that zoom: they could not be seen there.

Triggers on ``admin_unit`` (migration ``0008_tile_geometry``) keep the table current;
``spatial.serving.tiles`` reads it up to :data:`GENERALISED_MAX_ZOOM` and the exact boundary
above that.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import ForeignKey, Index, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

#: Highest zoom served from prepared boundaries. At zoom 10 the world is 4096 << 10 =
#: 4,194,304 extent units wide, well within the integers ST_AsMVTGeom works in. The
#: migration uses the same value.
GENERALISED_MAX_ZOOM = 10


class AdminUnitTileGeom(Base):
    """A unit's boundary in world tile-extent units of one zoom, simplified for it."""

    __tablename__ = "admin_unit_tile_geom"
    __table_args__ = tuple(
        Index(f"ix_admin_unit_tile_geom_geom_z{zoom}", "geom", postgresql_using="gist",
              postgresql_where=text(f"zoom = {zoom}"))
        for zoom in range(GENERALISED_MAX_ZOOM + 1)
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"), primary_key=True)
    zoom: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=0, spatial_index=False), nullable=False)
