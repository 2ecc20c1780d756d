import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

PENDING, SENDING, ACCEPTED, GONE, FAILED, EXPIRED = (
    "pending", "sending", "accepted", "gone", "failed", "expired")


class PushSubscription(Base):
    """A browser's push subscription (`PushSubscription.toJSON()`), owned by one user."""

    __tablename__ = "push_subscription"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_accepted_at: Mapped[datetime | None]


class PushMessage(Base):
    """Outbox row: one push to one subscription, written in the same transaction as its cause
    and drained by the dispatcher. `subscription_id` turns null when the subscription goes; the
    row stays as the record of whom the alarm was pushed to."""

    __tablename__ = "push_message"
    __table_args__ = (Index("ix_push_message_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    alarm_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alarm.id"), index=True)
    topic: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # the JSON to encrypt, at most 3,800 bytes
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_http_status: Mapped[int | None]
