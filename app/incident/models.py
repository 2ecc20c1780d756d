import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

INJURIES = ("none", "minor", "serious")


class Incident(Base):
    """The Working Environment Act § 5-1 register entry for one closed real alarm."""

    __tablename__ = "incident"

    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarm.id"), primary_key=True)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("office.id"), index=True)
    occurred_at: Mapped[datetime]
    work_activity: Mapped[str] = mapped_column(Text, default="")
    sequence_of_events: Mapped[str] = mapped_column(Text, default="")
    presumed_causes: Mapped[str] = mapped_column(Text, default="")
    injury: Mapped[str] = mapped_column(String(10), default="none")
    police_notified: Mapped[bool] = mapped_column(default=False)
    deviation_ref: Mapped[str | None] = mapped_column(String(200))
    # § 5-2: a serious injury is reported at once to the Labour Inspection and the police.
    labour_inspection_notified_at: Mapped[datetime | None]
    police_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))


class Debrief(Base):
    """A conversation with the people involved, due 1 to 3 days after the alarm closed."""

    __tablename__ = "incident_debrief"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.alarm_id"), index=True)
    scheduled_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]
    participants: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUpTask(Base):
    __tablename__ = "incident_task"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.alarm_id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
