"""Incident follow-up of a closed real alarm: the § 5-1 register entry, debriefs, tasks."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import policy
from app.alarm.models import Alarm
from app.alarm.policy import Viewer
from app.audit import service as audit_service
from app.auth.models import User
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.incident.models import Debrief, FollowUpTask, Incident
from app.incident.schemas import (
    DebriefCreate,
    DebriefUpdate,
    IncidentUpdate,
    TaskCreate,
    TaskUpdate,
)

DEBRIEF_FROM = timedelta(days=1)
DEBRIEF_BY = timedelta(days=3)


def require_follow_up_role(user: User, alarm: Alarm) -> None:
    """Full incident detail is for the office's managers and for admins."""
    if not policy.may_follow_up(Viewer.of(user), alarm.office_id):
        raise Forbidden("incident follow-up is for the office's managers and admins")


def _require_followable(alarm: Alarm) -> None:
    if alarm.is_open:
        raise Conflict("the alarm is still open", code="alarm_open")
    if alarm.mode != "real":
        raise Conflict(f"a {alarm.mode} alarm has no incident follow-up", code="not_a_real_alarm")


async def _incident(session: AsyncSession, alarm: Alarm) -> Incident | None:
    return await session.get(Incident, alarm.id)


async def _require_incident(session: AsyncSession, alarm: Alarm) -> Incident:
    incident = await _incident(session, alarm)
    if incident is None:
        raise Conflict("record the incident first", code="incident_not_recorded")
    return incident


async def _office_user(session: AsyncSession, user_id: uuid.UUID, office_id: uuid.UUID,
                       field: str) -> User:
    user = await session.get(User, user_id)
    if user is None or user.office_id != office_id:
        raise InvalidInput([{"field": field, "msg": "unknown user in the alarm's office"}])
    return user


def _check_times(payload: Any, alarm: Alarm, fields: tuple[str, ...]) -> None:
    now = utcnow()
    errors = []
    for field in fields:
        value = getattr(payload, field, None)
        if value is None:
            continue
        if field in ("occurred_at", "labour_inspection_notified_at", "police_notified_at",
                     "held_at") and value > now + timedelta(minutes=5):
            errors.append({"field": field, "msg": "may not be in the future"})
        elif value < alarm.raised_at - timedelta(days=1):
            errors.append({"field": field, "msg": "may not be long before the alarm"})
    if errors:
        raise InvalidInput(errors)


async def _audit(session: AsyncSession, user: User, alarm: Alarm, action: str) -> None:
    await audit_service.record(session, actor=user, action=action, object_type="incident",
                               object_id=alarm.id, office_id=alarm.office_id)


async def read(session: AsyncSession, *, alarm: Alarm, user: User) -> dict[str, Any]:
    """The incident as the API shows it; the read is written to the audit log."""
    require_follow_up_role(user, alarm)
    _require_followable(alarm)
    await _audit(session, user, alarm, "incident.read")
    return await render(session, alarm=alarm)


async def render(session: AsyncSession, *, alarm: Alarm) -> dict[str, Any]:
    incident = await _incident(session, alarm)
    now = utcnow()
    closed = alarm.closed_at or alarm.raised_at
    due_from, due_by = closed + DEBRIEF_FROM, closed + DEBRIEF_BY
    debriefs = (await session.scalars(
        select(Debrief).where(Debrief.alarm_id == alarm.id).order_by(Debrief.created_at))).all()
    tasks = (await session.execute(
        select(FollowUpTask, User.full_name).join(User, User.id == FollowUpTask.owner_id)
        .where(FollowUpTask.alarm_id == alarm.id).order_by(FollowUpTask.created_at))).all()
    held = any(d.held_at is not None for d in debriefs)
    injury = incident.injury if incident else "none"
    li_at = incident.labour_inspection_notified_at if incident else None
    police_at = incident.police_notified_at if incident else None
    serious = injury == "serious"
    updated_by = await session.get(User, incident.updated_by_id) if incident else None
    return {
        "alarm_id": alarm.id,
        "office_id": alarm.office_id,
        "recorded": incident is not None,
        "occurred_at": incident.occurred_at if incident else alarm.raised_at,
        "work_activity": incident.work_activity if incident else "",
        "sequence_of_events": incident.sequence_of_events if incident else "",
        "presumed_causes": incident.presumed_causes if incident else "",
        "injury": injury,
        "police_notified": incident.police_notified if incident else False,
        "deviation_ref": incident.deviation_ref if incident else None,
        "labour_inspection_notified_at": li_at,
        "police_notified_at": police_at,
        "notification_duty": {
            "required": serious, "labour_inspection_done": li_at is not None,
            "police_done": police_at is not None,
            "outstanding": serious and (li_at is None or police_at is None),
        },
        "debrief_due_from": due_from,
        "debrief_due_by": due_by,
        "debrief_overdue": incident is not None and not held and now > due_by,
        "debriefs": [{
            "id": d.id, "alarm_id": d.alarm_id, "scheduled_at": d.scheduled_at,
            "held_at": d.held_at, "participants": d.participants, "notes": d.notes,
            "created_at": d.created_at, "overdue": d.held_at is None and now > due_by,
        } for d in debriefs],
        "tasks": [{
            "id": t.id, "alarm_id": t.alarm_id, "title": t.title,
            "owner": {"id": t.owner_id, "full_name": name}, "due_at": t.due_at,
            "done_at": t.done_at, "created_at": t.created_at,
            "overdue": t.done_at is None and t.due_at is not None and now > t.due_at,
        } for t, name in tasks],
        "updated_at": incident.updated_at if incident else None,
        "updated_by": ({"id": updated_by.id, "full_name": updated_by.full_name}
                       if updated_by else None),
    }


