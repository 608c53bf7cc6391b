"""Notifications: which item was already e-mailed to whom, so each is mailed once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from spatial.models.base import Base

#: An action became late (its end date passed), or is due within the notice period.
NOTICE_KINDS: tuple[str, ...] = ("late", "due")


class NotificationSent(Base):
    """One item of a daily e-mail, sent to ``recipient`` on ``sent_on`` (the notifier's day).

    An item is an action in one state (``kind``) for one end date: a moved end date makes a
    new item, so the new date is mailed again; the same one never is.
    """

    __tablename__ = "notification_sent"
    __table_args__ = (
        CheckConstraint("kind in ('late', 'due')", name="kind_known"),
        UniqueConstraint("recipient", "action_id", "kind", "due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(Text, nullable=False)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    sent_on: Mapped[date] = mapped_column(Date, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
