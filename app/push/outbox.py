"""Drains the push outbox: a step of the notification dispatcher's loop, in every process.

Rows are claimed in a short transaction (status `sending`, a lease, FOR UPDATE SKIP LOCKED on
PostgreSQL), so each push is taken by one process only; a row whose process died is taken
again when its lease runs out (a push may then go twice, never zero times). Requests go out
concurrently outside any transaction; their outcomes are recorded, as `push.*` events in the
alarm's timeline, by one recorder task that writes a round's answers in one transaction with
one snapshot per alarm, once the round's claims and sends are done (at most a second late), so
200 answers do not mean 200 waits for the event-log lock, and on SQLite's one connection a new
raise's claim does not queue behind them.
"""

import asyncio
import logging
import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.alarm import events
from app.alarm.models import Alarm
from app.config import Settings
from app.db import commit, utcnow
from app.push import sender as outcomes
from app.push.models import (
    ACCEPTED,
    EXPIRED,
    FAILED,
    GONE,
    PENDING,
    SENDING,
    PushMessage,
    PushSubscription,
)
from app.push.sender import Push, PushOutcome, PushSender
from app.realtime.bus import cancel_quietly

log = logging.getLogger(__name__)

LEASE_S = 30  # well over one request's timeouts (3 s connect, 5 s read, 15 s in all)
BATCH = 250  # an office's pushes in one claim (each claim waits for the event loop)
RECORD_BATCH = 250  # a round's outcomes in one write, with one snapshot per alarm
RECORD_LINGER_S = 0.05  # gather the rest of a round's answers before writing
RECORD_DELAY_S = 1.0  # the longest an answer waits for claims and sends to go first
ENCRYPT_CHUNK = 10
ENCRYPT_WORKERS = 2  # threads encrypting at once (the primitives release the GIL in part)
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 30.0


