"""A home visit's events: in the alarm event log, so they share its global `seq` and reach
clients (live, and by resume) like alarm events."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events as alarm_events
from app.alarm.models import AlarmEvent
from app.auth.models import User
from app.db import utcnow
from app.visit.models import Visit
from app.visit.schemas import VisitRead


async def snapshot(session: AsyncSession, visit: Visit) -> dict[str, Any]:
    """The visit as clients see it, JSON-ready."""
    worker = await session.get(User, visit.user_id)
    return VisitRead(
        id=visit.id, user_id=visit.user_id, office_id=visit.office_id, place=visit.place,
        status=visit.status, due_at=visit.due_at, started_at=visit.started_at,
        ended_at=visit.ended_at, alarm_id=visit.alarm_id,
        user={"id": worker.id, "full_name": worker.full_name},
        expected_end=visit.expected_end, check_in_interval_s=visit.check_in_interval_s,
        position=visit.position, grace_s=visit.grace_s, alarm_at=visit.alarm_at,
        warned_at=visit.warned_at, last_check_in_at=visit.last_check_in_at,
    ).model_dump(mode="json")


async def log_visit_event(session: AsyncSession, *, visit: Visit, type: str,
                          actor: User | None, data: dict[str, Any] | None = None) -> AlarmEvent:
    """Append one event for `visit` (whose changes must already be applied) and publish it to
    the worker and the office's responders and managers after commit."""
    await alarm_events.lock_event_log(session)
    await session.flush()
    event = AlarmEvent(
        alarm_id=None, visit_id=visit.id, office_id=visit.office_id, type=type, at=utcnow(),
        actor_id=actor.id if actor else None, actor_name=actor.full_name if actor else None,
        data={"visit_id": str(visit.id), **(data or {})},
        alarm_snapshot={}, visit_snapshot=await snapshot(session, visit),
    )
    session.add(event)
    await session.flush()
    alarm_events.publish_after_commit(session, event)
    return event
