"""What the workspace page benchmarks share: timing pages against their API calls, and removing
the roadmaps they wrote.

Not a benchmark of its own (``make bench`` skips files starting with ``_``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial

from fastapi.testclient import TestClient
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


def compare_pages(client: TestClient, pairs: Sequence[tuple[str, str]], goal_ms: float) -> None:
    """Print each page's median server time next to the API call of the same data, and the slowest."""
    worst = 0.0
    print(f"{'page':<42} {'page ms':>8} {'API ms':>8} {'ratio':>6}  (goal: page <= {goal_ms:.0f} ms)")
    for page, api in pairs:
        for path in (page, api):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 200, f"{path}: {answer.status_code}"
        t_page = median_ms(partial(client.get, page))
        t_api = median_ms(partial(client.get, api))
        worst = max(worst, t_page)
        print(f"{page:<42} {t_page:8.1f} {t_api:8.1f} {t_page / t_api:6.2f}  vs {api}")
    print(f"slowest page {worst:.1f} ms: {'within' if worst <= goal_ms else 'OVER'} the {goal_ms:.0f} ms goal")
