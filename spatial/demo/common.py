"""What every demo step shares: the seed, the synthetic-data note, and :class:`DemoStep`.

The step modules (accounts, layers, analytics, roadmaps) import this module, and the
package imports the steps, so that no step needs to import the package it is part of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

SEED = 1403
SYNTHETIC_NOTE = "synthetic demo data — not real boundaries or statistics"
#: The same, for notes people read on Persian pages (financing lines, handovers).
SYNTHETIC_NOTE_FA = "داده نمونه ساختگی — نه مرزها و نه آمار واقعی"
#: Where the demo's indicators come from, as the indicator's source (Persian) and its ``meta.source_en``.
DEMO_SOURCE = {"fa": "داده نمونه پیشرفت", "en": "Pishraft demo"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoStep:
    """Demo data of one concern (layers, roadmaps…), loaded after the units and indicators.

    ``remove`` deletes what ``load`` wrote, so that the demo can be reloaded.
    """

    name: str
    load: Callable[[Session, Progress], None]
    remove: Callable[[Session], None]
