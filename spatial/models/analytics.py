"""Composite indices with their stored scores, and budget allocations with their shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, Numeric, Text, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

INDEX_DOMAINS: tuple[str, ...] = ("capacity", "deprivation")


class CompositeIndex(Base):
    """One version of a composite index: its definition and the hash that names it.

    The same ``code`` with a changed definition is a new row (new ``id``), so every
    stored score can be traced to the exact definition that produced it.
    """

    __tablename__ = "composite_index"
    __table_args__ = (
        CheckConstraint(f"domain in ({', '.join(repr(v) for v in INDEX_DOMAINS)})", name="domain_known"),
        Index("uq_composite_index_code_hash", "code", "definition_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    name_fa: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    domain: Mapped[str] = mapped_column(Text, nullable=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # sha256 of the canonical JSON of the definition.
    definition_hash: Mapped[str] = mapped_column(Text, nullable=False)
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'system'"))


class IndexScore(Base):
    """The score of one unit on one index version for one period, with its ranks and LISA cluster."""

    __tablename__ = "index_score"
    __table_args__ = (Index("ix_index_score_unit_id", "unit_id"),)

    index_id: Mapped[int] = mapped_column(ForeignKey("composite_index.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    # 1 = highest score (most deprived on a deprivation index, most capable on a capacity index).
    rank_overall: Mapped[int] = mapped_column(Integer, nullable=False)
    rank_in_parent: Mapped[int | None] = mapped_column(Integer)
    # LISA label: HH, LL, HL, LH or ns (not significant); NULL when not computed.
    cluster: Mapped[str | None] = mapped_column(Text)


class Allocation(Base):
    """A budget split over units by need; amounts in rials."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    need_source: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    period: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[int] = mapped_column(Numeric(24, 0), nullable=False)
    # Everything else that shaped the result: parent, floors, caps, population weighting.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'system'"))


class AllocationShare(Base):
    """One unit's share of an allocation, and whether it was held at its floor or cap."""

    __tablename__ = "allocation_share"
    __table_args__ = (CheckConstraint("bound is null or bound in ('floor', 'cap')", name="bound_known"),)

    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"), primary_key=True)
    need: Mapped[float] = mapped_column(Float, nullable=False)
    amount: Mapped[int] = mapped_column(Numeric(24, 0), nullable=False)
    bound: Mapped[str | None] = mapped_column(Text)


class AfMeasure(Base):
    """One Alkire-Foster deprivation measure version for one period: its definition and hash."""

    __tablename__ = "af_measure"
    __table_args__ = (Index("uq_af_measure_code_hash_period", "code", "definition_hash", "period", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    name_fa: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    definition_hash: Mapped[str] = mapped_column(Text, nullable=False)
    period: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'system'"))


class AfResult(Base):
    """H, A, M0, censored headcounts and contributions of one unit on one AF measure version.

    On an observation unit (the definition's level) H is 1 or 0 (deprived or not) and
    A its deprivation score when deprived; above it they are population-weighted over
    the observation units below.
    """

    __tablename__ = "af_result"
    __table_args__ = (Index("ix_af_result_unit_id", "unit_id"),)

    measure_id: Mapped[int] = mapped_column(ForeignKey("af_measure.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    population: Mapped[float] = mapped_column(Float, nullable=False)
    h: Mapped[float] = mapped_column(Float, nullable=False)
    a: Mapped[float] = mapped_column(Float, nullable=False)
    m0: Mapped[float] = mapped_column(Float, nullable=False)
    censored_headcounts: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    contributions: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)


class DerivationJob(Base):
    """A derivation run in the background (on a Dask cluster): its request, state and progress.

    The process running it writes ``done`` of ``total`` partitions as they are tallied and
    stops when ``cancel_requested`` is set; any process may show or cancel it.
    """

    __tablename__ = "derivation_job"
    __table_args__ = (CheckConstraint("state in ('queued', 'running', 'done', 'failed', 'cancelled')",
                                      name="state_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    request: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'queued'"))
    done: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    total: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
