"""The office's § 5-1 register of incidents, for its safety representatives, managers and
admins: the register's fields, people by role and not by name."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm.models import Alarm, AlarmEvent, AlarmResponder
from app.audit import service as audit_service
from app.auth.labels import RAISER, RESPONDER
from app.auth.models import User
from app.errors import Forbidden
from app.incident.models import Debrief, FollowUpTask, Incident
from app.org.models import Office, Room


def require_register_reader(user: User, office_id: uuid.UUID) -> None:
    if user.has_role("admin"):
        return
    if not (user.has_role("safety_rep", "manager") and user.office_id == office_id):
        raise Forbidden("the register is for the office's safety representatives, managers "
                        "and admins")


async def _people(session: AsyncSession, alarm: Alarm) -> list[dict[str, Any]]:
    people = [{"role": RAISER, "part": "raised", "at": alarm.raised_at}]
    if alarm.anonymised_at is not None:
        # The links to people are gone; the anonymised snapshot still tells who came, by role.
        stored = await session.scalar(
            select(AlarmEvent.alarm_snapshot).where(AlarmEvent.alarm_id == alarm.id)
            .order_by(AlarmEvent.seq.desc()).limit(1)) or {}
        answers = [(r["full_name"], r["acknowledged_at"]) for r in stored.get("responders", [])]
    else:
        rows = await session.scalars(select(AlarmResponder).where(
            AlarmResponder.alarm_id == alarm.id).order_by(AlarmResponder.acknowledged_at))
        answers = [(RESPONDER, r.acknowledged_at) for r in rows.all()]
    people += [{"role": role, "part": "acknowledged", "at": at} for role, at in answers]
    return people


async def _count(session: AsyncSession, query: Any) -> dict[uuid.UUID, int]:
    return dict((await session.execute(query)).all())


async def read_register(session: AsyncSession, *, office: Office, user: User,
                        since: datetime | None, until: datetime | None,
                        limit: int) -> list[dict[str, Any]]:
    """Register entries newest first; the read is one audit entry, whatever its length."""
    require_register_reader(user, office.id)
    query = (select(Incident, Alarm, Room.name).join(Alarm, Alarm.id == Incident.alarm_id)
             .outerjoin(Room, Room.id == Alarm.room_id).where(Incident.office_id == office.id))
    if since is not None:
        query = query.where(Incident.occurred_at >= since)
    if until is not None:
        query = query.where(Incident.occurred_at < until)
    rows = (await session.execute(query.order_by(Incident.occurred_at.desc()).limit(limit))).all()
    ids = [incident.alarm_id for incident, _, _ in rows]
    held = await _count(session, select(Debrief.alarm_id, func.count()).where(
        Debrief.alarm_id.in_(ids), Debrief.held_at.is_not(None)).group_by(Debrief.alarm_id))
    open_tasks = await _count(session, select(FollowUpTask.alarm_id, func.count()).where(
        FollowUpTask.alarm_id.in_(ids), FollowUpTask.done_at.is_(None))
        .group_by(FollowUpTask.alarm_id))
    entries = [{
        "alarm_id": alarm.id, "office_id": office.id, "occurred_at": incident.occurred_at,
        "level": alarm.level, "room": room, "closed_at": alarm.closed_at,
        "work_activity": incident.work_activity,
        "sequence_of_events": incident.sequence_of_events,
        "presumed_causes": incident.presumed_causes, "injury": incident.injury,
        "police_notified": incident.police_notified,
        "labour_inspection_notified_at": incident.labour_inspection_notified_at,
        "police_notified_at": incident.police_notified_at,
        "deviation_ref": incident.deviation_ref, "people": await _people(session, alarm),
        "debriefs_held": held.get(alarm.id, 0), "tasks_open": open_tasks.get(alarm.id, 0),
        "anonymised": alarm.anonymised_at is not None,
    } for incident, alarm, room in rows]
    await audit_service.record(session, actor=user, action="incident_register.read",
                               object_type="office", object_id=office.id, office_id=office.id,
                               detail={"entries": len(entries)})
    return entries
