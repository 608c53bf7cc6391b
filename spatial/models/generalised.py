"""Boundaries of administrative units simplified for low-zoom vector tiles.

One row per (unit, band): the unit's boundary in Web Mercator (EPSG:3857), simplified to
half a tile pixel at the highest zoom of the band. Triggers on ``admin_unit`` (migration
``0005_partner``) keep it current; ``spatial.tiles`` reads it for zooms up to the last
band and the exact boundary above that.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import ForeignKey, Index, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

#: (band, highest zoom it serves, tolerance in metres). The migration uses the same values.
GENERALISED_BANDS: tuple[tuple[int, int, float], ...] = ((0, 4, 306.0), (1, 7, 38.0), (2, 10, 4.8))


class AdminUnitGeneralised(Base):
    """A unit's boundary, in EPSG:3857, simplified for one band of zoom levels."""

    __tablename__ = "admin_unit_generalised"
    __table_args__ = tuple(
        Index(f"ix_admin_unit_generalised_geom_b{band}", "geom", postgresql_using="gist",
              postgresql_where=text(f"band = {band}"))
        for band, _, _ in GENERALISED_BANDS
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=3857, spatial_index=False), nullable=False)
