"""Administrative units: province → county → district → neighbourhood / village."""

from __future__ import annotations

from datetime import date
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

#: Levels from the top of the hierarchy down. ``rural_district`` sits between
#: district and village where a province uses it.
LEVELS: tuple[str, ...] = ("province", "county", "district", "rural_district", "neighbourhood", "village")


class AdminUnit(Base):
    """One version of one administrative unit's boundary.

    ``code`` is stable across versions; a unit whose boundary changes gets a new row
    with a later ``valid_from`` and the old row's ``valid_to`` set. The current
    version of every unit has ``valid_to IS NULL``.
    """

    __tablename__ = "admin_unit"
    __table_args__ = (
        CheckConstraint(f"level in ({', '.join(repr(v) for v in LEVELS)})", name="level_known"),
        CheckConstraint("valid_to is null or valid_to > valid_from", name="valid_range"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        CheckConstraint("population is null or population >= 0", name="population_nonnegative"),
        Index("uq_admin_unit_code_version", "code", "valid_from", unique=True),
        Index("ix_admin_unit_current_code", "code", unique=True, postgresql_where=text("valid_to is null")),
        Index("ix_admin_unit_level", "level"),
        Index("ix_admin_unit_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    name_fa: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"))
    population: Mapped[int | None] = mapped_column(BigInteger)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False, server_default=text("'1900-01-01'"))
    valid_to: Mapped[date | None] = mapped_column(Date)
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    geom: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False
    )