def backoff(attempt: int) -> float:
    """Exponential with full jitter: 1, 2, 4, … s (capped), times a random 0.5 to 1.5."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    attempt: int
    push: Push | None  # None: already past its TTL, or its subscription is gone
    expired: bool


class PushOutbox:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.sender = PushSender(settings)
        self._outcomes: asyncio.Queue[tuple[Claimed, PushOutcome]] = asyncio.Queue()
        self._inflight: set[asyncio.Task] = set()
        self._recorder: asyncio.Task | None = None
        # Cleared from a wake-up until the claims of that round are done, and while batches
        # are being encrypted and sent: the recorder waits meanwhile (up to RECORD_DELAY_S), so
        # on SQLite's one connection a new raise's pushes are claimed before the previous
        # round's outcomes are written, and its writes do not hold up the event loop's sends.
        self._claims_done = asyncio.Event()
        self._claims_done.set()
        self._sends_done = asyncio.Event()
        self._sends_done.set()
        self._sending = 0

    def round_coming(self) -> None:
        """Something may be due: let the next claim go before the recorder's next write."""
        self._claims_done.clear()

    async def stop(self) -> None:
        for task in list(self._inflight):
            await cancel_quietly(task)
        await cancel_quietly(self._recorder)
        if not self._outcomes.empty():
            try:
                await self._record_ready()
            except Exception:
                log.exception("could not record push outcomes at shutdown")
        await self.sender.aclose()

    async def send_due(self) -> None:
        """Claim every due push and start sending it; outcomes are recorded as they come."""
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_forever(), name="push-recorder")
            warm = asyncio.create_task(self.sender.warm_up())
            self._inflight.add(warm)
            warm.add_done_callback(self._inflight.discard)
        try:
            while True:
                claimed = await self._claim()
                if claimed:
                    task = asyncio.create_task(self._send_batch(claimed))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                if len(claimed) < BATCH:
                    return
        except Exception:
            log.exception("push outbox round failed")
        finally:
            self._claims_done.set()

    async def _claim(self) -> list[Claimed]:
        now = utcnow()
        due = or_(and_(PushMessage.status == PENDING, PushMessage.next_attempt_at <= now),
                  and_(PushMessage.status == SENDING, PushMessage.lease_until < now))
        async with self.sessionmaker() as session:
            if await session.scalar(select(PushMessage.id).where(due).limit(1)) is None:
                return []
            rows = (await session.scalars(
                select(PushMessage).where(due).order_by(PushMessage.next_attempt_at)
                .limit(BATCH).with_for_update(skip_locked=True))).all()
            ids = {row.subscription_id for row in rows if row.subscription_id is not None}
            subscriptions = {s.id: s for s in (await session.scalars(
                select(PushSubscription).where(PushSubscription.id.in_(ids)))).all()} if ids else {}
            claimed = []
            for row in rows:
                subscription = subscriptions.get(row.subscription_id)
                if subscription is None:  # deleted by its owner, or gone on an earlier push
                    row.status, row.lease_until = GONE, None
                    continue
                row.status, row.lease_until = SENDING, now + timedelta(seconds=LEASE_S)
                row.attempts += 1
                expired = now >= row.expires_at
                push = None if expired else Push(
                    endpoint=subscription.endpoint, p256dh=subscription.p256dh,
                    auth=subscription.auth, payload=row.payload, topic=row.topic,
                    ttl_s=_ttl(row.expires_at, now))
                claimed.append(Claimed(row.id, row.attempts, push, expired))
            await session.commit()
            return claimed

    async def _send_batch(self, claimed: list[Claimed]) -> None:
        """Encrypt a few at a time (in worker threads, two at once) and send each few as soon
        as it is ready, so the first push does not wait for the whole batch's encryption."""
        self._sending += 1
        self._sends_done.clear()
        try:
            await self._encrypt_and_send(claimed)
        finally:
            self._sending -= 1
            if not self._sending:
                self._sends_done.set()

    async def _encrypt_and_send(self, claimed: list[Claimed]) -> None:
        live = [c for c in claimed if c.push is not None]
        for c in claimed:
            if c.push is None:
                self._outcomes.put_nowait((c, PushOutcome(outcomes.EXPIRED)))

        async def one(c: Claimed, body: bytes | None) -> None:
            outcome = (PushOutcome(outcomes.FAILED, None, "bad_subscription_keys") if body is None
                       else await self.sender.send(c.push, body))  # type: ignore[arg-type]
            self._outcomes.put_nowait((c, outcome))

        chunks = [live[start:start + ENCRYPT_CHUNK]
                  for start in range(0, len(live), ENCRYPT_CHUNK)]
        chunks.reverse()  # popped from the end: the oldest first
        sending: list[asyncio.Task] = []

        async def encrypt_and_start() -> None:
            while chunks:
                chunk = chunks.pop()
                bodies = await self.sender.encrypt_all([c.push for c in chunk])  # type: ignore[misc]
                for c, body in zip(chunk, bodies, strict=True):
                    task = asyncio.create_task(one(c, body))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                    sending.append(task)

        await asyncio.gather(*(encrypt_and_start() for _ in range(ENCRYPT_WORKERS)))
        await asyncio.gather(*sending)

    async def _record_forever(self) -> None:
        while True:
            first = await self._outcomes.get()
            self._outcomes.put_nowait(first)  # taken again with the others below
            await self._quiet(asyncio.get_running_loop().time() + RECORD_DELAY_S)
            try:
                await self._record_ready()
            except Exception:
                log.exception("could not record push outcomes")
                await asyncio.sleep(1)

    async def _quiet(self, deadline: float) -> None:
        """Wait a moment for more answers, then until no claim is coming and no batch is being
        sent, or until `deadline` (loop time)."""
        await asyncio.sleep(RECORD_LINGER_S)
        loop = asyncio.get_running_loop()
        while True:
            busy = [e for e in (self._claims_done, self._sends_done) if not e.is_set()]
            left = deadline - loop.time()
            if not busy or left <= 0:
                return
            try:
                await asyncio.wait_for(busy[0].wait(), left)
            except TimeoutError:
                return

    async def _record_ready(self) -> None:
        ready: list[tuple[Claimed, PushOutcome]] = []
        while not self._outcomes.empty() and len(ready) < RECORD_BATCH:
            ready.append(self._outcomes.get_nowait())
        if not ready:
            return
        try:
            async with self.sessionmaker() as session:
                await events.lock_event_log(session)
                await _record_all(session, ready)
                await commit(session)
        except Exception:
            for item in ready:  # try again on the next round; the rows stay leased meanwhile
                self._outcomes.put_nowait(item)
            raise


