"""Administrative tile features prepared for zooms 0 to :data:`GENERALISED_MAX_ZOOM`.

One row per feature of a tile (level, zoom, x, y): a unit drawn alone or small units of
one parent merged, simplified as a coverage and quantised for that tile, with the codes
of the units it holds and their values rolled up. :mod:`spatial.serving.coalesce` fills
the table (migration ``0023_coalesced_tiles``, the demo load, ``pishraft tiles
refresh``); ``spatial.serving.tiles`` reads it up to :data:`GENERALISED_MAX_ZOOM` and the
exact boundaries above that.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Integer, SmallInteger, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

#: Highest zoom served from prepared features: beyond it a tile holds few enough units
#: to draw each from its exact boundary.
GENERALISED_MAX_ZOOM = 10


class AdminUnitCoalescedTile(Base):
    """A feature of one administrative tile up to :data:`GENERALISED_MAX_ZOOM`: a unit
    drawn alone (``unit_id``, ``units = 1``) or small units of one parent merged
    (``units`` of them, ``codes``, values rolled up in ``rollup``), already quantised
    for its tile (see :mod:`spatial.serving.coalesce`)."""

    __tablename__ = "admin_unit_coalesced_tile"

    level: Mapped[str] = mapped_column(Text, primary_key=True)
    zoom: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer, nullable=False)
    parent: Mapped[str | None] = mapped_column(Text)
    codes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    rollup: Mapped[dict[str, float] | None] = mapped_column(JSONB)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=0, spatial_index=False), nullable=False)
