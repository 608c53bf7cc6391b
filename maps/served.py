"""Map pages as the API serves them: kept per data generation, and few drawn at once.

A national map of 50,000 neighbourhoods takes seconds to draw the first time (read the
polygons, class the values, pack and render the page); the same page is then answered
from memory until published data changes (:class:`spatial.db.generation.GenerationCache`).

Pages not yet drawn are drawn at most :data:`DRAWN_AT_ONCE` at a time per process: a
further request is told to come back in a moment (:class:`~spatial.errors.RateLimited`,
HTTP 429 with ``Retry-After``) instead of waiting, so readers asking for many different
large maps at once (anonymous ones included) cannot hold every worker.

Only maps drawn from published data belong here (units, indicators, indices, layers):
roadmap and progress maps change with plans, which the data generation does not follow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

import folium
from sqlalchemy.orm import Session

from maps.assets import page_html
from spatial.db.generation import GenerationCache
from spatial.errors import RateLimited

#: Map pages drawn at the same time by one process; others are asked to retry.
DRAWN_AT_ONCE = 2
#: Seconds a refused request is asked to wait.
RETRY_AFTER_S = 2.0
#: Pages kept per process (a national map of 50,000 neighbourhoods is about 2 MB).
KEPT_PAGES = 24

_pages: GenerationCache[str] = GenerationCache(size=KEPT_PAGES)
_drawing = threading.BoundedSemaphore(DRAWN_AT_ONCE)


def served_page(session: Session, key: Hashable, draw: Callable[[], folium.Map]) -> str:
    """The HTML page of the map ``draw`` makes, named by ``key`` (the route and its
    parameters), drawn once per data generation.

    Raises :class:`RateLimited` when :data:`DRAWN_AT_ONCE` pages are being drawn already.
    """
    def render() -> str:
        if not _drawing.acquire(blocking=False):
            raise RateLimited("Other maps are being drawn right now; this one will be ready in a moment, "
                              "retry shortly.", retry_after=RETRY_AFTER_S)
        try:
            return page_html(draw())
        finally:
            _drawing.release()

    return _pages.get(session, key, render)
