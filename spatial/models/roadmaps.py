"""Roadmaps and everything that hangs off them: actions, financing, key results,
measurements (the progress watch), progress cores, past plans, organisations, people,
handovers, and the history of every edit.

Rules that need other tables (an action's geometry lies within its roadmap's unit, a
sponsor is an economic sponsor…) are checked in :mod:`spatial.planning.roadmaps` before writing;
rules on one row are CHECK constraints here as a last line of defence.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, Text, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from spatial.models.base import Base

ROADMAP_STATUSES: tuple[str, ...] = ("draft", "approved", "archived")
ACTION_STATUSES: tuple[str, ...] = ("planned", "in_progress", "done", "stalled", "cancelled")
FINANCING_SOURCES: tuple[str, ...] = ("investment_fund", "bank_loan", "sponsor", "government_budget", "people")
#: Every source a financing line may name: the funds, and a past plan whose estimated cost an
#: action taken from it carries (:func:`spatial.planning.sources.action_values`).
FINANCING_LINE_SOURCES: tuple[str, ...] = (*FINANCING_SOURCES, "past_plan")
#: What a money movement of a financing line is: promised (committed) or paid out (disbursed).
MONEY_KINDS: tuple[str, ...] = ("committed", "disbursed")
#: A progress core's journey, in order (:mod:`spatial.planning.journey` says which moves are allowed),
#: then the two side stages a core may be moved to with a reason.
CORE_STAGES: tuple[str, ...] = (
    "proposed", "identified", "assessed", "selected", "in_training", "trained", "drafting", "submitted", "adopted",
    "not_selected", "paused",
)
CORE_KINDS: tuple[str, ...] = (
    "jihadi_group", "student_organisation", "community_institution", "cooperative", "other",
)
#: ``not_adopted``: a competition entry the organiser did not adopt (:mod:`spatial.planning.contests`).
OUTCOMES: tuple[str, ...] = ("succeeded", "partial", "failed", "not_adopted")
ORGANISATION_KINDS: tuple[str, ...] = (
    "government", "economic_sponsor", "fund", "bank", "cooperative", "charity", "ngo", "other",
)
HISTORY_ENTITIES: tuple[str, ...] = (
    "roadmap", "action", "measurement", "core", "past_plan", "organisation", "person", "disbursement",
)
#: ``archive`` and ``restore`` (roadmaps, actions, financing lines, key results, measurements; people and
#: organisations retired and reinstated) and ``withdraw`` (a measurement) carry a reason.
OPERATIONS: tuple[str, ...] = ("create", "update", "delete", "archive", "restore", "withdraw")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Tracked:
    """Who created and last changed a row, and when; and whether it is synthetic demo data."""

    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    #: 1 when made, one more at every change (kept by the ORM, which also refuses an UPDATE
    #: of a row changed since it was read): what an edit was opened with (ETag, If-Match).
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class Archivable:
    """Archived (taken out of lists and progress, kept and restorable) when ``archived_at`` is set:
    by whom and why. A withdrawn measurement is an archived one."""

    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_by: Mapped[str | None] = mapped_column(Text)
    archive_reason: Mapped[str | None] = mapped_column(Text)


class Retirable:
    """Retired (no longer offered for new responsibilities, kept for the record) when ``retired_at`` is set."""

    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_by: Mapped[str | None] = mapped_column(Text)


class Organisation(Tracked, Retirable, Base):
    """A government body, economic sponsor (معین اقتصادی), fund, bank, cooperative or charity."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint(_one_of("kind", ORGANISATION_KINDS), name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"))
    contact: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))