def _ttl(expires_at: datetime, now: datetime) -> int:
    """Seconds left of the push's life: 300 on the first try, less on a retry."""
    return max(1, math.ceil((expires_at - now).total_seconds()))


async def _record_all(session: AsyncSession,
                      ready: list[tuple[Claimed, PushOutcome]]) -> None:
    """Apply outcomes to their rows (and subscriptions), with their events in the alarms'
    timelines: a few reads for the whole batch and one snapshot per alarm, not per push."""
    rows = {row.id: row for row in (await session.scalars(select(PushMessage).where(
        PushMessage.id.in_({claimed.id for claimed, _ in ready})))).all()}
    current = []
    for claimed, outcome in ready:
        row = rows.get(claimed.id)
        if row is None or row.status != SENDING or row.attempts != claimed.attempt:
            continue  # taken again by another process after the lease ran out: its outcome counts
        current.append((row, outcome))
    if not current:
        return
    wanted = {row.subscription_id for row, outcome in current
              if outcome.result in (outcomes.ACCEPTED, outcomes.GONE) and row.subscription_id}
    subscriptions = {s.id: s for s in (await session.scalars(
        select(PushSubscription).where(PushSubscription.id.in_(wanted)))).all()} if wanted else {}
    gone: set[uuid.UUID] = set()
    timeline: dict[uuid.UUID, list[tuple[str, dict]]] = {}
    now = utcnow()
    for row, outcome in current:
        result, data = _apply(row, outcome, now, subscriptions, gone)
        if row.alarm_id is not None:
            timeline.setdefault(row.alarm_id, []).append((f"push.{result}", data))
    for subscription_id in gone:
        await session.delete(subscriptions[subscription_id])
    await session.flush()
    if not timeline:
        return
    alarms = {a.id: a for a in (await session.scalars(
        select(Alarm).where(Alarm.id.in_(timeline)))).all()}
    for alarm_id, entries in timeline.items():
        alarm = alarms.get(alarm_id)
        if alarm is not None:
            await events.log_events(session, alarm=alarm, entries=entries)


def _apply(row: PushMessage, outcome: PushOutcome, now: datetime,
           subscriptions: dict[uuid.UUID, PushSubscription],
           gone: set[uuid.UUID]) -> tuple[str, dict]:
    """One outcome's change to its row (and subscription); returns the event's result and data."""
    row.lease_until, row.last_http_status = None, outcome.http_status
    subscription_id = str(row.subscription_id) if row.subscription_id else None
    data = {"user_id": str(row.user_id), "subscription_id": subscription_id,
            "attempt": row.attempts, "http_status": outcome.http_status}
    if outcome.reason:
        data["reason"] = outcome.reason
    result = outcome.result
    subscription = subscriptions.get(row.subscription_id) if row.subscription_id else None
    if result == outcomes.ACCEPTED:
        row.status = ACCEPTED
        if subscription is not None:
            subscription.last_accepted_at = now
    elif result == outcomes.GONE:
        row.status = GONE
        if subscription is not None:
            gone.add(subscription.id)
    elif result == outcomes.RETRY:
        delay = backoff(row.attempts)
        if now + timedelta(seconds=delay) >= row.expires_at:
            row.status, result = EXPIRED, outcomes.EXPIRED
        else:
            row.status, row.next_attempt_at = PENDING, now + timedelta(seconds=delay)
            data["retry_in_s"] = round(delay, 2)
    elif result == outcomes.EXPIRED:
        row.status = EXPIRED
    else:
        row.status = FAILED
    return result, {**data, "status": result}
