"""Users and partner keys: creation, listing, role changes, revocation, and lookup.

Passwords are hashed with Argon2 (pwdlib). Partner keys are long random secrets, so a
SHA-256 digest is enough to store them safely and lets a request find its key by an
indexed equality instead of a slow hash per stored key. Lookups used on every
request are cached for a few seconds; changes made here clear the cache at once, and
changes made by another process take effect within :data:`CACHE_TTL_S`.

Examples
--------
>>> create_user(session, "ali", "a long secret", "core", area_code="IR-15")  # doctest: +SKIP
>>> key = create_key(session, "municipal-portal", ["provinces"], 10.0)      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cachetools import TTLCache
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from spatial.jalali import latin_digits
from spatial.errors import Conflict, InvalidInput, NotFound, Unauthorized
from spatial.models.accounts import ROLES, ApiKey, User
from spatial.accounts import audit
from spatial.accounts.tokens import verified_token

CACHE_TTL_S = 5.0
MIN_PASSWORD_LENGTH = 10
KEY_PREFIX = "pk_"
_COLLECTION = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute))?\s*$")

_hasher = PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that a login takes as long either
    # way. Made on first use, not on import: hashing is slow on purpose, and commands such
    # as `pishraft users list` never sign anyone in.
    return _hasher.hash("pishraft-timing-equaliser")

_lock = threading.Lock()
_accounts: TTLCache[str, Account | None] = TTLCache(maxsize=4096, ttl=CACHE_TTL_S)
_keys: TTLCache[str, PartnerKey | None] = TTLCache(maxsize=4096, ttl=CACHE_TTL_S)
_revoked: TTLCache[str, bool] = TTLCache(maxsize=4096, ttl=CACHE_TTL_S)


@dataclass(frozen=True)
class Account:
    """An enabled user as the API sees it."""

    username: str
    role: str
    area_unit_id: int | None


@dataclass(frozen=True)
class PartnerKey:
    """A live partner key as the API sees it (``collections`` ``None``: all)."""

    id: int
    partner: str
    prefix: str
    collections: tuple[str, ...] | None
    rate_per_s: float


def forget_cached() -> None:
    """Drop cached lookups (after any change to users or keys)."""
    with _lock:
        _accounts.clear()
        _keys.clear()
        _revoked.clear()


# -- users ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Passwords too common to accept (``common_passwords.txt`` beside this module), lower case."""
    listed = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8").splitlines()
    return frozenset(p.strip().lower() for p in listed if p.strip() and not p.startswith("#"))


def hash_password(password: str) -> str:
    """The Argon2 hash of ``password``; refuses passwords shorter than the minimum, made of
    one repeated character, or on the list of common passwords."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
                           reason="password_too_short", min=MIN_PASSWORD_LENGTH, field="password")
    plain = latin_digits(password).strip().lower()
    if plain in common_passwords() or len(set(plain)) <= 2:
        raise InvalidInput("This password is among the most common ones and is guessed first; choose a "
                           "longer phrase of your own.", reason="password_common", field="password")
    return _hasher.hash(password)


def _area_id(session: Session, role: str, area_code: str | None) -> int | None:
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.", reason="not_in_list", field="role")
    if role != "core":
        if area_code:
            raise InvalidInput("Only 'core' members have an area; drop --area or use role core.", reason="area_only_for_core", field="area")
        return None
    if not area_code:
        raise InvalidInput("A 'core' member needs an area: the code of its unit, e.g. --area IR-15.", reason="core_needs_area", field="area")
    unit_id = session.execute(
        text("SELECT id FROM admin_unit WHERE code = :c AND valid_to IS NULL"), {"c": area_code}
    ).scalar()
    if unit_id is None:
        raise NotFound(f"No current unit has code {area_code!r}; see GET /api/units.", reason="unit_not_found", code=area_code, field="area")
    return int(unit_id)


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"No user {username!r}; see `pishraft users list`.", field="username")
    return user


def create_user(
    session: Session, username: str, password: str, role: str, *, area_code: str | None = None,
    synthetic: bool = False,
) -> User:
    """Create a user; ``area_code`` (a unit code) is required for ``core`` and refused otherwise."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}", username):
        raise InvalidInput("A username has 2–64 letters, digits, '_', '.', '@' or '-'.", reason="bad_username", field="username")
    area = _area_id(session, role, area_code)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"User {username!r} already exists; use `pishraft users set-role` to change it.",
                       reason="user_exists", field="username")
    user = User(username=username, password_hash=hash_password(password), role=role, area_unit_id=area,
                synthetic=synthetic)
    session.add(user)
    session.flush()
    forget_cached()
    audit.did("create", "user", username, name=username, role=role, area=area_code if area else None)
    return user


