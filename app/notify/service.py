"""Who gets a text or a call about an alarm, and when: tier 0 at raise, then escalation.

Everything here writes outbox rows and events in the caller's transaction; the dispatcher sends.
"""

import uuid
from collections.abc import Collection, Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events, policy, reactions
from app.alarm.models import Alarm, AlarmEvent
from app.alarm.policy import Target, Viewer
from app.auth.models import User
from app.db import utcnow
from app.notify import followup, texts
from app.notify.models import CANCELLED, PENDING, Notification
from app.org.models import Office, Room

SMS_VALIDITY_S = 300  # a stale alarm is worse than none
CALL_VALIDITY_S = 300


async def _office_people(session: AsyncSession, office_id: uuid.UUID, role: str) -> list[User]:
    users = (await session.scalars(
        select(User).where(User.office_id == office_id, User.is_active.is_(True))
        .order_by(User.full_name)
    )).all()
    return [u for u in users if role in u.roles]


async def _already(session: AsyncSession, alarm: Alarm, kind: str) -> set[uuid.UUID]:
    rows = await session.scalars(select(Notification.user_id).where(
        Notification.alarm_id == alarm.id, Notification.kind == kind))
    return set(rows.all())


async def _context(session: AsyncSession, alarm: Alarm) -> dict:
    office = await session.get(Office, alarm.office_id)
    room = await session.get(Room, alarm.room_id) if alarm.room_id else None
    raiser = await session.get(User, alarm.raised_by_id)
    return {"level": alarm.level, "mode": alarm.mode, "office": office.name,
            "room": room.name if room else None, "raiser": raiser.full_name}


async def _queue(session: AsyncSession, alarm: Alarm, people: Sequence[User], *, kind: str,
                 tier: int, public_url: str) -> int:
    """Write one outbox row (and an event) per person with a phone not yet reached by `kind`."""
    done = await _already(session, alarm, kind)
    context = await _context(session, alarm)
    now = utcnow()
    queued = 0
    target = Target.of(alarm)
    for person in people:
        if person.phone is None or person.id in done or person.id == alarm.raised_by_id:
            continue
        if not policy.follows(Viewer.of(person), target):
            continue  # a text says what only the alarm's followers may read
        done.add(person.id)
        if kind == "sms":
            body = texts.alarm_sms(**context, raised_at=alarm.raised_at,
                                   link=f"{public_url.rstrip('/')}/m/")
            validity = SMS_VALIDITY_S
        else:
            gather = (f"{public_url.rstrip('/')}/api/v1/twilio/voice/gather"
                      f"?alarm_id={alarm.id}&user_id={person.id}")
            body = texts.alarm_twiml(**context, gather_url=gather)
            validity = CALL_VALIDITY_S
        session.add(Notification(alarm_id=alarm.id, user_id=person.id, kind=kind, tier=tier,
                                 to=person.phone, body=body, status=PENDING, created_at=now,
                                 next_attempt_at=now, expires_at=now + timedelta(seconds=validity)))
        await events.log_event(session, alarm=alarm, type=f"{kind}.queued",
                               actor=None, data={"user_id": str(person.id), "tier": tier,
                                                 "status": "queued"})
        queued += 1
    return queued


async def on_alarm_raised(session: AsyncSession, *, alarm: Alarm, online: Collection[uuid.UUID],
                          sms_enabled: bool, public_url: str) -> None:
    """Tier 0: a red alarm texts every responder with a phone, a yellow one those with no live
    connection; a function test texts nobody."""
    if alarm.mode == "test" or not sms_enabled:
        return
    responders = await _office_people(session, alarm.office_id, "responder")
    if alarm.level == "yellow":
        responders = [r for r in responders if r.id not in online]
    await _queue(session, alarm, responders, kind="sms", tier=0, public_url=public_url)


async def escalate(session: AsyncSession, *, alarm: Alarm, sms_enabled: bool,
                   public_url: str) -> None:
    """Climb one tier: 1 texts everyone not yet texted and the managers; 2 calls the managers."""
    office = await session.get(Office, alarm.office_id)
    tier = alarm.escalation_tier + 1
    alarm.escalation_tier = tier
    alarm.next_escalation_at = (alarm.raised_at + timedelta(seconds=2 * office.ack_timeout_s)
                                if tier == 1 else None)
    await events.log_event(session, alarm=alarm, type="alarm.escalated", actor=None,
                           data={"tier": tier, "reason": "no_acknowledgement"})
    if not sms_enabled:
        return
    managers = await _office_people(session, alarm.office_id, "manager")
    if tier == 1:
        responders = await _office_people(session, alarm.office_id, "responder")
        await _queue(session, alarm, [*responders, *managers], kind="sms", tier=1,
                     public_url=public_url)
    else:
        await _queue(session, alarm, managers, kind="voice", tier=2, public_url=public_url)


async def stop_escalation(session: AsyncSession, *, alarm: Alarm, closing: bool) -> None:
    """No further tier. Escalation texts and calls not yet sent are withdrawn; when the alarm
    closes, every unsent one is (tier-0 texts still go out after a mere acknowledgement)."""
    alarm.next_escalation_at = None
    query = select(Notification).where(Notification.alarm_id == alarm.id,
                                       Notification.status == PENDING)
    if not closing:
        query = query.where(Notification.tier >= 1)
    for row in (await session.scalars(query)).all():
        row.status = CANCELLED
        await events.log_event(session, alarm=alarm, type=f"{row.kind}.cancelled", actor=None,
                               data={"user_id": str(row.user_id), "tier": row.tier,
                                     "status": "cancelled"})


async def _react_raised(session: AsyncSession, alarm: Alarm, event: AlarmEvent,
                        context: reactions.Context) -> None:
    settings = context.settings
    await on_alarm_raised(session, alarm=alarm, online=context.online_users(alarm.office_id),
                          sms_enabled=settings.sms_enabled, public_url=settings.public_url)


async def _react_acknowledged(session: AsyncSession, alarm: Alarm, event: AlarmEvent,
                              context: reactions.Context) -> None:
    await stop_escalation(session, alarm=alarm, closing=False)


async def _react_closed(session: AsyncSession, alarm: Alarm, event: AlarmEvent,
                        context: reactions.Context) -> None:
    await stop_escalation(session, alarm=alarm, closing=True)
    if context.settings.sms_enabled:
        await followup.queue_follow_ups(session, alarm=alarm)


def install() -> None:
    """Follow alarms: tier-0 texts at raise; escalation stops on an answer or a close; a close
    texts everyone who was texted about the alarm."""
    reactions.register(_react_raised, "alarm.raised")
    reactions.register(_react_acknowledged, "alarm.acknowledged")
    reactions.register(_react_closed, "alarm.cancelled", "alarm.resolved")