class Person(Tracked, Retirable, Base):
    """A person with a role, e.g. the one responsible for development in an area.

    ``phone`` and ``email`` are personal: shown only to signed-in editors who work in the
    person's area (:func:`spatial.planning.people.may_see_contact`)."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"))
    phone: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    email: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))


class CoreMember(Base):
    """A person who is a member of a progress core (members by name, beside the core's count)."""

    __tablename__ = "core_member"
    __table_args__ = (Index("ix_core_member_person_id", "person_id"),)

    core_id: Mapped[int] = mapped_column(ForeignKey("progress_core.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), primary_key=True)
    #: The member's account, if they sign in: they act on their own core's drafts only.
    username: Mapped[str | None] = mapped_column(Text)


class ProgressCore(Tracked, Base):
    """A progress core (هسته پیشرفت): a local group that may edit plans inside its area."""

    __tablename__ = "progress_core"
    __table_args__ = (
        CheckConstraint(_one_of("stage", CORE_STAGES), name="stage_known"),
        CheckConstraint(_one_of("kind", CORE_KINDS), name="kind_known"),
        CheckConstraint("members_count >= 0", name="members_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False)
    members_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    stage: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'proposed'"))
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'other'"))
    #: How to reach the core (a phone, an address, a channel), as the organiser wrote it.
    contacts: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    # {criterion: score 0..100}
    assessment: Mapped[dict[str, float]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    # [{title, held_on (ISO), hours, participants}]
    training: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))


class Roadmap(Tracked, Archivable, Base):
    """A development and investment roadmap (نقشه راه) of one unit."""

    __tablename__ = "roadmap"
    __table_args__ = (
        CheckConstraint(_one_of("status", ROADMAP_STATUSES), name="status_known"),
        CheckConstraint("end_date >= start_date", name="period_ordered"),
        Index("ix_roadmap_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'draft'"))
    responsible_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    responsible_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"))
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    # The roadmap of a higher unit that this one serves (county → province, neighbourhood → county).
    parent_roadmap_id: Mapped[int | None] = mapped_column(ForeignKey("roadmap.id", ondelete="SET NULL"))
    core_id: Mapped[int | None] = mapped_column(ForeignKey("progress_core.id", ondelete="SET NULL"))
    # {"taken_at": ISO timestamp, "values": [{indicator, name_fa, name_en, unit_of_measure, period, value}]}
    current_state: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    # [{"indicator": code or null, "text": ...}]
    capacities: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    advantages: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    strategies: Mapped[list[str]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    # The past plans and roadmaps it was consolidated from, as they were named then:
    # [{"kind": "roadmap" | "past_plan", "id", "title", "unit"}] (see spatial.planning.sources).
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))

    # The live actions: archived ones stay in the table (and the history) but not in the roadmap.
    actions: Mapped[list[Action]] = relationship(
        primaryjoin="and_(Action.roadmap_id == Roadmap.id, Action.archived_at.is_(None))",
        back_populates="roadmap", order_by="Action.id", cascade="all, delete-orphan", passive_deletes=True)


class Action(Tracked, Archivable, Base):
    """A concrete action (project) of a roadmap, optionally placed on the map."""

    __tablename__ = "action"
    __table_args__ = (
        CheckConstraint(_one_of("status", ACTION_STATUSES), name="status_known"),
        CheckConstraint("end_date is null or start_date is null or end_date >= start_date", name="dates_ordered"),
        CheckConstraint("target_size is null or target_size >= 0", name="target_size_nonnegative"),
        CheckConstraint("jobs_expected is null or jobs_expected >= 0", name="jobs_nonnegative"),
        CheckConstraint("geom is null or ST_IsValid(geom)", name="geom_valid"),
        Index("ix_action_roadmap_id", "roadmap_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmap.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    sector: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    geom: Mapped[Any | None] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True), nullable=True)
    target_group: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    target_size: Mapped[int | None] = mapped_column(Integer)
    jobs_expected: Mapped[int | None] = mapped_column(Integer)
    responsible_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'planned'"))
    # Where it was taken from (a similar place's action or past plan, or a consolidated one), as named
    # then: {"kind": "action" | "past_plan", "id", "title", "unit", "roadmap_id"} (spatial.planning.sources).
    source: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    roadmap: Mapped[Roadmap] = relationship(back_populates="actions")
    # The live lines and key results: replacing them leaves the archived ones alone.
    financing: Mapped[list[Financing]] = relationship(
        primaryjoin="and_(Financing.action_id == Action.id, Financing.archived_at.is_(None))",
        order_by="Financing.id", cascade="all, delete-orphan", passive_deletes=True)
    key_results: Mapped[list[KeyResult]] = relationship(
        primaryjoin="and_(KeyResult.action_id == Action.id, KeyResult.archived_at.is_(None))",
        order_by="KeyResult.id", cascade="all, delete-orphan", passive_deletes=True)


class Financing(Archivable, Base):
    """One financing line of an action: a source and an amount in rials."""

    __tablename__ = "financing"
    __table_args__ = (
        CheckConstraint(_one_of("source", FINANCING_LINE_SOURCES), name="source_known"),
        CheckConstraint("amount_rials >= 0", name="amount_nonnegative"),
        Index("ix_financing_action_id", "action_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    amount_rials: Mapped[int] = mapped_column(BigInteger, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))


class Disbursement(Base):
    """Money of a financing line committed or disbursed on a day, in rials (the monitoring
    centre sums them by sponsor, source and area)."""

    __tablename__ = "disbursement"
    __table_args__ = (
        CheckConstraint(_one_of("kind", MONEY_KINDS), name="kind_known"),
        CheckConstraint("amount_rials > 0", name="amount_positive"),
        Index("ix_disbursement_financing_id", "financing_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    financing_id: Mapped[int] = mapped_column(ForeignKey("financing.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    on: Mapped[date] = mapped_column(Date, nullable=False)
    amount_rials: Mapped[int] = mapped_column(BigInteger, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)


class KeyResult(Archivable, Base):
    """What an action should move: an indicator from ``baseline`` to ``target`` by ``target_date``."""

    __tablename__ = "key_result"
    __table_args__ = (Index("ix_key_result_action_id", "action_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), nullable=False)
    indicator: Mapped[str] = mapped_column(Text, nullable=False)
    unit_of_measure: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    baseline: Mapped[float] = mapped_column(Float, nullable=False)
    target: Mapped[float] = mapped_column(Float, nullable=False)
    target_date: Mapped[date] = mapped_column(Date, nullable=False)


class Measurement(Tracked, Archivable, Base):
    """A measured value of a key result on a date (the progress watch, دیده‌بان پیشرفت)."""

    __tablename__ = "measurement"
    __table_args__ = (Index("ix_measurement_key_result_id_measured_on", "key_result_id", "measured_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_result.id", ondelete="CASCADE"), nullable=False)
    measured_on: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    reported_by: Mapped[str] = mapped_column(Text, nullable=False)


class PastPlan(Tracked, Base):
    """A past empowerment project, kept so that its lessons are not lost."""

    __tablename__ = "past_plan"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint("end_year is null or start_year is null or end_year >= start_year", name="years_ordered"),
        CheckConstraint("cost_rials >= 0", name="cost_nonnegative"),
        Index("ix_past_plan_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False)
    start_year: Mapped[int | None] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)
    sector: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    strengths: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    weaknesses: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    spread: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    lessons: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    # Its estimated cost or budget, where recorded; carried into roadmaps made from it as a
    # financing line of source ``past_plan``.
    cost_rials: Mapped[int | None] = mapped_column(BigInteger)


class Handover(Base):
    """Responsibility passed from one person to another: for one roadmap, or for all they held."""

    __tablename__ = "handover"
    __table_args__ = (CheckConstraint("from_person_id <> to_person_id", name="different_people"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), nullable=False)
    to_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), nullable=False)
    roadmap_id: Mapped[int | None] = mapped_column(ForeignKey("roadmap.id", ondelete="SET NULL"))
    handed_over_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    # What moved: {"roadmaps": [ids], "actions": [ids]}
    transferred: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)


class HistoryEvent(Base):
    """One create, update or delete, with the full object before and after (JSON documents).

    ``roadmap_id`` is a plain integer, not a foreign key, so that a deleted roadmap's
    history stays.
    """

    __tablename__ = "history"
    __table_args__ = (
        CheckConstraint(_one_of("entity", HISTORY_ENTITIES), name="entity_known"),
        CheckConstraint(_one_of("operation", OPERATIONS), name="operation_known"),
        Index("ix_history_entity_entity_id_at", "entity", "entity_id", "at"),
        Index("ix_history_roadmap_id_at", "roadmap_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entity: Mapped[str] = mapped_column(Text, nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    roadmap_id: Mapped[int | None] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(Text, nullable=False)
    author: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: Why (archive, restore, withdraw, a corrected measurement), as the editor wrote it.
    reason: Mapped[str | None] = mapped_column(Text)
