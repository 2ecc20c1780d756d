import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.alarm import events, service
from app.alarm.dependencies import CurrentAlarm
from app.alarm.models import OPEN_STATUSES
from app.alarm.schemas import (
    AlarmAcknowledge,
    AlarmCancel,
    AlarmCreate,
    AlarmPage,
    AlarmRead,
    AlarmResolve,
    AlarmUpgrade,
    AlarmWithEvents,
    Level,
    Mode,
    Status,
)
from app.audit import service as audit_service
from app.auth.dependencies import CurrentPrincipal, CurrentUser
from app.db import SessionDep
from app.validation import Time

router = APIRouter(tags=["alarms"])


@router.post(
    "/alarms", response_model=AlarmRead, status_code=status.HTTP_201_CREATED,
    responses={200: {"model": AlarmRead, "description": "A retry with a known id: stored before"}},
)
async def raise_alarm(payload: AlarmCreate, response: Response,
                      session: SessionDep, principal: CurrentPrincipal) -> dict:
    """Store an alarm, its tier-0 texts and its escalation deadline; the office's responders
    are notified once it is committed."""
    alarm, raised = await service.raise_alarm(session, principal=principal, payload=payload)
    if raised is None:
        response.status_code = status.HTTP_200_OK
        return await events.snapshot(session, alarm)
    return raised.alarm_snapshot


@router.get("/alarms", response_model=AlarmPage)
async def list_alarms(
    session: SessionDep,
    user: CurrentUser,
    office_id: uuid.UUID | None = None,
    status: Status | None = None,
    level: Level | None = None,
    mode: Mode | None = None,
    since: Time | None = None,
    until: Time | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict:
    """Alarms the caller may see, newest first. A history read (anything but the open alarms
    of the live board, `status=active|responding`) is written to the audit log."""
    alarms, next_cursor = await service.list_alarms(
        session, user=user, office_id=office_id, status=status, level=level, mode=mode,
        since=since, until=until, limit=limit, cursor=cursor,
    )
    if status not in OPEN_STATUSES:
        scope = office_id or (None if user.has_role("admin") else user.office_id)
        await audit_service.record(session, actor=user, action="alarms.list",
                                   object_type="office", object_id=scope, office_id=scope,
                                   detail={"alarms": len(alarms)})
    return {"items": [await events.snapshot(session, a) for a in alarms],
            "next_cursor": next_cursor}


@router.get("/alarms/{alarm_id}", response_model=AlarmWithEvents)
async def read_alarm(alarm: CurrentAlarm, session: SessionDep, user: CurrentUser) -> dict:
    """The alarm and its whole timeline; the read is written to the audit log."""
    rows = await service.list_events(session, alarm=alarm)
    await audit_service.record(session, actor=user, action="alarm.read", object_type="alarm",
                               object_id=alarm.id, office_id=alarm.office_id)
    return {**await events.snapshot(session, alarm),
            "events": [events.event_read(row) for row in rows]}


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmRead)
async def acknowledge(alarm: CurrentAlarm, payload: AlarmAcknowledge, session: SessionDep,
                      user: CurrentUser) -> dict:
    """"I'm coming", "I am calling the police" or "I am clearing the reception" (`role`; left
    out: the role still missing). Counts as a delivery to the caller. Repeating it is harmless;
    another role changes the caller's role."""
    alarm = await service.acknowledge(session, alarm=alarm, user=user, role=payload.role)
    return await events.snapshot(session, alarm)


@router.post("/alarms/{alarm_id}/upgrade", response_model=AlarmRead)
async def upgrade(alarm: CurrentAlarm, payload: AlarmUpgrade, session: SessionDep,
                  user: CurrentUser) -> dict:
    alarm = await service.upgrade(session, alarm=alarm, user=user, level=payload.level)
    return await events.snapshot(session, alarm)


@router.post("/alarms/{alarm_id}/cancel", response_model=AlarmRead)
async def cancel(alarm: CurrentAlarm, payload: AlarmCancel, session: SessionDep,
                 user: CurrentUser) -> dict:
    alarm = await service.cancel(session, alarm=alarm, user=user, reason=payload.reason)
    return await events.snapshot(session, alarm)


@router.post("/alarms/{alarm_id}/resolve", response_model=AlarmRead)
async def resolve(alarm: CurrentAlarm, payload: AlarmResolve, session: SessionDep,
                  user: CurrentUser) -> dict:
    alarm = await service.resolve(session, alarm=alarm, user=user, summary=payload.summary)
    return await events.snapshot(session, alarm)
