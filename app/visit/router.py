import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.alarm import events as alarm_events
from app.alarm.schemas import EventRead
from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.visit import events, service
from app.visit.models import Visit
from app.visit.schemas import VisitCheckIn, VisitCreate, VisitExtend, VisitPage, VisitRead

router = APIRouter(tags=["home visits"])


async def get_current_visit(visit_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Visit:
    """The visit in the path, if the caller may see it; otherwise 404."""
    return await service.get_visible(session, visit_id=visit_id, user=user)


CurrentVisit = Annotated[Visit, Depends(get_current_visit)]


@router.post(
    "/visits", response_model=VisitRead, status_code=status.HTTP_201_CREATED,
    responses={200: {"model": VisitRead, "description": "A retry with a known id: stored before"}},
)
async def start_visit(payload: VisitCreate, request: Request, response: Response,
                      session: SessionDep, user: CurrentUser) -> dict:
    """Start a home visit: the worker is warned when a check-in or the end is due, and the
    office gets a red alarm for them when the office's `visit_grace_s` passes after that with
    no check-in, end or extension. Needs role `staff`; idempotent on `id`."""
    visit, new = await service.start(
        session, user=user, payload=payload,
        grace_override_s=request.app.state.settings.visit_grace_override_s)
    if not new:
        response.status_code = status.HTTP_200_OK
    return await events.snapshot(session, visit)


@router.get("/visits", response_model=VisitPage)
async def list_visits(
    session: SessionDep, user: CurrentUser,
    status: Literal["active", "overdue", "ended", "open"] | None = Query(None, description=(
        "open: active, or overdue with the alarm still open (the live board).")),
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict:
    """The caller's own visits, or the office's for responders and managers; newest first."""
    visits = await service.list_visits(session, user=user, status=status, limit=limit)
    return {"items": [await events.snapshot(session, v) for v in visits]}


@router.get("/visits/{visit_id}", response_model=VisitRead)
async def read_visit(visit: CurrentVisit, session: SessionDep) -> dict:
    return await events.snapshot(session, visit)


@router.get("/visits/{visit_id}/events", response_model=dict[str, list[EventRead]])
async def visit_events(visit: CurrentVisit, session: SessionDep) -> dict:
    """`{"items": [Event…]}`: the visit's events, oldest first."""
    rows = await service.list_events(session, visit=visit)
    return {"items": [alarm_events.event_read(row) for row in rows]}


@router.post("/visits/{visit_id}/check-in", response_model=VisitRead)
async def check_in(visit: CurrentVisit, payload: VisitCheckIn, session: SessionDep,
                   user: CurrentUser) -> dict:
    """"I am safe" (the worker only): `due_at` moves on by the check-in interval (or stays,
    with none), and any warning is over. After the end or once overdue: 409."""
    visit = await service.check_in(session, visit=visit, user=user, payload=payload)
    return await events.snapshot(session, visit)


@router.post("/visits/{visit_id}/extend", response_model=VisitRead)
async def extend(visit: CurrentVisit, payload: VisitExtend, session: SessionDep,
                 user: CurrentUser) -> dict:
    """A new expected end, in the future (the worker only). After the end or once overdue: 409."""
    visit = await service.extend(session, visit=visit, user=user,
                                 expected_end=payload.expected_end)
    return await events.snapshot(session, visit)


@router.post("/visits/{visit_id}/end", response_model=VisitRead)
async def end(visit: CurrentVisit, session: SessionDep, user: CurrentUser) -> dict:
    """The worker is done and safe (the worker only). After the end or once overdue: 409."""
    visit = await service.end(session, visit=visit, user=user)
    return await events.snapshot(session, visit)
