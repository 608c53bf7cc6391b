"""The shapes of a core journey's input (:mod:`spatial.planning.journey`): stage moves,
assessment rounds and score forms, courses, sessions and attendance, drafts and reviews.

As in :mod:`spatial.planning.roadmap_inputs`, these check types and shape only; the rules
that need the database are the domain's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from spatial.planning.roadmap_inputs import CoreStage, Day, Id, InputModel

Score = Annotated[float, Field(description="0 to 100")]
Reason = Annotated[str, Field(default="", max_length=2000)]


class StageMoveIn(InputModel):
    """Move a core to another stage; a reason is required to select, not select or pause."""

    to: CoreStage
    reason: Reason = ""


class CriterionIn(InputModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    weight: float = Field(gt=0, le=1000)


class RoundIn(InputModel):
    """An assessment round in an area, with its criteria and weights and its assessors."""

    unit: str = Field(description="Code of the area whose cores it assesses")
    title: str = Field(min_length=1, max_length=200)
    method: Literal["weighted_sum", "topsis"] = "weighted_sum"
    criteria: list[CriterionIn] = Field(min_length=1, max_length=30)
    assessors: list[str] = Field(min_length=1, max_length=50, description="Usernames of those who score")


class ScoresIn(InputModel):
    """One assessor's score form for one core: a score 0..100 for every criterion of the round."""

    scores: dict[str, Score]


class CourseIn(InputModel):
    unit: str = Field(description="Code of the area the course serves")
    title: str = Field(min_length=1, max_length=200)
    required_sessions: int = Field(ge=1, le=1000, description="Sessions each member must attend")


class SessionIn(InputModel):
    held_on: Day
    topic: str = Field(default="", max_length=500)


class EnrolIn(InputModel):
    core_id: Id


class AttendanceIn(InputModel):
    """Who was present at a session (replaces what was recorded)."""

    person_ids: list[Id] = Field(max_length=1000)


class DraftIn(InputModel):
    """A progress map a core drafts for its county (or a neighbourhood in its area)."""

    unit: str
    title: str = Field(min_length=1, max_length=300)
    start_date: Day
    end_date: Day


class NoteIn(InputModel):
    note: Reason = ""


class CommentIn(InputModel):
    section: Literal["general", "current_state", "capacities", "strategies", "action"]
    action_id: Id | None = None
    text: str = Field(min_length=1, max_length=2000)


class ReviewIn(InputModel):
    """A planner's review of a submitted draft: ask for changes (with comments) or adopt it."""

    decision: Literal["changes", "adopt"]
    note: Reason = ""
    comments: list[CommentIn] = Field(default=[], max_length=200)
