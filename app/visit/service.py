"""Home visits: start, check in, extend, end, and what the timer does when time runs out.
Every change is a visit event (`events.log_visit_event`) in the caller's transaction."""

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events as alarm_events
from app.alarm import service as alarm_service
from app.alarm.models import OPEN_STATUSES, Alarm, AlarmEvent
from app.alarm.schemas import AlarmCreate, Position
from app.auth.models import User
from app.auth.service import Principal
from app.db import utcnow
from app.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from app.org.models import Office
from app.push import service as push_service
from app.visit.events import log_visit_event
from app.visit.models import ACTIVE, ENDED, OVERDUE, Visit
from app.visit.schemas import VisitCheckIn, VisitCreate

log = logging.getLogger(__name__)

OFFICE_ROLES = ("responder", "manager")
LONGEST_VISIT = timedelta(hours=24)


def can_see(user: User, visit: Visit) -> bool:
    """The worker, admins, and the office's responders and managers."""
    if visit.user_id == user.id or user.has_role("admin"):
        return True
    return user.office_id == visit.office_id and user.has_role(*OFFICE_ROLES)


async def get_visible(session: AsyncSession, *, visit_id: uuid.UUID, user: User) -> Visit:
    visit = await session.get(Visit, visit_id)
    if visit is None or not can_see(user, visit):
        raise NotFound("no such visit")
    return visit


def _check_expected_end(expected_end: datetime, now: datetime) -> None:
    if expected_end <= now:
        raise InvalidInput([{"field": "expected_end", "msg": "must be in the future"}])
    if expected_end > now + LONGEST_VISIT:
        raise InvalidInput([{"field": "expected_end", "msg": "at most 24 hours from now"}])


def _schedule(visit: Visit, now: datetime) -> None:
    """Set the next deadline: the next check-in or the end, whichever is first, and the alarm
    `grace_s` after it; any warning is over. Past the expected end (a check-in after the
    warning with nothing more to wait for), the worker is asked again in `grace_s`."""
    due = visit.expected_end
    if visit.check_in_interval_s:
        due = min(due, now + timedelta(seconds=visit.check_in_interval_s))
    if due <= now:
        due = now + timedelta(seconds=visit.grace_s)
    visit.due_at = due
    visit.alarm_at = due + timedelta(seconds=visit.grace_s)
    visit.warned_at = None


async def _lock(session: AsyncSession, visit: Visit, user: User) -> Visit:
    """The caller's own active visit, re-read under the event-log lock (so the timer and other
    requests wait)."""
    if visit.user_id != user.id:
        raise NotFound("no such visit of yours")
    await alarm_events.lock_event_log(session)
    await session.refresh(visit)
    if visit.status == ENDED:
        raise Conflict("the visit has ended", code="visit_ended")
    if visit.status == OVERDUE:
        raise Conflict("the visit is overdue: the office has been alarmed", code="visit_overdue")
    return visit


async def start(session: AsyncSession, *, user: User, payload: VisitCreate,
                grace_override_s: int | None = None) -> tuple[Visit, bool]:
    """Store a new active visit with its deadlines and a `visit.started` event. Returns the
    visit and whether it is new: a retry with the same id by the same user writes nothing."""
    if not user.has_role("staff"):
        raise Forbidden("a home visit needs the staff role")
    if user.office_id is None:
        raise Forbidden("the user belongs to no office")
    await alarm_events.lock_event_log(session)
    if payload.id is not None:
        existing = await session.get(Visit, payload.id)
        if existing is not None:
            if existing.user_id != user.id:
                raise Conflict("this visit id is taken", code="visit_id_taken")
            return existing, False
    now = utcnow()
    _check_expected_end(payload.expected_end, now)
    office = await session.get(Office, user.office_id)
    visit = Visit(
        id=payload.id or uuid.uuid4(), user_id=user.id, office_id=user.office_id,
        place=payload.place, position=payload.position.model_dump() if payload.position else None,
        check_in_interval_s=payload.check_in_interval_s,
        grace_s=grace_override_s or office.visit_grace_s, status=ACTIVE, started_at=now,
        expected_end=payload.expected_end,
    )
    _schedule(visit, now)
    session.add(visit)
    await log_visit_event(session, visit=visit, type="visit.started", actor=user, data={
        "place": visit.place, "expected_end": visit.expected_end.isoformat(),
        "due_at": visit.due_at.isoformat()})
    return visit, True


async def check_in(session: AsyncSession, *, visit: Visit, user: User,
                   payload: VisitCheckIn) -> Visit:
    """"I am safe": the next check-in is due an interval from now (or the end stays due), and
    a warning is over. Until the timer has raised the alarm, a check-in still counts."""
    visit = await _lock(session, visit, user)
    now = utcnow()
    visit.last_check_in_at = now
    if payload.position is not None:
        visit.position = payload.position.model_dump()
    _schedule(visit, now)
    data = {"due_at": visit.due_at.isoformat()}
    if payload.position is not None:
        data["position"] = visit.position
    await log_visit_event(session, visit=visit, type="visit.checked_in", actor=user, data=data)
    return visit


