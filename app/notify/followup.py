"""The text that calls people off: when an alarm that was texted is cancelled or resolved,
everyone it was texted to gets one short text saying so, through the same outbox."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events
from app.alarm.models import Alarm
from app.auth.models import User
from app.db import utcnow
from app.notify import texts
from app.notify.models import ACCEPTED, FOLLOW_UP, PENDING, SENDING, Notification
from app.org.models import Office, Room

FOLLOW_UP_VALIDITY_S = 300


async def queue_follow_ups(session: AsyncSession, *, alarm: Alarm) -> int:
    """Write one follow-up text (and an `sms.queued` event) per person whose alarm text was
    accepted by Twilio or is on its way; returns how many. Call it once the alarm is closed."""
    texted = (await session.execute(
        select(Notification.user_id, Notification.to).where(
            Notification.alarm_id == alarm.id, Notification.kind == "sms",
            Notification.status.in_((ACCEPTED, SENDING))))).all()
    if not texted:
        return 0
    office = await session.get(Office, alarm.office_id)
    room = await session.get(Room, alarm.room_id) if alarm.room_id else None
    body = texts.followup_sms(closed=alarm.status, level=alarm.level, mode=alarm.mode,
                              office=office.name, room=room.name if room else None,
                              raised_at=alarm.raised_at)
    now = utcnow()
    for user_id, to in texted:
        user = await session.get(User, user_id)
        session.add(Notification(alarm_id=alarm.id, user_id=user_id, kind=FOLLOW_UP, tier=0,
                                 to=user.phone or to, body=body, status=PENDING, created_at=now,
                                 next_attempt_at=now,
                                 expires_at=now + timedelta(seconds=FOLLOW_UP_VALIDITY_S)))
        await events.log_event(session, alarm=alarm, type="sms.queued", actor=None,
                               data={"user_id": str(user_id), "tier": 0, "status": "queued",
                                     "kind": FOLLOW_UP})
    return len(texted)
