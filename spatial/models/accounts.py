"""Accounts: people who sign in (users) and partner systems that present keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base
from spatial.roles import ROLES


class User(Base):
    """A person with a role. Progress-core members (``core``) carry the unit of their area."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(f"role in ({', '.join(repr(r) for r in ROLES)})", name="role_known"),
        CheckConstraint("username ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$'", name="username_safe"),
        # A core member always has an area, and nobody else has one.
        CheckConstraint("(role = 'core') = (area_unit_id is not null)", name="area_iff_core"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    area_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id", ondelete="RESTRICT"))
    # The person this account is (responsible for actions, member of cores): their inbox.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))


class ApiKey(Base):
    """A partner's key: stored as a SHA-256 digest, scoped to collections, rate limited.

    ``collections`` NULL means every collection. ``prefix`` is the public part shown
    in listings and used to revoke; the secret part is never stored.
    """

    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint("rate_per_s > 0", name="rate_positive"),
        CheckConstraint("partner <> ''", name="partner_named"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(Text, nullable=False)
    prefix: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    collections: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    rate_per_s: Mapped[float] = mapped_column(Float, nullable=False)
    synthetic: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    created_by: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'system'"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevokedToken(Base):
    """A bearer token signed out before its expiry: its SHA-256 digest, kept until it expires."""

    __tablename__ = "revoked_token"

    digest: Mapped[str] = mapped_column(Text, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class RateBucket(Base):
    """A partner key's token bucket, shared by every app process: ``tokens`` as of
    ``refilled_at`` (see :mod:`spatial.accounts.ratelimit`)."""

    __tablename__ = "rate_bucket"

    key_id: Mapped[int] = mapped_column(Integer, ForeignKey("api_key.id", ondelete="CASCADE"), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float, nullable=False)
    refilled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class SignInFailure(Base):
    """Wrong passwords in a row for one account or one client address (``kind``), the
    last one's time, and the lock they brought (see :mod:`spatial.accounts.signin`)."""

    __tablename__ = "signin_failure"
    __table_args__ = (CheckConstraint("kind in ('account', 'address')", name="kind_known"),)

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    subject: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A signed-in session: the SHA-256 digest of its token, whose it is, from where, until when."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    digest: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    client: Mapped[str | None] = mapped_column(Text)
    agent: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
class FormToken(Base):
    """A form sent once: the one-time token a workspace form carried, and the page its
    change led to, kept so that the same form sent again leads there instead of changing
    anything twice (see :mod:`spatial.accounts.form_tokens`)."""

    __tablename__ = "form_token"

    token: Mapped[str] = mapped_column(Text, primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
