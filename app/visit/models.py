import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

ACTIVE, ENDED, OVERDUE = "active", "ended", "overdue"
STATUSES = (ACTIVE, ENDED, OVERDUE)


class Visit(Base):
    """A home visit with its lone-worker timer. The deadlines live in the row, so the timer of
    any server process finds them, also after a restart.

    `due_at`: the next check-in or the end is due (the worker is warned, `warned_at`);
    `alarm_at`: `grace_s` later, the office is alarmed unless the worker checked in, ended or
    extended by then.
    """

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_status_due", "status", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("office.id"), index=True)
    place: Mapped[str] = mapped_column(Text)
    position: Mapped[dict | None]
    check_in_interval_s: Mapped[int | None]
    grace_s: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    expected_end: Mapped[datetime]
    due_at: Mapped[datetime]
    alarm_at: Mapped[datetime]
    warned_at: Mapped[datetime | None]
    last_check_in_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    alarm_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alarm.id"))
