"""The access log: who read which personal data, and when."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.auth.models import User
from app.db import utcnow
from app.org.models import Office

SYSTEM_ACTOR = "trygg (server or command line)"


async def record(session: AsyncSession, *, actor: User | None, action: str, object_type: str,
                 object_id: uuid.UUID | None, office_id: uuid.UUID | None,
                 detail: dict[str, Any] | None = None) -> AuditEntry:
    """Store one access (one row per request, however many items it returned); it is
    committed with the request that made it. `actor` None: the server or the command line.
    A filter naming an office that does not exist is still recorded, without the link."""
    if office_id is not None and await session.get(Office, office_id) is None:
        detail = {**(detail or {}), "unknown_office_id": str(office_id)}
        office_id = None
        if object_type == "office":
            object_id = None
    entry = AuditEntry(at=utcnow(), actor_id=actor.id if actor else None, action=action,
                       object_type=object_type, object_id=object_id, office_id=office_id,
                       detail=detail)
    session.add(entry)
    await session.flush()
    return entry


async def list_entries(session: AsyncSession, *, user: User, object_id: uuid.UUID | None,
                       office_id: uuid.UUID | None, limit: int,
                       action: str | None = None) -> Sequence[tuple[AuditEntry, str]]:
    """Entries newest first, with the actor's name: an admin sees all, a manager their office's."""
    query = select(AuditEntry, User.full_name).outerjoin(User, User.id == AuditEntry.actor_id)
    if not user.has_role("admin"):
        query = query.where(AuditEntry.office_id == user.office_id)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if office_id is not None:
        query = query.where(AuditEntry.office_id == office_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    rows = await session.execute(query.order_by(AuditEntry.at.desc()).limit(limit))
    return [(entry, name or SYSTEM_ACTOR) for entry, name in rows.all()]
