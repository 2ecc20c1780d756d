"""What Twilio tells us: delivery statuses, replies to texts, keypresses during calls."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events
from app.alarm import service as alarm_service
from app.alarm.models import OPEN_STATUSES, Alarm
from app.auth.models import User
from app.errors import AppError
from app.notify.models import FOLLOW_UP, Notification, TwilioCallback, channel_of

ACK_WORDS = {"1", "KOMMER", "JEG KOMMER", "JA", "OK", "COMING", "YES"}
DELIVERED = {"sms": {"delivered"}, "voice": {"in-progress", "answered", "completed"}}


async def status_callback(session: AsyncSession, *, params: dict[str, str]) -> bool:
    """Record a delivery status as an `sms.<status>` / `voice.<status>` event, once.
    Returns False when the callback was a repeat or is about nothing we sent."""
    sid = params.get("MessageSid") or params.get("CallSid")
    status = (params.get("MessageStatus") or params.get("CallStatus") or "").lower()
    if not sid or not status:
        return False
    row = await session.scalar(select(Notification).where(Notification.provider_sid == sid))
    if row is None:
        return False
    await events.lock_event_log(session)
    if await session.get(TwilioCallback, (sid, status)) is not None:
        return False
    session.add(TwilioCallback(sid=sid, status=status))
    row.provider_status = status
    if params.get("ErrorCode"):
        row.last_error_code = params["ErrorCode"][:12]
    alarm = await session.get(Alarm, row.alarm_id)
    data = {"user_id": str(row.user_id), "sid": sid, "status": status, "tier": row.tier,
            "error_code": params.get("ErrorCode") or None}
    if row.kind == FOLLOW_UP:
        data["kind"] = FOLLOW_UP
    await events.log_event(session, alarm=alarm, type=f"{channel_of(row.kind)}.{status}",
                           actor=None, data=data)
    if row.kind != FOLLOW_UP and status in DELIVERED[row.kind]:
        user = await session.get(User, row.user_id)
        await alarm_service.record_delivery(session, alarm=alarm, user=user, channel=row.kind)
    return True


async def _acknowledge_by_phone(session: AsyncSession, *, alarm: Alarm, user: User,
                                channel: str) -> bool:
    try:
        await alarm_service.acknowledge(session, alarm=alarm, user=user, channel=channel)
    except AppError:
        return False
    return True


INBOUND = "inbound"  # the TwilioCallback status that marks an incoming text as taken


async def sms_reply(session: AsyncSession, *, from_number: str, body: str,
                    message_sid: str) -> str | None:
    """A reply such as `1` or `KOMMER` acknowledges the newest open alarm that was texted to
    the sender (the one active user with that number). Each `MessageSid` is taken once: the
    same message again (Twilio's retry, or a replayed request) changes nothing and gets no
    answer. Returns the text to answer with (None: say nothing)."""
    if not message_sid:
        return None
    await events.lock_event_log(session)
    if await session.get(TwilioCallback, (message_sid[:64], INBOUND)) is not None:
        return None
    session.add(TwilioCallback(sid=message_sid[:64], status=INBOUND))
    await session.flush()
    users = (await session.scalars(select(User).where(
        User.phone == from_number, User.is_active.is_(True)).limit(2))).all()
    if len(users) != 1:
        return None
    user = users[0]
    alarm = await session.scalar(
        select(Alarm)
        .join(Notification, Notification.alarm_id == Alarm.id)
        .where(Notification.user_id == user.id, Notification.kind == "sms",
               Alarm.status.in_(OPEN_STATUSES))
        .order_by(Alarm.raised_at.desc()).limit(1)
    )
    if alarm is None:
        return "Ingen åpen alarm å svare på. / No open alarm to answer."
    if body.strip().upper().rstrip(".!") not in ACK_WORDS:
        return "Svar 1 eller KOMMER for å si at du kommer. / Reply 1 if you are coming."
    if await _acknowledge_by_phone(session, alarm=alarm, user=user, channel="sms"):
        return "Registrert: du kommer. / Registered: you are coming."
    return "Kunne ikke registrere svaret. / Could not register your answer."


async def voice_keypress(session: AsyncSession, *, alarm_id: str, user_id: str,
                         digits: str) -> str:
    """Pressing 1 during the alarm call acknowledges it. Returns what to say."""
    try:
        alarm = await session.get(Alarm, uuid.UUID(alarm_id))
        user = await session.get(User, uuid.UUID(user_id))
    except ValueError:
        alarm = user = None
    if alarm is None or user is None:
        return "Ukjent alarm."
    if digits.strip() != "1":
        return "Ingen gyldig tast. Ha det."
    if not alarm.is_open:
        return "Alarmen er allerede avsluttet."
    if await _acknowledge_by_phone(session, alarm=alarm, user=user, channel="voice"):
        return "Registrert. Du kommer. Takk."
    return "Kunne ikke registrere svaret."
