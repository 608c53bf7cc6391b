"""Headers every Pishraft answer carries."""

from __future__ import annotations

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
    # Keys may travel in query strings (tile URLs): never leak them in Referer.
    (b"referrer-policy", b"no-referrer"),
)


def public_cors() -> bool:
    """Whether any origin may read: anonymous reading on and no ``PISHRAFT_CORS_ORIGINS`` list."""
    from spatial.settings import get_settings

    settings = get_settings()
    return settings.anonymous_read and not settings.cors_origins
