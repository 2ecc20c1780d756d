import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class AuditEntry(Base):
    """One access to personal data (an incident read, an export, an anonymisation): who, what,
    when. Append-only: one row per request, however many items it returned."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the server itself or the `trygg` command line (retention, a person export).
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    # None: a read across every office (an admin's export, say).
    object_id: Mapped[uuid.UUID | None]
    office_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("office.id"))
    # What was read, in a few words: filters and how many items, never the data itself.
    detail: Mapped[dict | None]
