import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

PENDING, SENDING, ACCEPTED, FAILED, EXPIRED, CANCELLED = (
    "pending", "sending", "accepted", "failed", "expired", "cancelled")
FOLLOW_UP = "followup"  # the text after a cancel or resolve; sent and logged as an sms


def channel_of(kind: str) -> str:
    """The channel a row goes out on, and the prefix of its events: sms or voice."""
    return "sms" if kind == FOLLOW_UP else kind


class Notification(Base):
    """Outbox row: one text or call to one person about one alarm, written in the same
    transaction as its cause and drained by the dispatcher (so a restart loses nothing)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("alarm_id", "user_id", "kind"),
        Index("ix_notification_due", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarm.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(8))  # sms | voice | followup
    tier: Mapped[int] = mapped_column(default=0)
    to: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)  # the text, or the TwiML of a call
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    provider_status: Mapped[str | None] = mapped_column(String(20))
    last_error_code: Mapped[str | None] = mapped_column(String(12))


class TwilioCallback(Base):
    """A status callback already taken, so a repeated one adds nothing."""

    __tablename__ = "twilio_callback"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
