"""The shapes of roadmap-related input: request bodies, CLI and import files.

These models check types and shape only (unknown fields are refused, so a typo is a
422 rather than silently ignored). Rules that need the database or relate fields —
dates in order, amounts not negative, geometry within the unit, references that exist,
a key result with a target — are checked by the domain functions in
:mod:`spatial.planning.roadmaps`, :mod:`spatial.planning.people`, :mod:`spatial.planning.cores` and
:mod:`spatial.planning.past_plans`, which name the field at fault.

``*Patch`` models carry only the fields to change (``model_dump(exclude_unset=True)``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spatial.errors import InvalidInput

RoadmapStatus = Literal["draft", "approved", "archived"]
ActionStatus = Literal["planned", "in_progress", "done", "stalled", "cancelled"]
FinancingSource = Literal["investment_fund", "bank_loan", "sponsor", "government_budget", "people", "past_plan"]
CoreStage = Literal["proposed", "identified", "assessed", "selected", "in_training", "trained", "drafting",
                    "submitted", "adopted", "not_selected", "paused"]
CoreKind = Literal["jihadi_group", "student_organisation", "community_institution", "cooperative", "other"]
Outcome = Literal["succeeded", "partial", "failed", "not_adopted"]
OrganisationKind = Literal["government", "economic_sponsor", "fund", "bank", "cooperative", "charity", "ngo", "other"]


#: Bounds of the database columns, so that an out-of-range number is a 422, not a database error.
MAX_INT = 2_147_483_647
MAX_RIALS = 9_223_372_036_854_775_807
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Count = Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)]  # negative counts get the domain's message
Rials = Annotated[int, Field(ge=-MAX_RIALS, le=MAX_RIALS)]
Cost = Annotated[int, Field(ge=0, le=MAX_RIALS, description="Estimated cost or budget, rials")]
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2200, 12, 31))]
Year = Annotated[int, Field(ge=1300, le=2200)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class InputModel(BaseModel):
    """Base of every input model: unknown fields, NaN/infinity and NUL characters are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL characters.
        if _has_nul(data):
            raise ValueError("text must not contain NUL (\\x00) characters")
        return data


class CapacityIn(InputModel):
    """A capacity or comparative advantage: an indicator code (optional) and a description."""

    indicator: str | None = None
    text: str = ""


class SourceRef(InputModel):
    """Where a roadmap or an action came from: a roadmap, an action or a past plan, by id."""

    kind: Literal["roadmap", "action", "past_plan"]
    id: Id


class RoadmapIn(InputModel):
    unit: str = Field(description="Code of the unit the roadmap is for, e.g. IR-15-01")
    title: str = Field(min_length=1)
    start_date: Day
    end_date: Day
    status: RoadmapStatus = "draft"
    responsible_person_id: Id | None = None
    responsible_organisation_id: Id | None = None
    sponsor_id: Id | None = Field(default=None, description="An organisation of kind economic_sponsor")
    parent_roadmap_id: Id | None = Field(default=None, description="The higher unit's roadmap this one serves")
    core_id: Id | None = Field(default=None, description="The progress core that drafted it")
    capacities: list[CapacityIn] = []
    advantages: list[CapacityIn] = []
    strategies: list[str] = []
    sources: list[SourceRef] = Field(default=[], description="The roadmaps and past plans it consolidates")
    synthetic: bool = False


class ConsolidationIn(InputModel):
    """A new roadmap consolidated from past plans and roadmaps of a unit («اجماع»): the sources
    and the parts of them to keep (see :func:`spatial.planning.consolidation.consolidate`)."""

    unit: str
    title: str = Field(min_length=1)
    start_date: Day
    end_date: Day
    roadmaps: list[Id] = Field(default=[], description="Ids of the roadmaps side by side")
    past_plans: list[Id] = Field(default=[], description="Ids of the past plans side by side")
    keep: list[str] = Field(default=[], description="Parts to keep: strategy:ROADMAP:I, capacity:ROADMAP:I, "
                            "advantage:ROADMAP:I, action:ID, past_plan:ID, lesson:ID")
    synthetic: bool = False


class RoadmapPatch(InputModel):
    title: str | None = Field(default=None, min_length=1)
    start_date: Day | None = None
    end_date: Day | None = None
    status: RoadmapStatus | None = None
    responsible_person_id: Id | None = None
    responsible_organisation_id: Id | None = None
    sponsor_id: Id | None = None
    parent_roadmap_id: Id | None = None
    core_id: Id | None = None
    capacities: list[CapacityIn] | None = None
    advantages: list[CapacityIn] | None = None
    strategies: list[str] | None = None


class FinancingIn(InputModel):
    source: FinancingSource
    amount_rials: Rials
    note: str = ""


class KeyResultIn(InputModel):
    id: Id | None = Field(default=None, description="On update: the key result to keep (its measurements stay)")
    indicator: str = Field(min_length=1)
    unit_of_measure: str = ""
    baseline: float = 0.0
    target: float | None = None
    target_date: Day | None = None


class ActionFields(InputModel):
    title: str = Field(min_length=1)
    sector: str = ""
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON geometry in EPSG:4326")
    target_group: str = ""
    target_size: Count | None = None
    jobs_expected: Count | None = None
    responsible_person_id: Id | None = None
    sponsor_id: Id | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    status: ActionStatus = "planned"
    financing: list[FinancingIn] = []
    key_results: list[KeyResultIn] = []
    source: SourceRef | None = Field(default=None, description="The action or past plan it was taken from")
    synthetic: bool = False


