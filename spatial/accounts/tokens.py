"""Signed, expiring bearer tokens, and the secret that signs them.

A token is ``<payload>.<signature>``: the payload is base64url JSON
``{"sub": username, "iat": issued, "exp": expiry, "jti": random id}`` and the signature its
HMAC-SHA256 under the secret key. The secret is the ``PISHRAFT_SECRET_KEY`` setting;
when that is unset, a random one is generated once into ``$PISHRAFT_HOME/secret_key``
with mode 0600 (never inside the repository's tracked files).

Examples
--------
>>> token = issue_token("ali", ttl_s=60)      # doctest: +SKIP
>>> token_subject(token)                       # doctest: +SKIP
'ali'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from functools import lru_cache
from pathlib import Path

from spatial.errors import Unauthorized
from spatial.settings import get_settings


@lru_cache(maxsize=4)
def _secret(configured: str | None, home: Path) -> bytes:
    if configured:
        return configured.encode()
    path = home / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: a link fails where the key
        # already is, so when threads or processes race, all read the one complete key (a file
        # created empty and then written could be read in between).
        private = path.with_name(f".secret_key.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(private, path)
        except FileExistsError:
            pass
        finally:
            private.unlink()
    key = path.read_text().strip()
    if not key:
        raise Unauthorized(f"The secret key file {path} is empty; delete it to generate a new one.")
    return key.encode()


def secret_key() -> bytes:
    """The signing secret (from settings, or the generated key file)."""
    settings = get_settings()
    return _secret(settings.secret_key, settings.home.resolve())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: str) -> str:
    return _b64(hmac.new(secret_key(), payload.encode(), hashlib.sha256).digest())


def issue_token(username: str, ttl_s: int | None = None) -> str:
    """A token naming ``username``, valid for ``ttl_s`` seconds (default: the setting)."""
    now = int(time.time())
    ttl = ttl_s if ttl_s is not None else get_settings().token_ttl_minutes * 60
    # jti: two sign-ins within one second still get different tokens, revoked one by one.
    claims = {"sub": username, "iat": now, "exp": now + ttl, "jti": secrets.token_urlsafe(9)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_sign(payload)}"


def token_subject(token: str) -> str:
    """The username a valid, unexpired token names; :class:`Unauthorized` otherwise."""
    return verified_token(token)[0]


def verified_token(token: str) -> tuple[str, float]:
    """The username and expiry (epoch seconds) of a valid, unexpired token; :class:`Unauthorized` otherwise."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(signature, _sign(payload)):
        raise Unauthorized("The bearer token is not valid; sign in again at POST /api/auth/token.")
    try:
        claims = json.loads(_unb64(payload))
        subject, expiry = str(claims["sub"]), float(claims["exp"])
    except (ValueError, KeyError, TypeError):
        raise Unauthorized("The bearer token is not valid; sign in again at POST /api/auth/token.") from None
    if expiry < time.time():
        raise Unauthorized("The bearer token has expired; sign in again at POST /api/auth/token.")
    return subject, expiry