_USERS = """SELECT u.username, u.role, a.code AS area, u.disabled, u.synthetic, u.created_at
             FROM app_user u LEFT JOIN admin_unit a ON a.id = u.area_unit_id"""


def list_users(session: Session) -> list[dict[str, Any]]:
    """Every user with role, area code and state, by username."""
    return [dict(r) for r in session.execute(text(_USERS + " ORDER BY u.username")).mappings()]


def user_info(session: Session, username: str) -> dict[str, Any]:
    """One user as :func:`list_users` shows it; :class:`NotFound` when there is none."""
    row = session.execute(text(_USERS + " WHERE u.username = :u"), {"u": username}).mappings().first()
    if row is None:
        raise NotFound(f"No user {username!r}; see GET /api/users.", field="username")
    return dict(row)


def set_disabled(session: Session, username: str, disabled: bool = True) -> None:
    """Disable (or enable again) a user; a disabled user's tokens stop working."""
    user = _user(session, username)
    user.disabled = disabled
    user.updated_at = func.now()
    session.flush()
    forget_cached()
    audit.did("edit", "user", username, name=username)


def set_role(session: Session, username: str, role: str, *, area_code: str | None = None) -> None:
    """Change a user's role (and area, for ``core``)."""
    user = _user(session, username)
    user.area_unit_id = _area_id(session, role, area_code)
    user.role = role
    user.updated_at = func.now()
    session.flush()
    forget_cached()
    audit.did("edit", "user", username, name=username, role=role, area=area_code if user.area_unit_id else None)


def set_person(session: Session, username: str, person_id: int | None) -> None:
    """Link a user's account to the person they are (``None``: unlink): the account's home
    page then lists what that person holds that became late or is due soon."""
    user = _user(session, username)
    if person_id is not None and session.execute(
            text("SELECT 1 FROM person WHERE id = :id AND retired_at IS NULL"), {"id": person_id}).first() is None:
        raise NotFound(f"No current person has id {person_id}; find people with GET /api/people.", field="person")
    user.person_id = person_id
    user.updated_at = func.now()
    session.flush()
    audit.did("edit", "user", username, name=username, person=person_id)


