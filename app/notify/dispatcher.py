"""Drains the outbox and fires due escalation tiers; one task per server process.

Rows are claimed in a short transaction (status `sending` with a lease) and sent outside it, so a
slow Twilio never holds a database lock. On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED, so
several processes never take the same row; a row whose sender died is taken again when its lease
runs out (a text may then go twice, never zero times).
"""

import asyncio
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, event, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from app.alarm import events
from app.alarm.models import OPEN_STATUSES, Alarm
from app.config import Settings
from app.db import after_commit, begin_read_only, commit, utcnow
from app.notify import service
from app.notify.models import (
    ACCEPTED,
    EXPIRED,
    FAILED,
    PENDING,
    SENDING,
    Notification,
    channel_of,
)
from app.notify.twilio import Outcome, TwilioSender
from app.push import models as push_models
from app.push.models import PushMessage
from app.push.outbox import PushOutbox
from app.realtime.bus import cancel_quietly

log = logging.getLogger(__name__)

POLL_S = 0.25
LEASE_S = 30  # longer than one Twilio request may take (10 s timeout)
BATCH = 20
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 30.0


def backoff(attempt: int) -> float:
    """Exponential with full jitter: 1, 2, 4, … s (capped), times a random 0.5 to 1.5."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)


# The session.info key of the dispatcher's `wake_after_commit` (set by create_app).
SESSION_KEY = "dispatcher"
_OUTBOXES = (Notification, PushMessage)


def _wake_after_commit(session: Session) -> None:
    wake = session.info.get(SESSION_KEY)
    if wake is not None and wake not in session.info.get("after_commit", ()):
        after_commit(session, wake)  # type: ignore[arg-type]


@event.listens_for(Session, "after_flush")
def _note_outbox_rows(session: Session, _context: Any) -> None:
    """A transaction that writes a text, a call or a push wakes the dispatcher once it has
    committed; any other commit leaves it to its poll."""
    if any(isinstance(obj, _OUTBOXES) for obj in session.new):
        _wake_after_commit(session)


@event.listens_for(Session, "do_orm_execute")
def _note_outbox_statements(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_insert or state.is_update) and mapper is not None \
            and mapper.class_ in _OUTBOXES:
        _wake_after_commit(state.session)


def _notification_due(now: datetime) -> ColumnElement[bool]:
    return or_(and_(Notification.status == PENDING, Notification.next_attempt_at <= now),
               and_(Notification.status == SENDING, Notification.lease_until < now))


class Dispatcher:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.sender = TwilioSender(settings) if settings.sms_enabled else None
        self.push = PushOutbox(settings, sessionmaker)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._inflight: set[asyncio.Task] = set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-dispatcher")

    async def stop(self) -> None:
        await cancel_quietly(self._task)
        for task in list(self._inflight):
            await cancel_quietly(task)
        await self.push.stop()

    def wake(self) -> None:
        self.push.round_coming()
        self._wake.set()

    async def wake_after_commit(self) -> None:
        """`wake`, as a callback run after the commit of a transaction that wrote an outbox
        row (`SESSION_KEY`)."""
        self.wake()

    async def _run(self) -> None:
        first = True
        while True:
            try:
                # One read-only look at all three outboxes; the first round sends regardless,
                # which also starts the push recorder.
                escalate, push, texts = (True, True, True) if first else await self._looks()
                first = False
                if escalate:
                    await self._escalate_due()
                if push:
                    await self.push.send_due()
                if texts and self.sender is not None:
                    await self._send_due()
            except Exception:
                log.exception("notification dispatcher round failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_S)
            except TimeoutError:
                pass

    async def _looks(self) -> tuple[bool, bool, bool]:
        """Whether an escalation is due, a push waits and a text or call is due: one statement
        in a read-only transaction, so a round with nothing to do never takes SQLite's write
        lock. A push counts as waiting whatever its due time (the push outbox decides)."""
        now = utcnow()
        escalation = select(Alarm.id).where(Alarm.next_escalation_at <= now,
                                            Alarm.status.in_(OPEN_STATUSES))
        pushes = select(PushMessage.id).where(PushMessage.status.in_((push_models.PENDING,
                                                                      push_models.SENDING)))
        texts = select(Notification.id).where(_notification_due(now))
        async with self.sessionmaker() as session:
            await begin_read_only(session)
            row = (await session.execute(select(
                escalation.exists(), pushes.exists(),
                texts.exists() if self.sender is not None else false()))).one()
        return bool(row[0]), bool(row[1]), bool(row[2])

    async def _escalate_due(self) -> None:
        async with self.sessionmaker() as session:
            await events.lock_event_log(session)
            alarms = (await session.scalars(
                select(Alarm)
                .where(Alarm.next_escalation_at <= utcnow(), Alarm.status.in_(OPEN_STATUSES))
                .order_by(Alarm.next_escalation_at).limit(BATCH)
                .with_for_update(skip_locked=True)
            )).all()
            for alarm in alarms:
                await service.escalate(session, alarm=alarm,
                                       sms_enabled=self.settings.sms_enabled,
                                       public_url=self.settings.public_url)
            await commit(session)

    async def _claim(self) -> list[Notification]:
        now = utcnow()
        due = _notification_due(now)
        async with self.sessionmaker() as session:
            await events.lock_event_log(session)
            rows = (await session.scalars(
                select(Notification)
                .where(due)
                .order_by(Notification.next_attempt_at).limit(BATCH)
                .with_for_update(skip_locked=True)
            )).all()
            claimed = []
            for row in rows:
                alarm = await session.get(Alarm, row.alarm_id)
                if now >= row.expires_at:
                    row.status = EXPIRED
                    await self._log(session, alarm, row, "expired", {"attempts": row.attempts})
                    continue
                row.status, row.lease_until = SENDING, now + timedelta(seconds=LEASE_S)
                row.attempts += 1
                await self._log(session, alarm, row, "sending", {"attempt": row.attempts})
                claimed.append(row)
            await commit(session)
            return claimed

    async def _send_due(self) -> None:
        for row in await self._claim():
            task = asyncio.create_task(self._send_one(row))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _send_one(self, row: Notification) -> None:
        assert self.sender is not None
        if channel_of(row.kind) == "sms":
            left = int((row.expires_at - utcnow()).total_seconds())
            outcome = await self.sender.send_sms(row.to, row.body, max(1, min(300, left)))
        else:
            outcome = await self.sender.call(row.to, row.body)
        try:
            await self._record(row, outcome)
        except Exception:
            log.exception("could not record the outcome of notification %s", row.id)

    async def _record(self, claimed: Notification, outcome: Outcome) -> None:
        async with self.sessionmaker() as session:
            await events.lock_event_log(session)
            row = await session.get(Notification, claimed.id)
            alarm = await session.get(Alarm, row.alarm_id)
            data = {"attempt": row.attempts, "http_status": outcome.http_status,
                    "error_code": outcome.error_code}
            row.lease_until = None
            if outcome.ok:
                row.status, row.provider_sid = ACCEPTED, outcome.sid
                row.provider_status = outcome.status
                await self._log(session, alarm, row, "accepted",
                                {"attempt": row.attempts, "sid": outcome.sid})
            elif outcome.retry:
                delay = backoff(row.attempts)
                row.last_error_code = outcome.error_code
                if utcnow() + timedelta(seconds=delay) >= row.expires_at:
                    row.status = EXPIRED
                    await self._log(session, alarm, row, "expired", {**data,
                                                                     "message": outcome.message})
                else:
                    row.status = PENDING
                    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
                    await self._log(session, alarm, row, "retry",
                                    {**data, "retry_in_s": round(delay, 2),
                                     "message": outcome.message})
            else:
                row.status, row.last_error_code = FAILED, outcome.error_code
                await self._log(session, alarm, row, "failed", {**data,
                                                                "message": outcome.message})
            await commit(session)

    @staticmethod
    async def _log(session: AsyncSession, alarm: Alarm, row: Notification, what: str,
                   data: dict) -> None:
        extra = {"kind": row.kind} if row.kind != channel_of(row.kind) else {}
        await events.log_event(session, alarm=alarm, type=f"{channel_of(row.kind)}.{what}",
                               actor=None, data={"user_id": str(row.user_id), "tier": row.tier,
                                                 "status": what, **extra, **data})
