"""Per-key token buckets: each key may make ``rate`` requests per second, in bursts of
up to one second's worth (at least one request).

The buckets live in the process; with several workers each enforces the rate on its
own share of the traffic.
"""

from __future__ import annotations

import threading
import time

from spatial.errors import RateLimited


class TokenBuckets:
    """Token buckets keyed by an id.

    Examples
    --------
    >>> buckets = TokenBuckets()
    >>> buckets.take("k", rate=1.0)   # the first request passes
    >>> buckets.take("k", rate=1.0)   # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    RateLimited: ...
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[object, tuple[float, float]] = {}  # id -> (tokens, last refill)

    def take(self, key: object, rate: float) -> None:
        """Spend one token of ``key``'s bucket, or raise :class:`RateLimited` with the wait."""
        capacity = max(1.0, rate)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                raise RateLimited(f"Rate limit of {rate:g} requests per second exceeded; slow down.",
                                  retry_after=(1.0 - tokens) / rate)
            self._state[key] = (tokens - 1.0, now)
