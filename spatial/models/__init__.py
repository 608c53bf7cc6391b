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
from spatial.models.generalised import AdminUnitCoalescedTile
from spatial.models.indicators import Indicator, IndicatorValue
from spatial.models.journey import (
    AssessmentRound, AssessmentScore, Attendance, CoreDraft, CoreStageEvent, Course, CourseCore, CourseSession,
    ReviewComment, ReviewEvent,
)
from spatial.models.meta import Meta
from spatial.models.notifications import NotificationSent
from spatial.models.roadmaps import (
    Action, Disbursement, Financing, Handover, HistoryEvent, KeyResult, Measurement, Organisation, PastPlan, Person,
    ProgressCore, Roadmap,
)
from spatial.models.units import LEVELS, AdminUnit

__all__ = [
    "Base", "AdminUnit", "AdminUnitCoalescedTile", "LEVELS", "Indicator", "IndicatorValue", "Layer", "Meta",
    "AfMeasure", "AfResult", "Allocation", "AllocationShare", "CompositeIndex", "DerivationJob", "IndexScore",
    "Action", "Disbursement", "Financing", "Handover", "HistoryEvent", "KeyResult", "Measurement", "Organisation", "PastPlan",
    "Person", "ProgressCore", "Roadmap", "ApiKey", "AuditEntry", "FormToken", "ROLES", "RateBucket", "RevokedToken",
    "SignInFailure", "User", "UserSession", "NotificationSent", "AssessmentRound", "AssessmentScore", "Attendance",
    "CoreDraft", "CoreStageEvent", "Course", "CourseCore", "CourseSession", "ReviewComment", "ReviewEvent",
    "Contest", "ContestCriterion", "ContestEntry", "ContestJuror", "ContestScore", "ContestTarget",
    "RoadmapPublication",
]