def authenticate(session: Session, username: str, password: str) -> Account:
    """The account for a correct username and password; :class:`Unauthorized` otherwise."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = _hasher.verify(password, user.password_hash if user else _dummy_hash())
    if not ok or user is None or user.disabled:
        raise Unauthorized("Wrong username or password, or the account is disabled.", field="username")
    return Account(user.username, user.role, user.area_unit_id)


def _remembered(cache: TTLCache[str, Any], key: str, look_up: Callable[[], Any]) -> Any:
    """``cache[key]``, or ``look_up()`` stored there: the brief cache of every per-request lookup."""
    with _lock:
        if key in cache:
            return cache[key]
    found = look_up()
    with _lock:
        cache[key] = found
    return found


def active_account(session: Session, username: str) -> Account | None:
    """The enabled account named ``username`` (cached briefly), or ``None``."""
    def look_up() -> Account | None:
        row = session.execute(
            text("SELECT username, role, area_unit_id FROM app_user WHERE username = :u AND NOT disabled"),
            {"u": username},
        ).first()
        return Account(row.username, row.role, row.area_unit_id) if row else None

    return _remembered(_accounts, username, look_up)


def revoke_token(session: Session, token: str) -> None:
    """Sign out the session of bearer ``token``: it is refused from now on, by other worker
    processes within :data:`CACHE_TTL_S`. Revocations of expired tokens are dropped."""
    _, expiry = verified_token(token)
    revoke_digest(session, _digest(token), datetime.fromtimestamp(expiry, UTC))


def revoke_digest(session: Session, digest: str, expires_at: datetime) -> None:
    """Revoke the token whose SHA-256 digest is ``digest`` (valid until ``expires_at``), and
    mark its session signed out."""
    session.execute(text("DELETE FROM revoked_token WHERE expires_at < now()"))
    session.execute(text("""INSERT INTO revoked_token (digest, expires_at) VALUES (:d, :e)
                            ON CONFLICT (digest) DO NOTHING"""), {"d": digest, "e": expires_at})
    session.execute(text("UPDATE user_session SET revoked_at = now() WHERE digest = :d AND revoked_at IS NULL"),
                    {"d": digest})
    forget_cached()


def token_revoked(session: Session, token: str) -> bool:
    """Whether bearer ``token`` was signed out (cached briefly)."""
    digest = _digest(token)
    return _remembered(_revoked, digest, lambda: bool(session.execute(
        text("SELECT EXISTS (SELECT 1 FROM revoked_token WHERE digest = :d)"), {"d": digest}).scalar()))


# -- partner keys -----------------------------------------------------------------------
def parse_rate(rate: str) -> float:
    """Requests per second from ``"10/s"``, ``"600/min"`` or ``"5"``.

    Examples
    --------
    >>> parse_rate("600/min")
    10.0
    """
    m = _RATE.match(rate)
    value = float(m.group(1)) if m else 0.0
    if not m or value <= 0:
        raise InvalidInput(f"Rate {rate!r} is not a positive 'N/s' or 'N/min', e.g. 10/s.", reason="bad_rate", field="rate")
    return value / 60 if (m.group(2) or "s").startswith("m") else value


def parse_collections(collections: str) -> list[str] | None:
    """Collection ids from ``"a,b"``; ``"all"`` gives ``None`` (every collection)."""
    names = [c.strip() for c in collections.split(",") if c.strip()]
    if names == ["all"]:
        return None
    bad = [c for c in names if not _COLLECTION.match(c)]
    if not names or bad:
        raise InvalidInput(f"Collections must be 'all' or ids like 'provinces,counties' (bad: {bad or '∅'}).",
                           reason="bad_collections", names=", ".join(bad) or "—", field="collections")
    return names


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, partner: str, collections: list[str] | None, rate_per_s: float, *,
    created_by: str = "system", synthetic: bool = False, key: str | None = None,
) -> str:
    """Create a partner key and return it; this is the only time the full key is seen.

    Keys look like ``pk_<prefix>_<secret>``. ``key`` fixes the key (the demo's, only);
    otherwise it is random.
    """
    if not partner.strip():
        raise InvalidInput("Name the partner, e.g. --partner municipal-portal.", reason="required", field="partner")
    if rate_per_s <= 0:
        raise InvalidInput("The rate must be positive, e.g. 10/s.", reason="bad_rate", field="rate")
    key = key or f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    prefix = key.removeprefix(KEY_PREFIX).split("_", 1)[0]
    if session.execute(select(ApiKey.id).where(ApiKey.prefix == prefix)).first():
        raise Conflict(f"A key with prefix {prefix!r} exists already.", field="key")
    session.add(ApiKey(partner=partner.strip(), prefix=prefix, key_hash=_digest(key), collections=collections,
                       rate_per_s=rate_per_s, created_by=created_by, synthetic=synthetic))
    session.flush()
    forget_cached()
    audit.did("create", "key", prefix, name=partner.strip())
    return key


def list_keys(session: Session) -> list[dict[str, Any]]:
    """Every key (never the secret): prefix, partner, scope, rate, state."""
    rows = session.execute(
        text("""SELECT prefix, partner, collections, rate_per_s, created_at, created_by, revoked_at, synthetic
                FROM api_key ORDER BY created_at, prefix""")
    ).mappings()
    return [dict(r) for r in rows]


def revoke_key(session: Session, prefix: str) -> None:
    """Revoke the key with this prefix (the part after ``pk_``, as ``keys list`` shows)."""
    key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix.removeprefix(KEY_PREFIX))).scalar_one_or_none()
    if key is None:
        raise NotFound(f"No key with prefix {prefix!r}; see `pishraft keys list`.", field="prefix")
    if key.revoked_at is None:
        key.revoked_at = func.now()
    session.flush()
    forget_cached()
    audit.did("revoke", "key", key.prefix, name=key.partner)


def remembered_key(key: str) -> PartnerKey | None:
    """The live key matching ``key`` as :func:`active_key` found it within ``CACHE_TTL_S``, without
    the database; ``None`` when it was not looked up lately, or was unknown or revoked then."""
    with _lock:
        return _keys.get(_digest(key))


def active_key(session: Session, key: str) -> PartnerKey | None:
    """The live (unrevoked) key matching ``key`` (cached briefly), or ``None``."""
    digest = _digest(key)

    def look_up() -> PartnerKey | None:
        row = session.execute(
            text("""SELECT id, partner, prefix, collections, rate_per_s FROM api_key
                    WHERE key_hash = :h AND revoked_at IS NULL"""),
            {"h": digest},
        ).first()
        return (PartnerKey(row.id, row.partner, row.prefix, tuple(row.collections) if row.collections is not None
                           else None, row.rate_per_s) if row else None)

    return _remembered(_keys, digest, look_up)
