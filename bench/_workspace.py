"""What the workspace page benchmarks share: timing a call, and removing the roadmaps they wrote.

Not a benchmark of its own (``make bench`` skips files starting with ``_``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from sqlalchemy import text

from spatial.db.engine import session_scope


def median_ms(get: Callable[[], object], repeat: int = 7) -> float:
    """Median wall time of ``get()`` in milliseconds, after one warm-up call."""
    get()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        get()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def remove_roadmaps(title: str) -> None:
    """Delete the roadmaps (and their history) whose titles start with ``title``."""
    with session_scope() as session:
        ids = list(session.execute(text("SELECT id FROM roadmap WHERE title LIKE :t"), {"t": f"{title} %"}).scalars())
        session.execute(text("DELETE FROM history WHERE roadmap_id = ANY(:ids)"), {"ids": ids})
        session.execute(text("DELETE FROM roadmap WHERE id = ANY(:ids)"), {"ids": ids})
