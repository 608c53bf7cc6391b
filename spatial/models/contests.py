"""Competitions (رویداد، مسابقه, e.g. «طلوع پیشرفت») and the public watch of roadmaps.

An event has target places, criteria with weights, a jury of accounts and a timetable;
groups (progress cores or ad-hoc named groups) enter a progress-map proposal per target —
a roadmap kept out of the ordinary lists until it is adopted — and jurors score each
entry on each criterion. A roadmap published to the public has a row in
``roadmap_publication``. Rules across tables live in :mod:`spatial.planning.contests`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

#: An entry's states: being drafted, submitted for scoring, adopted as the target's roadmap,
#: or not adopted (then kept in the past-plans register with its scores).
ENTRY_STATES: tuple[str, ...] = ("draft", "submitted", "adopted", "not_adopted")


class Contest(Base):
    """An event: a title and its timetable (entries open, submissions close, scoring opens, results)."""

    __tablename__ = "contest"
    __table_args__ = (
        CheckConstraint("opens_on <= submissions_close_on AND submissions_close_on <= scoring_on "
                        "AND scoring_on <= results_on", name="timetable_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    opens_on: Mapped[date] = mapped_column(Date, nullable=False)
    submissions_close_on: Mapped[date] = mapped_column(Date, nullable=False)
    scoring_on: Mapped[date] = mapped_column(Date, nullable=False)
    results_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False)


class ContestTarget(Base):
    """A target place of an event: an administrative unit."""

    __tablename__ = "contest_target"

    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"), primary_key=True)


class ContestCriterion(Base):
    """A criterion entries are scored on (0–100), with its weight."""

    __tablename__ = "contest_criterion"
    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),
                      Index("ix_contest_criterion_contest_id", "contest_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    weight: Mapped[float] = mapped_column(Float, nullable=False)


class ContestJuror(Base):
    """An account sitting on an event's jury."""

    __tablename__ = "contest_juror"

    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(Text, primary_key=True)


class ContestEntry(Base):
    """A group's proposal for one target: its progress map is ``roadmap_id``."""

    __tablename__ = "contest_entry"
    __table_args__ = (
        CheckConstraint("state in ('draft', 'submitted', 'adopted', 'not_adopted')", name="state_known"),
        UniqueConstraint("roadmap_id"),
        Index("ix_contest_entry_contest_id", "contest_id"),
        Index("ix_contest_entry_core_id", "core_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False)
    core_id: Mapped[int | None] = mapped_column(ForeignKey("progress_core.id", ondelete="SET NULL"))
    group_name: Mapped[str] = mapped_column(Text, nullable=False)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmap.id", ondelete="RESTRICT"), nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'draft'"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text)
    past_plan_id: Mapped[int | None] = mapped_column(ForeignKey("past_plan.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False)


class ContestScore(Base):
    """One juror's score of one entry on one criterion."""

    __tablename__ = "contest_score"
    __table_args__ = (CheckConstraint("score >= 0 AND score <= 100", name="score_in_range"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entry.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("contest_criterion.id", ondelete="CASCADE"),
                                              primary_key=True)
    juror: Mapped[str] = mapped_column(Text, primary_key=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))


class RoadmapPublication(Base):
    """A roadmap published read-only to the public (``/watch/{roadmap_id}``): who did it and when."""

    __tablename__ = "roadmap_publication"

    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmap.id", ondelete="CASCADE"), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                   server_default=text("now()"))
    published_by: Mapped[str] = mapped_column(Text, nullable=False)
