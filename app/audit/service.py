"""The access log: who read which personal data, and when."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.auth.models import User
from app.db import utcnow


async def record(session: AsyncSession, *, actor: User, action: str, object_type: str,
                 object_id: uuid.UUID, office_id: uuid.UUID | None) -> AuditEntry:
    """Store one access; it is committed with the request that made it."""
    entry = AuditEntry(at=utcnow(), actor_id=actor.id, action=action, object_type=object_type,
                       object_id=object_id, office_id=office_id)
    session.add(entry)
    await session.flush()
    return entry


async def list_entries(session: AsyncSession, *, user: User, object_id: uuid.UUID | None,
                       office_id: uuid.UUID | None, limit: int) -> Sequence[tuple[AuditEntry, str]]:
    """Entries newest first, with the actor's name: an admin sees all, a manager their office's."""
    query = select(AuditEntry, User.full_name).join(User, User.id == AuditEntry.actor_id)
    if not user.has_role("admin"):
        query = query.where(AuditEntry.office_id == user.office_id)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if office_id is not None:
        query = query.where(AuditEntry.office_id == office_id)
    rows = await session.execute(query.order_by(AuditEntry.at.desc()).limit(limit))
    return [(entry, name) for entry, name in rows.all()]
