"""Headers every Pishraft answer carries."""

from __future__ import annotations

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
    # Keys may travel in query strings (tile URLs): never leak them in Referer.
    (b"referrer-policy", b"no-referrer"),
)
