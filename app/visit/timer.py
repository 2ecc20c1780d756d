"""The lone-worker timer: one task per server process, like the notification dispatcher.

The deadlines live in the visit rows, so nothing is forgotten across a restart: a visit whose
time ran out while every server was down is warned and alarmed at the first look after start.
A round takes the event-log lock and claims due rows with FOR UPDATE SKIP LOCKED, and re-reads
each under the lock, so several processes raise one alarm per visit, never two.
"""

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.alarm import events as alarm_events
from app.db import begin_read_only, commit, utcnow
from app.realtime.bus import cancel_quietly
from app.visit import service
from app.visit.models import Visit

log = logging.getLogger(__name__)

BATCH = 20


class VisitTimer:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], poll_s: float) -> None:
        self.sessionmaker = sessionmaker
        self.poll_s = poll_s
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="visit-timer")

    async def stop(self) -> None:
        await cancel_quietly(self._task)

    async def _run(self) -> None:
        while True:
            try:
                while await self.fire_due() == BATCH:
                    pass
            except Exception:
                log.exception("visit timer round failed")
            await asyncio.sleep(self.poll_s)

    async def fire_due(self) -> int:
        """Warn and alarm for every visit whose time has run out; returns how many it took."""
        async with self.sessionmaker() as session:
            # A cheap look first, which takes no write lock: the lock below orders every
            # event writer.
            await begin_read_only(session)
            found = await session.scalar(
                select(Visit.id).where(service.due_condition(utcnow())).limit(1))
        if found is None:
            return 0
        async with self.sessionmaker() as session:
            await alarm_events.lock_event_log(session)
            visits = (await session.scalars(
                select(Visit).where(service.due_condition(utcnow()))
                .order_by(Visit.due_at).limit(BATCH).with_for_update(skip_locked=True)
            )).all()
            for visit in visits:
                await service.fire_due(session, visit=visit)
            await commit(session)
            return len(visits)
