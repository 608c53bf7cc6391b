"""The shapes of roadmap-related input: request bodies, CLI and import files.

These models check types and shape only (unknown fields are refused, so a typo is a
422 rather than silently ignored). Rules that need the database or relate fields —
dates in order, amounts not negative, geometry within the unit, references that exist,
a key result with a target — are checked by the domain functions in
:mod:`spatial.roadmaps`, :mod:`spatial.people`, :mod:`spatial.cores` and
:mod:`spatial.past_plans`, which name the field at fault.

``*Patch`` models carry only the fields to change (``model_dump(exclude_unset=True)``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spatial.errors import InvalidInput

RoadmapStatus = Literal["draft", "approved", "archived"]
ActionStatus = Literal["planned", "in_progress", "done", "stalled", "cancelled"]
FinancingSource = Literal["investment_fund", "bank_loan", "sponsor", "government_budget", "people"]
CoreStage = Literal["identified", "assessed", "selected", "trained"]
Outcome = Literal["succeeded", "partial", "failed"]
OrganisationKind = Literal["government", "economic_sponsor", "cooperative", "ngo", "other"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CapacityIn(_Input):
    """A capacity or comparative advantage: an indicator code (optional) and a description."""

    indicator: str | None = None
    text: str = ""


class RoadmapIn(_Input):
    unit: str = Field(description="Code of the unit the roadmap is for, e.g. IR-15-01")
    title: str = Field(min_length=1)
    start_date: date
    end_date: date
    status: RoadmapStatus = "draft"
    responsible_person_id: int | None = None
    responsible_organisation_id: int | None = None
    sponsor_id: int | None = Field(default=None, description="An organisation of kind economic_sponsor")
    parent_roadmap_id: int | None = Field(default=None, description="The higher unit's roadmap this one serves")
    core_id: int | None = Field(default=None, description="The progress core that drafted it")
    capacities: list[CapacityIn] = []
    advantages: list[CapacityIn] = []
    strategies: list[str] = []
    synthetic: bool = False


class RoadmapPatch(_Input):
    title: str | None = Field(default=None, min_length=1)
    start_date: date | None = None
    end_date: date | None = None
    status: RoadmapStatus | None = None
    responsible_person_id: int | None = None
    responsible_organisation_id: int | None = None
    sponsor_id: int | None = None
    parent_roadmap_id: int | None = None
    core_id: int | None = None
    capacities: list[CapacityIn] | None = None
    advantages: list[CapacityIn] | None = None
    strategies: list[str] | None = None


class FinancingIn(_Input):
    source: FinancingSource
    amount_rials: int
    note: str = ""


class KeyResultIn(_Input):
    id: int | None = Field(default=None, description="On update: the key result to keep (its measurements stay)")
    indicator: str = Field(min_length=1)
    unit_of_measure: str = ""
    baseline: float = 0.0
    target: float | None = None
    target_date: date | None = None


class ActionFields(_Input):
    title: str = Field(min_length=1)
    sector: str = ""
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON geometry in EPSG:4326")
    target_group: str = ""
    target_size: int | None = None
    jobs_expected: int | None = None
    responsible_person_id: int | None = None
    sponsor_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: ActionStatus = "planned"
    financing: list[FinancingIn] = []
    key_results: list[KeyResultIn] = []
    synthetic: bool = False


class ActionIn(ActionFields):
    roadmap_id: int


class ActionPatch(_Input):
    title: str | None = Field(default=None, min_length=1)
    sector: str | None = None
    geometry: dict[str, Any] | None = None
    target_group: str | None = None
    target_size: int | None = None
    jobs_expected: int | None = None
    responsible_person_id: int | None = None
    sponsor_id: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: ActionStatus | None = None
    financing: list[FinancingIn] | None = None
    key_results: list[KeyResultIn] | None = None


class MeasurementIn(_Input):
    key_result_id: int
    measured_on: date
    value: float
    source: str = ""
    reported_by: str | None = Field(default=None, description="Who reported it; default: the caller")
    synthetic: bool = False


class MeasurementPatch(_Input):
    measured_on: date | None = None
    value: float | None = None
    source: str | None = None
    reported_by: str | None = None


class TrainingIn(_Input):
    title: str = Field(min_length=1)
    held_on: date
    hours: float | None = None
    participants: int | None = None


class CoreIn(_Input):
    name: str = Field(min_length=1)
    unit: str = Field(description="Code of the core's area; it covers the unit's descendants")
    members_count: int = 0
    stage: CoreStage = "identified"
    assessment: dict[str, float] = Field(default={}, description="Score 0..100 per criterion")
    training: list[TrainingIn] = []
    synthetic: bool = False


class CorePatch(_Input):
    name: str | None = Field(default=None, min_length=1)
    members_count: int | None = None
    stage: CoreStage | None = None
    assessment: dict[str, float] | None = None
    training: list[TrainingIn] | None = None


class PastPlanIn(_Input):
    title: str = Field(min_length=1)
    unit: str
    start_year: int | None = None
    end_year: int | None = None
    sector: str = ""
    outcome: Outcome
    strengths: str = ""
    weaknesses: str = ""
    spread: str = Field(default="", description="Why it did or did not spread")
    lessons: str = ""
    synthetic: bool = False


class PastPlanPatch(_Input):
    title: str | None = Field(default=None, min_length=1)
    start_year: int | None = None
    end_year: int | None = None
    sector: str | None = None
    outcome: Outcome | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    spread: str | None = None
    lessons: str | None = None


class OrganisationIn(_Input):
    name: str = Field(min_length=1)
    kind: OrganisationKind
    unit: str | None = None
    contact: str = ""
    synthetic: bool = False


class OrganisationPatch(_Input):
    name: str | None = Field(default=None, min_length=1)
    kind: OrganisationKind | None = None
    contact: str | None = None


class PersonIn(_Input):
    name: str = Field(min_length=1)
    role: str = ""
    organisation_id: int | None = None
    unit: str | None = None
    contact: str = ""
    synthetic: bool = False


class PersonPatch(_Input):
    name: str | None = Field(default=None, min_length=1)
    role: str | None = None
    organisation_id: int | None = None
    contact: str | None = None


class HandoverIn(_Input):
    from_person_id: int
    to_person_id: int
    roadmap_id: int | None = Field(default=None, description="Only this roadmap (and its actions); default: all")
    handed_over_on: date
    note: str = ""
    synthetic: bool = False


def parse(model: type[_Input], data: Any, where: str = "") -> Any:
    """Validate ``data`` against ``model``; a failure becomes :class:`InvalidInput` naming the field.

    For input that does not come through FastAPI (import files, the CLI).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in (where, *first["loc"]) if p != "")
        raise InvalidInput(f"{field}: {first['msg']}", field=field or None) from None