async def save(session: AsyncSession, *, alarm: Alarm, user: User,
               payload: IncidentUpdate) -> Incident:
    """Store (create or replace) the register entry."""
    require_follow_up_role(user, alarm)
    _require_followable(alarm)
    _check_times(payload, alarm, ("occurred_at", "labour_inspection_notified_at",
                                  "police_notified_at"))
    values = payload.model_dump()
    values["police_notified"] = values["police_notified"] or payload.police_notified_at is not None
    values["deviation_ref"] = values["deviation_ref"] or None
    incident = await _incident(session, alarm)
    now = utcnow()
    if incident is None:
        incident = Incident(alarm_id=alarm.id, office_id=alarm.office_id, created_at=now)
        session.add(incident)
    for field, value in values.items():
        setattr(incident, field, value)
    incident.updated_at, incident.updated_by_id = now, user.id
    await session.flush()
    await _audit(session, user, alarm, "incident.update")
    return incident


async def add_debrief(session: AsyncSession, *, alarm: Alarm, user: User,
                      payload: DebriefCreate) -> Debrief:
    require_follow_up_role(user, alarm)
    _require_followable(alarm)
    await _require_incident(session, alarm)
    _check_times(payload, alarm, ("scheduled_at",))
    debrief = Debrief(alarm_id=alarm.id, scheduled_at=payload.scheduled_at,
                      participants=payload.participants, notes=payload.notes, created_at=utcnow())
    session.add(debrief)
    await session.flush()
    await _audit(session, user, alarm, "incident.update")
    return debrief


async def update_debrief(session: AsyncSession, *, alarm: Alarm, user: User,
                         debrief_id: uuid.UUID, payload: DebriefUpdate) -> Debrief:
    require_follow_up_role(user, alarm)
    debrief = await session.get(Debrief, debrief_id)
    if debrief is None or debrief.alarm_id != alarm.id:
        raise NotFound("no such debrief")
    _check_times(payload, alarm, ("scheduled_at", "held_at"))
    changes = payload.model_dump(exclude_unset=True)
    for field in ("participants", "notes"):
        if field in changes and changes[field] is None:
            raise InvalidInput([{"field": field, "msg": "may not be null"}])
    for field, value in changes.items():
        setattr(debrief, field, value)
    await session.flush()
    await _audit(session, user, alarm, "incident.update")
    return debrief


async def add_task(session: AsyncSession, *, alarm: Alarm, user: User,
                   payload: TaskCreate) -> FollowUpTask:
    require_follow_up_role(user, alarm)
    _require_followable(alarm)
    await _require_incident(session, alarm)
    await _office_user(session, payload.owner_id, alarm.office_id, "owner_id")
    task = FollowUpTask(alarm_id=alarm.id, title=payload.title, owner_id=payload.owner_id,
                        due_at=payload.due_at, created_at=utcnow())
    session.add(task)
    await session.flush()
    await _audit(session, user, alarm, "incident.update")
    return task


async def update_task(session: AsyncSession, *, alarm: Alarm, user: User, task_id: uuid.UUID,
                      payload: TaskUpdate) -> FollowUpTask:
    require_follow_up_role(user, alarm)
    task = await session.get(FollowUpTask, task_id)
    if task is None or task.alarm_id != alarm.id:
        raise NotFound("no such task")
    changes = payload.model_dump(exclude_unset=True)
    for field in ("title", "owner_id", "done"):
        if field in changes and changes[field] is None:
            raise InvalidInput([{"field": field, "msg": "may not be null"}])
    if "owner_id" in changes:
        await _office_user(session, changes["owner_id"], alarm.office_id, "owner_id")
    if "done" in changes:
        done = changes.pop("done")
        task.done_at = (task.done_at or utcnow()) if done else None
    for field, value in changes.items():
        setattr(task, field, value)
    await session.flush()
    await _audit(session, user, alarm, "incident.update")
    return task
