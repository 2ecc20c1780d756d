"""Raising and answering alarms. Every change goes through `events.log_event`."""

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events, policy, roles
from app.alarm.models import Alarm, AlarmDelivery, AlarmEvent, AlarmResponder
from app.alarm.policy import Target, Viewer
from app.alarm.schemas import AlarmCreate
from app.auth.models import Device, User
from app.auth.service import Principal
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.org.models import Office, Room


def can_see(user: User, alarm: Alarm) -> bool:
    """Raiser, admins, the office's managers, and (except function tests) its responders."""
    return policy.can_see(Viewer.of(user), Target.of(alarm))


async def get_visible(session: AsyncSession, *, alarm_id: uuid.UUID, user: User) -> Alarm:
    alarm = await session.get(Alarm, alarm_id)
    if alarm is None or not can_see(user, alarm):
        raise NotFound("no such alarm")
    return alarm


async def _lock_alarm(session: AsyncSession, alarm: Alarm) -> Alarm:
    """Serialise with other writers and re-read the alarm's current state."""
    await events.lock_event_log(session)
    await session.refresh(alarm)
    return alarm


def _require_open(alarm: Alarm) -> None:
    if not alarm.is_open:
        raise Conflict(f"the alarm is {alarm.status}", code="alarm_closed")


async def raise_alarm(
    session: AsyncSession, *, principal: Principal, payload: AlarmCreate
) -> tuple[Alarm, AlarmEvent | None]:
    """Store a new alarm, its escalation deadline and its `alarm.raised` event. Returns the
    alarm and that event; a retry with the same id by the same user returns the stored alarm
    and no event, and writes nothing."""
    if not principal.user.has_role("staff"):
        raise Forbidden("raising an alarm needs the staff role")
    return await store_alarm(session, principal=principal, payload=payload)


async def store_alarm(
    session: AsyncSession, *, principal: Principal, payload: AlarmCreate,
    visit_id: uuid.UUID | None = None,
) -> tuple[Alarm, AlarmEvent | None]:
    """`raise_alarm` without the role check, also for a home visit's timer (`visit_id`): the
    worker's missed check-in raises for them whatever their roles are now."""
    user = principal.user
    if user.office_id is None:
        raise Forbidden("the user belongs to no office")
    await events.lock_event_log(session)
    if payload.id is not None:
        existing = await session.get(Alarm, payload.id)
        if existing is not None:
            if existing.raised_by_id != user.id:
                raise Conflict("this alarm id is taken", code="alarm_id_taken")
            return existing, None

    device: Device | None = principal.device
    room_id = payload.room_id
    room: Room | None = None
    if room_id is not None:
        room = await session.get(Room, room_id)
        if room is None or room.office_id != user.office_id:
            raise InvalidInput([{"field": "room_id", "msg": "unknown room in your office"}])
    elif device is not None and device.room_id is not None:
        room_id = device.room_id
        room = await session.get(Room, room_id)

    now = utcnow()
    office = await session.get(Office, user.office_id)
    alarm = Alarm(
        id=payload.id or uuid.uuid4(),
        office_id=user.office_id,
        level=payload.level,
        mode=payload.mode,
        status="active",
        silent=payload.silent,
        raised_by_id=user.id,
        device_id=device.id if device else None,
        room_id=room_id,
        location_note=payload.location_note or None,
        position=payload.position.model_dump() if payload.position else None,
        raised_at=now,
        # A function test never escalates; anything else climbs if nobody answers in time.
        next_escalation_at=(None if payload.mode == "test"
                            else now + timedelta(seconds=office.ack_timeout_s)),
        visit_id=visit_id,
    )
    session.add(alarm)
    if device is not None:
        device.last_seen_at = now
        if payload.mode == "test":
            device.last_test_at = now
    event = await events.log_event(
        session, alarm=alarm, type="alarm.raised", actor=user,
        data={"level": alarm.level, "mode": alarm.mode, "silent": alarm.silent,
              "room_id": str(room_id) if room_id else None,
              "device_id": str(device.id) if device else None},
        alarm_snapshot=events.new_alarm_snapshot(alarm, raiser=user, room=room),
    )
    return alarm, event


# The delivery an acknowledgement stands for: an answer in an app means the app showed it.
ACK_DELIVERY_CHANNEL = {"app": "websocket"}


async def acknowledge(session: AsyncSession, *, alarm: Alarm, user: User,
                      channel: str = "app", role: str | None = None) -> Alarm:
    """Record that `user` answers, with a role (go, police, reception; left out: the one still
    missing), and that the alarm reached them (an `alarm.delivered` if none was recorded).
    Repeating it changes nothing; repeating it with another role logs `alarm.role_changed`."""
    if not policy.may_acknowledge(Viewer.of(user), Target.of(alarm)):
        if alarm.raised_by_id == user.id:
            raise Forbidden("you raised this alarm")
        raise Forbidden("only the office's responders and managers acknowledge")
    await _lock_alarm(session, alarm)
    _require_open(alarm)
    answered = await session.get(AlarmResponder, (alarm.id, user.id))
    if answered is not None:
        if role is not None and role != answered.role:
            previous, answered.role = answered.role, role
            await events.log_event(session, alarm=alarm, type="alarm.role_changed", actor=user,
                                   data={"user_id": str(user.id), "from": previous, "to": role,
                                         "role": role})
        return alarm
    if role is None:
        taken = await session.scalars(
            select(AlarmResponder.role).where(AlarmResponder.alarm_id == alarm.id))
        role = roles.next_role(alarm.level, taken.all())
    reached = await session.scalar(select(AlarmDelivery.user_id).where(
        AlarmDelivery.alarm_id == alarm.id, AlarmDelivery.user_id == user.id).limit(1))
    if reached is None:
        await record_delivery(session, alarm=alarm, user=user,
                              channel=ACK_DELIVERY_CHANNEL.get(channel, channel),
                              data={"by": "acknowledgement"})
    now = utcnow()
    session.add(AlarmResponder(alarm_id=alarm.id, user_id=user.id, acknowledged_at=now,
                               channel=channel, role=role))
    if alarm.status == "active":
        alarm.status = "responding"
        alarm.first_ack_at = now
    await events.log_event(session, alarm=alarm, type="alarm.acknowledged", actor=user,
                           data={"user_id": str(user.id), "channel": channel, "role": role})
    return alarm


