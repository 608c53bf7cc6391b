"""What a competition's API and forms accept (:mod:`spatial.planning.contests`): validated
shapes only; the rules that need the database are checked there."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from spatial.planning.roadmap_inputs import Day, Id, InputModel

Weight = Annotated[float, Field(gt=0, le=1_000_000)]
Score = Annotated[float, Field(ge=0, le=100)]


class CriterionIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    weight: Weight


class ContestIn(InputModel):
    title: str = Field(min_length=1, max_length=300)
    targets: list[str] = Field(min_length=1, max_length=200, description="Codes of the target units")
    criteria: list[CriterionIn] = Field(min_length=1, max_length=50)
    jurors: list[str] = Field(min_length=1, max_length=100, description="Usernames of the jury's accounts")
    opens_on: Day
    submissions_close_on: Day
    scoring_on: Day = Field(description="The day scoring opens")
    results_on: Day = Field(description="The day scoring closes and the results are out")


class TimetablePatch(InputModel):
    opens_on: Day | None = None
    submissions_close_on: Day | None = None
    scoring_on: Day | None = None
    results_on: Day | None = None


class EntryIn(InputModel):
    target: str = Field(description="Code of one of the event's target units")
    title: str = Field(min_length=1, max_length=300, description="The proposed progress map's title")
    core_id: Id | None = Field(default=None, description="The progress core entering (or give group_name)")
    group_name: str | None = Field(default=None, max_length=200, description="An ad-hoc group's name")


class ScoresIn(InputModel):
    scores: dict[Id, Score] = Field(min_length=1, description="Score (0–100) per criterion id")
