"""Indicator definitions and their values per (unit, period)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

DOMAINS: tuple[str, ...] = ("capacity", "deprivation", "target_community", "context")
DIRECTIONS: tuple[str, ...] = ("higher_is_better", "higher_is_worse")


class Indicator(Base):
    """What is measured: name, unit of measure, domain and direction."""

    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint(f"domain in ({', '.join(repr(v) for v in DOMAINS)})", name="domain_known"),
        CheckConstraint(f"direction in ({', '.join(repr(v) for v in DIRECTIONS)})", name="direction_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    name_fa: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    unit_of_measure: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    domain: Mapped[str] = mapped_column(Text, nullable=False)
    direction: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    # How values roll up the hierarchy: 'sum' (counts) or 'weighted_mean' (rates, by population).
    rollup: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'weighted_mean'"))
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    meta: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))


class IndicatorValue(Base):
    """The value of one indicator for one unit in one period (an ISO year such as '2024')."""

    __tablename__ = "indicator_value"
    __table_args__ = (Index("ix_indicator_value_unit_id", "unit_id"),)

    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
