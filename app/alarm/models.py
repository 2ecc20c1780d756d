import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

LEVELS = ("yellow", "red")
MODES = ("real", "drill", "test")
OPEN_STATUSES = ("active", "responding")
CLOSED_STATUSES = ("resolved", "cancelled")


class Alarm(Base):
    __tablename__ = "alarm"
    __table_args__ = (Index("ix_alarm_office_raised", "office_id", "raised_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("office.id"))
    level: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), index=True)
    silent: Mapped[bool] = mapped_column(default=False)
    raised_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("device.id"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room.id"))
    location_note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[dict | None]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_ack_at: Mapped[datetime | None]
    # Escalation: the tier reached so far, and when the next one is due (None: no more).
    escalation_tier: Mapped[int] = mapped_column(default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the retention job took the people out of it (app/privacy/retention.py).
    anonymised_at: Mapped[datetime | None]
    # The home visit whose timer raised this alarm (no foreign key: the visit points here).
    visit_id: Mapped[uuid.UUID | None] = mapped_column(index=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


ROLES = ("go", "police", "reception")


class AlarmResponder(Base):
    """A user who answered, and what they do: go to the room, call the police, or clear the
    reception."""

    __tablename__ = "alarm_responder"

    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarm.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(12), default="app")
    role: Mapped[str] = mapped_column(String(12), default="go")


class AlarmDelivery(Base):
    """First time an alarm reached a user on a channel; the event log holds every receipt."""

    __tablename__ = "alarm_delivery"

    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarm.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(12), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlarmEvent(Base):
    """Append-only log. `seq` is the contract's global, strictly growing event number.

    `alarm_snapshot` is the alarm as it stood right after this event, so a replay sends exactly
    what a live client saw. A home visit's events share the log (and so the `seq`): they have
    `visit_id` and `visit_snapshot` instead of an alarm.
    """

    __tablename__ = "alarm_event"
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    alarm_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alarm.id"), index=True)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit.id"), index=True)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("office.id"))
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(default=dict)
    alarm_snapshot: Mapped[dict] = mapped_column(default=dict)
    visit_snapshot: Mapped[dict | None]
