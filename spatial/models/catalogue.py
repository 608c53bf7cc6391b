"""The layer catalogue: one row per resource layer added by an analyst."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

KINDS: tuple[str, ...] = ("capacity", "deprivation", "context")


class Layer(Base):
    """A vector layer (a table in schema ``layers``) or a raster layer (a COG file)."""

    __tablename__ = "layer"
    __table_args__ = (
        CheckConstraint(f"kind in ({', '.join(repr(v) for v in KINDS)})", name="kind_known"),
        CheckConstraint("storage in ('vector', 'raster')", name="storage_known"),
        CheckConstraint("slug ~ '^[a-z][a-z0-9_]{0,62}$'", name="slug_safe"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'context'"))
    storage: Mapped[str] = mapped_column(Text, nullable=False)
    # Vector: table in schema 'layers'; raster: COG path relative to the data directory.
    table_name: Mapped[str | None] = mapped_column(Text)
    raster_path: Mapped[str | None] = mapped_column(Text)
    geometry_type: Mapped[str | None] = mapped_column(Text)
    source_crs: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(Text)
    feature_count: Mapped[int | None] = mapped_column(BigInteger)
    # [minx, miny, maxx, maxy] in EPSG:4326
    bbox: Mapped[list[float] | None] = mapped_column(JSONB)
    # [{"name": safe column, "label": original name, "type": "integer|float|text|date|boolean|datetime"}]
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    # Raster: bands, nodata, crs, bounds, statistics. Vector: load report (repaired, dropped…).
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    # Metadata of replaced versions, newest last.
    previous_versions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'system'"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
