"""A progress core's journey (:mod:`spatial.planning.journey`): its stage moves, the
assessment rounds and their assessors' score forms, training courses with sessions and
attendance, and the review of the progress maps cores draft themselves.

Each assessment round keeps its own criteria and weights, so that the criteria of a later
round can change without rewriting the scores of an earlier one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

ASSESSMENT_METHODS: tuple[str, ...] = ("weighted_sum", "topsis")
DRAFT_STATES: tuple[str, ...] = ("drafting", "submitted", "changes_requested", "adopted")
#: The steps of a draft's review, in the order they usually come.
REVIEW_STEPS: tuple[str, ...] = ("started", "submitted", "changes_requested", "adopted")
#: The parts of a drafted map a reviewer comments on (``action``: one action, named by id).
REVIEW_SECTIONS: tuple[str, ...] = ("general", "current_state", "capacities", "strategies", "action")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class CoreStageEvent(Base):
    """One move of a core from a stage to another: who moved it, when and why."""

    __tablename__ = "core_stage_event"
    __table_args__ = (Index("ix_core_stage_event_core_id_at", "core_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    core_id: Mapped[int] = mapped_column(ForeignKey("progress_core.id", ondelete="CASCADE"), nullable=False)
    from_stage: Mapped[str | None] = mapped_column(Text)
    to_stage: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    by: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))


class AssessmentRound(Base):
    """An assessment round in an area: its criteria with weights, its assessors and its method."""

    __tablename__ = "assessment_round"
    __table_args__ = (CheckConstraint(_one_of("method", ASSESSMENT_METHODS), name="method_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    method: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'weighted_sum'"))
    # [{"code": ..., "name": ..., "weight": > 0}], as set when the round was opened
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    # usernames of the accounts that score in this round
    assessors: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)


class AssessmentScore(Base):
    """One assessor's score form for one core in a round: a score 0..100 per criterion."""

    __tablename__ = "assessment_score"
    __table_args__ = (UniqueConstraint("round_id", "core_id", "assessor", name="one_form_per_assessor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id", ondelete="CASCADE"), nullable=False)
    core_id: Mapped[int] = mapped_column(ForeignKey("progress_core.id", ondelete="CASCADE"), nullable=False)
    assessor: Mapped[str] = mapped_column(Text, nullable=False)
    scores: Mapped[dict[str, float]] = mapped_column(JSONB, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Course(Base):
    """A training course; a core enrolled in it is trained once each member attended
    ``required_sessions`` of its sessions."""

    __tablename__ = "course"
    __table_args__ = (CheckConstraint("required_sessions >= 1", name="requires_a_session"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    required_sessions: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)


class CourseCore(Base):
    """A core enrolled in a course."""

    __tablename__ = "course_core"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    core_id: Mapped[int] = mapped_column(ForeignKey("progress_core.id", ondelete="CASCADE"), primary_key=True)


class CourseSession(Base):
    """One session of a course, on a day."""

    __tablename__ = "course_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    topic: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))


class Attendance(Base):
    """A person present at a course session, and who recorded it."""

    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("course_session.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), primary_key=True)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CoreDraft(Base):
    """A roadmap drafted by a progress core, and where its review stands."""

    __tablename__ = "core_draft"
    __table_args__ = (CheckConstraint(_one_of("state", DRAFT_STATES), name="state_known"),)

    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmap.id", ondelete="CASCADE"), primary_key=True)
    core_id: Mapped[int] = mapped_column(ForeignKey("progress_core.id", ondelete="CASCADE"), nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'drafting'"))


class ReviewEvent(Base):
    """One step of a draft's review (started, submitted, changes requested, adopted), with its note."""

    __tablename__ = "review_event"
    __table_args__ = (CheckConstraint(_one_of("step", REVIEW_STEPS), name="step_known"),
                      Index("ix_review_event_roadmap_id_at", "roadmap_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmap.id", ondelete="CASCADE"), nullable=False)
    step: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    by: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ReviewComment(Base):
    """A reviewer's comment on a section of a draft or on one of its actions."""

    __tablename__ = "review_comment"
    __table_args__ = (CheckConstraint(_one_of("section", REVIEW_SECTIONS), name="section_known"),
                      CheckConstraint("(section = 'action') = (action_id is not null)", name="action_iff_section"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("review_event.id", ondelete="CASCADE"), nullable=False)
    section: Mapped[str] = mapped_column(Text, nullable=False)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, nullable=False)