class ActionIn(ActionFields):
    roadmap_id: Id


class ActionPatch(InputModel):
    title: str | None = Field(default=None, min_length=1)
    sector: str | None = None
    geometry: dict[str, Any] | None = None
    target_group: str | None = None
    target_size: Count | None = None
    jobs_expected: Count | None = None
    responsible_person_id: Id | None = None
    sponsor_id: Id | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    status: ActionStatus | None = None
    financing: list[FinancingIn] | None = None
    key_results: list[KeyResultIn] | None = None


class MeasurementIn(InputModel):
    key_result_id: Id
    measured_on: Day
    value: float
    source: str = ""
    reported_by: str | None = Field(default=None, description="Who reported it; default: the caller")
    synthetic: bool = False


class MeasurementPatch(InputModel):
    measured_on: Day | None = None
    value: float | None = None
    source: str | None = None
    reported_by: str | None = None


class ReasonIn(InputModel):
    """Why an object is archived, withdrawn or restored (kept in the history beside the editor's name)."""

    reason: str = Field(default="", max_length=1000, description="Why; required to archive or withdraw")


class MeasurementCorrection(MeasurementPatch):
    """A corrected measurement and why it was wrong."""

    reason: str = Field(min_length=1, max_length=1000, description="Why the value was wrong")


class TrainingIn(InputModel):
    title: str = Field(min_length=1)
    held_on: Day
    hours: float | None = None
    participants: Count | None = None


class MemberAccount(InputModel):
    """A member's account: the person (a member of the core) signs in as ``username``."""

    person_id: Id
    username: str = Field(min_length=1, max_length=64)


class CoreIn(InputModel):
    name: str = Field(min_length=1)
    unit: str = Field(description="Code of the core's area; it covers the unit's descendants")
    kind: CoreKind = "other"
    contacts: str = Field(default="", max_length=1000)
    members_count: Count = 0
    member_ids: list[Id] = Field(default=[], description="Ids of the people who are members, by name")
    member_accounts: list[MemberAccount] = Field(default=[], description="Members who sign in, and as whom")
    stage: CoreStage = Field(default="proposed", description="Where a core registered now stands; later moves "
                                                            "go through POST /api/cores/{id}/stage")
    assessment: dict[str, float] = Field(default={}, description="Score 0..100 per criterion")
    training: list[TrainingIn] = []
    synthetic: bool = False


class CorePatch(InputModel):
    name: str | None = Field(default=None, min_length=1)
    kind: CoreKind | None = None
    contacts: str | None = Field(default=None, max_length=1000)
    members_count: Count | None = None
    member_ids: list[Id] | None = Field(default=None, description="The members by name (replaces the list)")
    member_accounts: list[MemberAccount] | None = Field(default=None, description="Replaces the list")
    assessment: dict[str, float] | None = None
    training: list[TrainingIn] | None = None


class PastPlanIn(InputModel):
    title: str = Field(min_length=1)
    unit: str
    start_year: Year | None = None
    end_year: Year | None = None
    sector: str = ""
    outcome: Outcome
    strengths: str = ""
    weaknesses: str = ""
    spread: str = Field(default="", description="Why it did or did not spread")
    lessons: str = ""
    cost_rials: Cost | None = None
    synthetic: bool = False


class PastPlanPatch(InputModel):
    title: str | None = Field(default=None, min_length=1)
    start_year: Year | None = None
    end_year: Year | None = None
    sector: str | None = None
    outcome: Outcome | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    spread: str | None = None
    lessons: str | None = None
    cost_rials: Cost | None = None


class OrganisationIn(InputModel):
    name: str = Field(min_length=1)
    kind: OrganisationKind
    unit: str | None = None
    contact: str = ""
    synthetic: bool = False


class OrganisationPatch(InputModel):
    name: str | None = Field(default=None, min_length=1)
    kind: OrganisationKind | None = None
    contact: str | None = None


Phone = Annotated[str, Field(max_length=40, pattern=r"^[0-9۰-۹+()\- ]*$",
                             description="Digits (Persian or Western), spaces, +, - and brackets")]
Email = Annotated[str, Field(max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class PersonIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=200, description="Role title, e.g. county development officer")
    organisation_id: Id | None = None
    unit: str | None = Field(default=None, description="Code of the person's area")
    phone: Phone = ""
    email: Email = ""
    synthetic: bool = False


class PersonPatch(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=200)
    organisation_id: Id | None = None
    unit: str | None = Field(default=None, description="Code of the person's area")
    phone: Phone | None = None
    email: Email | None = None


class HandoverIn(InputModel):
    from_person_id: Id
    to_person_id: Id
    roadmap_id: Id | None = Field(default=None, description="Only this roadmap (and its actions); default: all")
    handed_over_on: Day
    note: str = ""
    synthetic: bool = False


def parse(model: type[InputModel], data: Any, where: str = "") -> Any:
    """Validate ``data`` against ``model``; a failure becomes :class:`InvalidInput` naming the field.

    For input that does not come through FastAPI (import files, the CLI).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in (where, *first["loc"]) if p != "")
        raise InvalidInput(f"{field}: {first['msg']}", field=field or None) from None
