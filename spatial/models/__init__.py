"""SQLAlchemy 2 + GeoAlchemy2 models. Importing this package registers every table."""

from spatial.models.accounts import (
    ROLES, ApiKey, FormToken, RateBucket, RevokedToken, SignInFailure, User, UserSession,
)
from spatial.models.analytics import (
    AfMeasure, AfResult, Allocation, AllocationShare, CompositeIndex, DerivationJob, IndexScore,
)
from spatial.models.audit import AuditEntry
from spatial.models.base import Base
from spatial.models.contests import (
    Contest, ContestCriterion, ContestEntry, ContestJuror, ContestScore, ContestTarget, RoadmapPublication,
)
from spatial.models.catalogue import Layer
from spatial.models.generalised import AdminUnitTileGeom
from spatial.models.indicators import Indicator, IndicatorValue
from spatial.models.meta import Meta
from spatial.models.roadmaps import (
    Action, Financing, Handover, HistoryEvent, KeyResult, Measurement, Organisation, PastPlan, Person,
    ProgressCore, Roadmap,
)
from spatial.models.units import LEVELS, AdminUnit

__all__ = [
    "Base", "AdminUnit", "AdminUnitTileGeom", "LEVELS", "Indicator", "IndicatorValue", "Layer", "Meta",
    "AfMeasure", "AfResult", "Allocation", "AllocationShare", "CompositeIndex", "DerivationJob", "IndexScore",
    "Action", "Financing", "Handover", "HistoryEvent", "KeyResult", "Measurement", "Organisation", "PastPlan",
    "Person", "ProgressCore", "Roadmap", "ApiKey", "AuditEntry", "FormToken", "ROLES", "RateBucket", "RevokedToken",
    "SignInFailure", "User", "UserSession",
    "Contest", "ContestCriterion", "ContestEntry", "ContestJuror", "ContestScore", "ContestTarget",
    "RoadmapPublication",
]
