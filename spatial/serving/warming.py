"""Level-wide work done again after a data change, before a reader asks for it.

What a unit page shows of its whole level (ranks out of how many, capacity × deprivation
classes, comparative advantages, shift-share, clusters) is computed once per data
generation (:class:`spatial.db.generation.GenerationCache`); at 50,000 neighbourhoods
that takes seconds, which the first reader after a change would wait. A :class:`Warmer`
reads the generation every ``PISHRAFT_WARM_CHECK_S`` seconds (default 2; 0 turns it off)
in a thread of each server process and, when it has changed, does that work itself
(``warm``: :func:`api.pages.units.warm_unit_pages`, then the roadmap draft's and suggestions'
level inputs, :func:`spatial.planning.draft.warm_roadmap_inputs`; :func:`in_turn`), so the caches are full when readers
come. A reader arriving while it works waits for the same computation rather than
starting a second one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from spatial.db.generation import DataState, read_data_state

log = logging.getLogger("pishraft.warming")


def in_turn(*warms: Callable[[Session], None]) -> Callable[[Session], None]:
    """One ``warm`` that runs each of ``warms`` in turn, in the same session."""
    def warm(session: Session) -> None:
        for one in warms:
            one(session)
    return warm


class Warmer:
    """Runs ``warm(session)`` in a background thread whenever the data generation changes.

    Examples
    --------
    >>> warmer = Warmer(warm_unit_pages, every_s=2.0)     # doctest: +SKIP
    >>> warmer.start(); ...; warmer.stop()                # doctest: +SKIP
    """

    def __init__(self, warm: Callable[[Session], object], every_s: float) -> None:
        self.warm = warm
        self.every_s = every_s
        #: The data state last warmed (``None`` before the first time).
        self.warmed: DataState | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def warm_if_changed(self) -> bool:
        """Warm once if the generation changed since the last time; whether it did."""
        from spatial.db.engine import session_scope

        with session_scope() as session:
            state = read_data_state(session)
            if state == self.warmed:
                return False
            self.warm(session)
        self.warmed = state
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.warm_if_changed()
            except Exception:  # warming only saves readers time: a failure is logged, and tried again
                log.warning("warming the level caches failed; trying again later", exc_info=True)
            self._stop.wait(self.every_s)

    def start(self) -> None:
        """Start checking in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="pishraft-warmer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop checking; waits for a warm under way to end (up to ``timeout_s``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
