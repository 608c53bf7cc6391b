"""Pages of OGC API items kept as the bytes they are sent as, until published data changes.

A page of items of unchanged data is the same document every time it is asked for, so
the encoded page (GeoJSON envelope, links and features) is kept in memory under the
request that made it and the data state it was read at (:class:`spatial.db.generation.GenerationCache`:
the data generation and the database). Whoever asks reads the state first, in the same
round trip's worth of work a request does anyway, so a page is never served across a data
change: the change's new generation makes the old page unreachable, in every worker at once.

The page is kept without its ``timeStamp`` (the moment it is sent), which :meth:`EncodedPage.stamped`
puts in; its strong ETag is of the rest, so that a 304 says "what you hold is still this page".
``PISHRAFT_ITEMS_CACHE_MB`` bounds the bodies kept (0: every page is read afresh).

Examples
--------
>>> page = EncodedPage.of(b'{"type":"FeatureCollection","links":[]', b',"features":[]}')
>>> page.stamped("2024-03-20T10:00:00Z")
b'{"type":"FeatureCollection","links":[],"timeStamp":"2024-03-20T10:00:00Z","features":[]}'
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from spatial.db.generation import GenerationCache
from spatial.serving.tile_cache import strong_etag
from spatial.settings import get_settings


@dataclass(frozen=True)
class EncodedPage:
    """A page's document without its ``timeStamp``, where that goes, and the strong ETag of the rest."""

    body: bytes
    stamp_at: int
    etag: str

    @classmethod
    def of(cls, head: bytes, tail: bytes) -> EncodedPage:
        """The page whose ``timeStamp`` goes between ``head`` (the open envelope) and ``tail``."""
        body = head + tail
        return cls(body, len(head), strong_etag(body))

    def stamped(self, moment: str) -> bytes:
        """The document as sent at ``moment`` (RFC 3339)."""
        return b"".join((self.body[:self.stamp_at], b',"timeStamp":"', moment.encode(), b'"',
                         self.body[self.stamp_at:]))


_shared: GenerationCache[EncodedPage] | None = None
_shared_lock = threading.Lock()


def page_cache() -> GenerationCache[EncodedPage]:
    """The process-wide cache of encoded pages, holding ``PISHRAFT_ITEMS_CACHE_MB`` of bodies."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = GenerationCache(size=get_settings().items_cache_mb * 1024 * 1024,
                                          weigh=lambda page: len(page.body) + 200)
    return _shared
