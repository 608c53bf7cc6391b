"""The audit log: one row per write request (and login), whatever its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base


class AuditEntry(Base):
    """Who (username, role, partner) did what (method, route, target) when, from where, with what outcome.

    ``route`` is the route template (``/api/users/{username}``), ``target`` its path
    parameters (the object written). Query strings are never stored: they may carry keys.
    What the write did, for the audit page's sentence, is said where the change is made
    (:func:`spatial.accounts.audit.describe`): ``action`` (``create``, ``edit`` …),
    ``object_kind`` and ``object_id`` (the object, for its link) and ``words`` (what the
    sentence names: the object's title, a role, an area code). Empty for older entries.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_username_at", "username", "at"),
        Index("ix_audit_log_object", "object_kind", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    username: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    method: Mapped[str] = mapped_column(Text, nullable=False)
    route: Mapped[str] = mapped_column(Text, nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    target: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    client: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    object_kind: Mapped[str | None] = mapped_column(Text)
    object_id: Mapped[str | None] = mapped_column(Text)
    words: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
