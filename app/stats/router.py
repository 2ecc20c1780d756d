import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.alarm import service as alarm_service
from app.alarm.schemas import Level, Mode, Status
from app.audit import service as audit_service
from app.auth.dependencies import AdminUser, CurrentUser
from app.db import SessionDep
from app.errors import Forbidden
from app.org.router import VisibleOffice
from app.stats import service
from app.stats.schemas import Readiness, ReadinessPolicyRead, ReadinessPolicyUpdate, Stats
from app.validation import Time

router = APIRouter(tags=["statistics and readiness"])
EXPORT_MAX = 10_000


@router.get("/stats", response_model=Stats)
async def stats(session: SessionDep, user: CurrentUser, office_id: uuid.UUID | None = None,
                since: Time | None = None, until: Time | None = None) -> dict:
    """Alarms per month by level, and time to first acknowledgement (median, 90th percentile)
    per office; real alarms and drills apart, function tests left out. Default: the last year."""
    return await service.alarm_stats(session, user=user, office_id=office_id, since=since,
                                     until=until)


@router.get("/offices/{office_id}/readiness", response_model=Readiness)
async def readiness(office: VisibleOffice, request: Request, session: SessionDep,
                    user: CurrentUser) -> dict:
    """Every device of the office, online or not, last seen and last passed function test, and
    the responders online now (as seen by this server process)."""
    service.require_office_follow_up(user, office.id)
    return await service.readiness(session, office=office, hub=request.app.state.hub,
                                   sms_enabled=request.app.state.settings.sms_enabled)


@router.put("/offices/{office_id}/readiness-policy", response_model=ReadinessPolicyRead)
async def set_readiness_policy(admin: AdminUser, payload: ReadinessPolicyUpdate,
                               office: VisibleOffice, session: SessionDep) -> dict:
    """How often each device must pass a function test (default 30 days)."""
    days = await service.set_policy(session, office=office,
                                    test_interval_days=payload.test_interval_days)
    return {"office_id": office.id, "test_interval_days": days}


@router.get("/exports/alarms.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "One row per alarm"}})
async def export_alarms(
    session: SessionDep, user: CurrentUser, office_id: uuid.UUID | None = None,
    status: Status | None = None, level: Level | None = None, mode: Mode | None = None,
    since: Time | None = None, until: Time | None = None,
    limit: Annotated[int, Query(ge=1, le=EXPORT_MAX)] = EXPORT_MAX,
) -> Response:
    """The alarm list (same filters as `GET /alarms`) as CSV, for the deviation system.
    Each export is written to the audit log."""
    if not user.has_role("admin", "manager"):
        raise Forbidden("exports are for managers and admins")
    alarms, _ = await alarm_service.list_alarms(
        session, user=user, office_id=office_id, status=status, level=level, mode=mode,
        since=since, until=until, limit=limit, cursor=None)
    body = await service.export_csv(session, alarms)
    scope = office_id or (None if user.has_role("admin") else user.office_id)
    await audit_service.record(
        session, actor=user, action="alarms.export", object_type="office", object_id=scope,
        office_id=scope, detail={"alarms": len(alarms), **{k: str(v) for k, v in (
            ("status", status), ("level", level), ("mode", mode), ("since", since),
            ("until", until)) if v is not None}})
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="trygg-alarms.csv"'})
