"""Which server a session goes to: reads to replicas, writes to the primary.

A request says what it intends with :func:`routed` (the API does so for every HTTP
request: ``GET``/``HEAD`` only read); :func:`spatial.db.engine.session_scope` then opens
its session on a replica for a read-only request and on the primary otherwise, and code
outside any request (commands, jobs) always gets the primary.

A read goes to the replicas in turn (round robin), skipping one that is left out after it
failed to answer (for ``PISHRAFT_REPLICA_RETRY_S``), that lags by more than
``PISHRAFT_REPLICA_MAX_LAG_S`` seconds, or that has not yet replayed the WAL position of
the reader's last write (``min_lsn``: read-your-writes); then the primary; and when the
primary is down too, any replica that answers, however far behind. The state of each
server is per process and refreshed at most every ``PISHRAFT_REPLICA_CHECK_S``.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from spatial.db.replication import Replay

PRIMARY = "primary"


@dataclass
class RequestRouting:
    """One request's dealings with the servers.

    ``reads_only``: its sessions may read from replicas. ``min_lsn``: the WAL position of
    the caller's last write, which a replica must have replayed to serve it. Filled in as
    the request runs: ``commit_lsn``, the primary's position after this request's writes
    committed; ``served_by``, the server that answered its reads.
    """

    reads_only: bool
    min_lsn: int | None = None
    commit_lsn: int | None = None
    served_by: str | None = None


_current: ContextVar[RequestRouting | None] = ContextVar("pishraft_request_routing", default=None)


@contextmanager
def routed(routing: RequestRouting) -> Iterator[RequestRouting]:
    """Run the block (and the threads it hands work to) as one request under ``routing``."""
    token = _current.set(routing)
    try:
        yield routing
    finally:
        _current.reset(token)


def current() -> RequestRouting | None:
    """The routing of the request being served, or ``None`` outside requests."""
    return _current.get()


@dataclass
class ReadNode:
    """A server reads may go to, as this process last saw it."""

    name: str
    url: str
    down_until: float = 0.0
    checked_at: float = -math.inf
    replay: Replay | None = None

    @property
    def is_primary(self) -> bool:
        return self.name == PRIMARY


@dataclass
class ReadRouter:
    """The replicas (in turn) and the primary (last), with what is known of each."""

    replicas: list[ReadNode]
    primary: ReadNode
    max_lag_s: float
    retry_s: float
    check_s: float
    _turn: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def order(self) -> list[ReadNode]:
        """Servers to try for a read: the replicas that are not left out, starting with the
        next in turn, then the primary (unless it is left out)."""
        with self._lock:
            start = next(self._turn)
        now = time.monotonic()
        n = len(self.replicas)
        turn = [self.replicas[(start + i) % n] for i in range(n)]
        return [node for node in [*turn, self.primary] if node.down_until <= now]

    def last_resort(self) -> list[ReadNode]:
        """Replicas that may still answer when nothing better did: any not left out."""
        now = time.monotonic()
        return [node for node in self.replicas if node.down_until <= now]

    def leave_out(self, node: ReadNode) -> None:
        """Stop sending reads to ``node`` for ``retry_s``; it is tried again after that."""
        node.down_until = time.monotonic() + self.retry_s
        node.replay = None

    def needs_check(self, node: ReadNode, min_lsn: int | None) -> bool:
        """Whether the replica's replay position must be read again before choosing it."""
        if node.is_primary:
            return False
        if node.replay is None or time.monotonic() - node.checked_at >= self.check_s:
            return True
        return min_lsn is not None and node.replay.lsn < min_lsn

    def note(self, node: ReadNode, replay: Replay) -> None:
        """Remember what the replica reported just now."""
        node.replay, node.checked_at = replay, time.monotonic()

    def serves(self, node: ReadNode, min_lsn: int | None) -> bool:
        """Whether ``node`` may serve a read that must see ``min_lsn``."""
        if node.is_primary:
            return True
        replay = node.replay
        if replay is None or not replay.in_recovery:
            return False  # a promoted replica is no read replica any more: its writes would diverge
        if replay.lag_s > self.max_lag_s:
            return False
        return min_lsn is None or replay.lsn >= min_lsn