async def extend(session: AsyncSession, *, visit: Visit, user: User,
                 expected_end: datetime) -> Visit:
    """Move the expected end (a sign of life too: a warning is over)."""
    visit = await _lock(session, visit, user)
    now = utcnow()
    _check_expected_end(expected_end, now)
    previous, visit.expected_end = visit.expected_end, expected_end
    _schedule(visit, now)
    await log_visit_event(session, visit=visit, type="visit.extended", actor=user, data={
        "from": previous.isoformat(), "expected_end": expected_end.isoformat(),
        "due_at": visit.due_at.isoformat()})
    return visit


async def end(session: AsyncSession, *, visit: Visit, user: User) -> Visit:
    """The worker is done and safe: no more deadlines."""
    visit = await _lock(session, visit, user)
    visit.status, visit.ended_at = ENDED, utcnow()
    await log_visit_event(session, visit=visit, type="visit.ended", actor=user)
    return visit


async def list_visits(session: AsyncSession, *, user: User, status: str | None,
                      limit: int) -> Sequence[Visit]:
    """Visits the user may see, newest first: their own, and their office's for responders
    and managers (all for admins). `status` "open": active, or overdue with the alarm open."""
    query = select(Visit)
    if not user.has_role("admin"):
        mine = Visit.user_id == user.id
        if user.office_id is not None and user.has_role(*OFFICE_ROLES):
            mine = or_(mine, Visit.office_id == user.office_id)
        query = query.where(mine)
    if status == "open":
        query = query.outerjoin(Alarm, Alarm.id == Visit.alarm_id).where(or_(
            Visit.status == ACTIVE,
            and_(Visit.status == OVERDUE, Alarm.status.in_(OPEN_STATUSES))))
    elif status is not None:
        query = query.where(Visit.status == status)
    query = query.order_by(Visit.started_at.desc(), Visit.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def list_events(session: AsyncSession, *, visit: Visit) -> Sequence[AlarmEvent]:
    return (await session.scalars(select(AlarmEvent).where(AlarmEvent.visit_id == visit.id)
                                  .order_by(AlarmEvent.seq))).all()


async def _push_warning(session: AsyncSession, *, visit: Visit, event: AlarmEvent) -> None:
    """The warning reaches the worker's phone with the page closed too (Web Push, durable like
    an alarm's pushes); its Topic replaces a waiting older warning of the same visit."""
    await push_service.queue_push(
        session, user_ids=[visit.user_id], topic="v" + visit.id.hex[:31],
        payload={"type": "event", "seq": event.seq, "event": alarm_events.event_read(event),
                 "alarm": None, "visit": event.visit_snapshot})


def due_condition(now: datetime):  # type: ignore[no-untyped-def]
    """Active visits whose warning or alarm is due."""
    return and_(Visit.status == ACTIVE,
                or_(and_(Visit.warned_at.is_(None), Visit.due_at <= now), Visit.alarm_at <= now))


async def fire_due(session: AsyncSession, *, visit: Visit) -> None:
    """The timer's work on one visit whose time ran out (the caller holds the event-log lock):
    warn the worker (`visit.due`), and once the grace is over too, raise a red alarm for them
    with the place and the last position, mark the visit overdue (`visit.overdue`)."""
    now = utcnow()
    if visit.status != ACTIVE:
        return
    if visit.warned_at is None and visit.due_at <= now:
        visit.warned_at = now
        due = await log_visit_event(session, visit=visit, type="visit.due", actor=None, data={
            "due_at": visit.due_at.isoformat(), "alarm_at": visit.alarm_at.isoformat()})
        await _push_warning(session, visit=visit, event=due)
    if visit.alarm_at > now:
        return
    worker = await session.get(User, visit.user_id)
    alarm_id: uuid.UUID | None = None
    try:
        alarm, _ = await alarm_service.store_alarm(
            session, principal=Principal(user=worker), visit_id=visit.id,
            payload=AlarmCreate(
                id=uuid.uuid5(visit.id, "overdue"), level="red", mode="real", silent=True,
                location_note=visit.place,
                position=Position(**visit.position) if visit.position else None))
        alarm_id = alarm.id
    except AppError as exc:
        log.error("visit %s is overdue but no alarm could be raised: %s", visit.id, exc.detail)
    visit.status, visit.alarm_id = OVERDUE, alarm_id
    await log_visit_event(session, visit=visit, type="visit.overdue", actor=None,
                          data={"alarm_id": str(alarm_id) if alarm_id else None})
