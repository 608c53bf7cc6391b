"""SQLAlchemy 2 + GeoAlchemy2 models. Importing this package registers every table."""

from spatial.models.analytics import Allocation, AllocationShare, CompositeIndex, IndexScore
from spatial.models.base import Base
from spatial.models.catalogue import Layer
from spatial.models.indicators import Indicator, IndicatorValue
from spatial.models.meta import Meta
from spatial.models.units import LEVELS, AdminUnit

__all__ = ["Allocation", "AllocationShare", "CompositeIndex", "IndexScore", "Base", "AdminUnit", "LEVELS", "Indicator", "IndicatorValue", "Layer", "Meta"]
