import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Office(Base):
    __tablename__ = "office"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    ack_timeout_s: Mapped[int] = mapped_column(default=30)
    min_responders_online: Mapped[int] = mapped_column(default=2)
    # Days after an alarm closes before its personal data is anonymised; None: the server's
    # default (TRYGG_RETENTION_DAYS).
    retention_days: Mapped[int | None]
    # Home visits: how long after a missed check-in the office is alarmed.
    visit_grace_s: Mapped[int] = mapped_column(default=120)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Room(Base):
    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("office_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("office.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
