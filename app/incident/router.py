import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.alarm.dependencies import CurrentAlarm
from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.incident import register, service
from app.incident.schemas import (
    DebriefCreate,
    DebriefRead,
    DebriefUpdate,
    IncidentRead,
    IncidentUpdate,
    RegisterEntry,
    TaskCreate,
    TaskRead,
    TaskUpdate,
)
from app.org.router import VisibleOffice
from app.validation import Time

router = APIRouter(tags=["incidents"])


def _one(items: list[dict], item_id: uuid.UUID) -> dict:
    return next(i for i in items if i["id"] == item_id)


@router.get("/alarms/{alarm_id}/incident", response_model=IncidentRead)
async def read_incident(alarm: CurrentAlarm, session: SessionDep, user: CurrentUser) -> dict:
    """The register entry of a closed real alarm (blank until saved), its debriefs and tasks.
    For the office's managers and admins; every read is written to the audit log."""
    return await service.read(session, alarm=alarm, user=user)


@router.put("/alarms/{alarm_id}/incident", response_model=IncidentRead)
async def save_incident(alarm: CurrentAlarm, payload: IncidentUpdate, session: SessionDep,
                        user: CurrentUser) -> dict:
    """Create or replace the register entry (Working Environment Act § 5-1)."""
    await service.save(session, alarm=alarm, user=user, payload=payload)
    return await service.render(session, alarm=alarm)


@router.post("/alarms/{alarm_id}/incident/debriefs", response_model=DebriefRead,
             status_code=status.HTTP_201_CREATED)
async def add_debrief(alarm: CurrentAlarm, payload: DebriefCreate, session: SessionDep,
                      user: CurrentUser) -> dict:
    """Plan a debrief with the people involved (due 1 to 3 days after the alarm closed)."""
    debrief = await service.add_debrief(session, alarm=alarm, user=user, payload=payload)
    return _one((await service.render(session, alarm=alarm))["debriefs"], debrief.id)


@router.patch("/alarms/{alarm_id}/incident/debriefs/{debrief_id}", response_model=DebriefRead)
async def update_debrief(alarm: CurrentAlarm, debrief_id: uuid.UUID, payload: DebriefUpdate,
                         session: SessionDep, user: CurrentUser) -> dict:
    """Reschedule a debrief, or record that it was held (`held_at`) and its notes."""
    await service.update_debrief(session, alarm=alarm, user=user, debrief_id=debrief_id,
                                 payload=payload)
    return _one((await service.render(session, alarm=alarm))["debriefs"], debrief_id)


@router.post("/alarms/{alarm_id}/incident/tasks", response_model=TaskRead,
             status_code=status.HTTP_201_CREATED)
async def add_task(alarm: CurrentAlarm, payload: TaskCreate, session: SessionDep,
                   user: CurrentUser) -> dict:
    """A follow-up task with an owner from the alarm's office."""
    task = await service.add_task(session, alarm=alarm, user=user, payload=payload)
    return _one((await service.render(session, alarm=alarm))["tasks"], task.id)


@router.patch("/alarms/{alarm_id}/incident/tasks/{task_id}", response_model=TaskRead)
async def update_task(alarm: CurrentAlarm, task_id: uuid.UUID, payload: TaskUpdate,
                      session: SessionDep, user: CurrentUser) -> dict:
    """Change a task, or mark it done (`done`)."""
    await service.update_task(session, alarm=alarm, user=user, task_id=task_id, payload=payload)
    return _one((await service.render(session, alarm=alarm))["tasks"], task_id)


@router.get("/offices/{office_id}/incident-register", response_model=list[RegisterEntry])
async def read_register(office: VisibleOffice, session: SessionDep, user: CurrentUser,
                        since: Time | None = None, until: Time | None = None,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    """The office's Working Environment Act § 5-1 register, newest first: for its safety
    representatives (verneombud), managers and admins. People are shown by role, not name;
    debrief notes, task owners, notes, positions and phone numbers are left out. Every read
    is written to the audit log."""
    return await register.read_register(session, office=office, user=user, since=since,
                                        until=until, limit=limit)
