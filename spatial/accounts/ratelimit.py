"""Per-key token buckets: each key may make ``rate`` requests per second, in bursts of
up to one second's worth (at least one request), however many app processes serve it.

The buckets live in the database (table ``rate_bucket``), so that every process spends
from the same one. A process *leases* tokens from a key's bucket — one at a time for
slow keys, a tenth of a second's worth for fast ones — and spends them from memory, so
that most requests of a busy key never wait for the database and the vector-tile fast
path (which must not wait for it at all) can admit them. A lease is kept at most
:data:`LEASE_S` seconds: past that its tokens go unspent. Together the processes never
admit more than the key's rate, plus at most one lease per process. While the primary
cannot be reached (reads go on from replicas), each process meters keys on its own.
"""

from __future__ import annotations

import math
import threading
import time

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from spatial.db.engine import get_engine
from spatial.errors import DatabaseUnavailable, RateLimited

#: How long a process may keep leased tokens before they lapse.
LEASE_S = 1.0


def _capacity(rate: float) -> float:
    return max(1.0, rate)


def _lease_size(rate: float) -> int:
    return max(1, math.floor(rate / 10))


def lease(key: int, rate: float, wanted: int) -> tuple[int, float]:
    """Take up to ``wanted`` whole tokens from ``key``'s shared bucket, refilled at ``rate``
    per second up to its capacity: (tokens granted, tokens that were available).

    One short transaction of its own (never the request's), holding the bucket's row
    lock only for these statements.
    """
    with get_engine().connect() as conn, conn.begin():
        conn.execute(text("""INSERT INTO rate_bucket (key_id, tokens, refilled_at)
                             VALUES (:k, :cap, clock_timestamp()) ON CONFLICT (key_id) DO NOTHING"""),
                     {"k": key, "cap": _capacity(rate)})
        tokens, elapsed = conn.execute(
            text("""SELECT tokens, extract(epoch FROM clock_timestamp() - refilled_at)::float8
                    FROM rate_bucket WHERE key_id = :k FOR UPDATE"""), {"k": key}).one()
        available = min(_capacity(rate), tokens + max(0.0, elapsed) * rate)
        granted = min(wanted, math.floor(available))
        conn.execute(text("UPDATE rate_bucket SET tokens = :t, refilled_at = clock_timestamp() WHERE key_id = :k"),
                     {"t": available - granted, "k": key})
    return granted, available


class TokenBuckets:
    """The shared buckets of partner keys (by key id), with this process's leases.

    Examples
    --------
    >>> buckets = TokenBuckets()
    >>> buckets.take(7, rate=1.0)                    # doctest: +SKIP
    >>> buckets.take(7, rate=1.0)                    # doctest: +SKIP
    Traceback (most recent call last):
    RateLimited: ...
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leased: dict[int, tuple[int, float]] = {}  # key id -> (tokens left, leased at)
        self._local: dict[int, tuple[float, float]] = {}  # key id -> (tokens, refilled at), primary down

    def _lease_locally(self, key: int, rate: float, wanted: int) -> tuple[int, float]:
        """As :func:`lease`, from a bucket of this process alone."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._local.get(key, (_capacity(rate), now))
            available = min(_capacity(rate), tokens + (now - at) * rate)
            granted = min(wanted, math.floor(available))
            self._local[key] = (available - granted, now)
        return granted, available

    def take(self, key: int, rate: float) -> None:
        """Spend one token of ``key``'s bucket, or raise :class:`RateLimited` with the wait."""
        with self._lock:
            left, at = self._leased.get(key, (0, 0.0))
            if left >= 1 and time.monotonic() - at < LEASE_S:
                self._leased[key] = (left - 1, at)
                return
            self._leased.pop(key, None)
        try:
            granted, available = lease(key, rate, _lease_size(rate))
        except (DatabaseUnavailable, OperationalError):
            # The primary is down while replicas go on serving reads: until it is back,
            # each process meters the key on its own.
            granted, available = self._lease_locally(key, rate, _lease_size(rate))
        if granted == 0:
            raise RateLimited(f"Rate limit of {rate:g} requests per second exceeded; slow down.",
                              retry_after=(1.0 - available) / rate)
        with self._lock:
            self._leased[key] = (granted - 1, time.monotonic())