async def upgrade(session: AsyncSession, *, alarm: Alarm, user: User, level: str) -> Alarm:
    """Raise an open yellow alarm to red."""
    if not policy.may_answer(Viewer.of(user), Target.of(alarm)):
        raise Forbidden("only the raiser, the office's responders and managers upgrade")
    await _lock_alarm(session, alarm)
    _require_open(alarm)
    if alarm.level == level:
        raise Conflict(f"the alarm is already {level}", code="already_upgraded")
    previous, alarm.level = alarm.level, level
    await events.log_event(session, alarm=alarm, type="alarm.upgraded", actor=user,
                           data={"from": previous, "to": level})
    return alarm


async def cancel(session: AsyncSession, *, alarm: Alarm, user: User, reason: str) -> Alarm:
    """Close the alarm as cancelled; responders keep seeing it as "cancelled, please check".
    (Escalation stops through the notify domain's reaction to `alarm.cancelled`.)"""
    if not policy.may_cancel(Viewer.of(user), Target.of(alarm)):
        raise Forbidden("only the raiser or the office's managers cancel")
    await _lock_alarm(session, alarm)
    _require_open(alarm)
    alarm.status, alarm.closed_at, alarm.close_reason = "cancelled", utcnow(), reason
    await events.log_event(session, alarm=alarm, type="alarm.cancelled", actor=user,
                           data={"reason": reason})
    return alarm


async def resolve(session: AsyncSession, *, alarm: Alarm, user: User,
                  summary: str | None) -> Alarm:
    if not policy.may_answer(Viewer.of(user), Target.of(alarm)):
        raise Forbidden("only the raiser, the office's responders and managers resolve")
    await _lock_alarm(session, alarm)
    _require_open(alarm)
    alarm.status, alarm.closed_at, alarm.close_reason = "resolved", utcnow(), summary or None
    await events.log_event(session, alarm=alarm, type="alarm.resolved", actor=user,
                           data={"summary": summary} if summary else {})
    return alarm


async def record_delivery(session: AsyncSession, *, alarm: Alarm, user: User, channel: str,
                          data: dict | None = None) -> bool:
    """Record that the alarm reached `user` on `channel`: one `alarm.delivered` event per user,
    alarm and channel. Returns whether it was new."""
    await _lock_alarm(session, alarm)
    if await session.get(AlarmDelivery, (alarm.id, user.id, channel)) is not None:
        return False
    session.add(AlarmDelivery(alarm_id=alarm.id, user_id=user.id, channel=channel,
                              delivered_at=utcnow()))
    await events.log_event(session, alarm=alarm, type="alarm.delivered", actor=user,
                           data={"user_id": str(user.id), "channel": channel, **(data or {})})
    return True


async def list_events(session: AsyncSession, *, alarm: Alarm) -> Sequence[AlarmEvent]:
    """The alarm's timeline; for an alarm a home visit raised, with the visit's events."""
    mine = AlarmEvent.alarm_id == alarm.id
    if alarm.visit_id is not None:
        mine = or_(mine, AlarmEvent.visit_id == alarm.visit_id)
    return (await session.scalars(select(AlarmEvent).where(mine).order_by(AlarmEvent.seq))).all()


def encode_cursor(alarm: Alarm) -> str:
    raw = f"{alarm.raised_at.isoformat()}|{alarm.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, alarm_id = raw.partition("|")
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        parsed.astimezone(UTC)
        return parsed, uuid.UUID(alarm_id)
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise InvalidInput([{"field": "cursor", "msg": "invalid cursor"}]) from exc


async def list_alarms(
    session: AsyncSession,
    *,
    user: User,
    office_id: uuid.UUID | None,
    status: str | None,
    level: str | None,
    mode: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Alarm], str | None]:
    """Alarms the user may see, newest first, one page at a time."""
    viewer = Viewer.of(user)
    if not policy.may_list_office(viewer, office_id):
        raise Forbidden("you see your own office only")
    query = select(Alarm).where(policy.can_see_clause(viewer))
    for column, value in ((Alarm.office_id, office_id), (Alarm.status, status),
                          (Alarm.level, level), (Alarm.mode, mode)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Alarm.raised_at >= since)
    if until is not None:
        query = query.where(Alarm.raised_at < until)
    if cursor:
        at, alarm_id = decode_cursor(cursor)
        query = query.where(or_(Alarm.raised_at < at,
                                and_(Alarm.raised_at == at, Alarm.id < alarm_id)))
    query = query.order_by(Alarm.raised_at.desc(), Alarm.id.desc()).limit(limit + 1)
    rows = (await session.scalars(query)).all()
    page, more = rows[:limit], len(rows) > limit
    return page, encode_cursor(page[-1]) if more and page else None


async def open_alarms_for(session: AsyncSession, *, viewer: Viewer) -> list[dict]:
    """Snapshots of the active or responding alarms the user receives events of."""
    alarms = (
        await session.scalars(
            select(Alarm)
            .where(Alarm.status.in_(("active", "responding")),
                   policy.follows_clause(viewer))
            .order_by(Alarm.raised_at)
        )
    ).all()
    return [await events.snapshot(session, alarm) for alarm in alarms]
