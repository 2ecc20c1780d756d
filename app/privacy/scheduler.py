"""The daily retention run inside the server: one task per process, once a day across all."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import utcnow
from app.privacy import retention
from app.realtime.bus import cancel_quietly

log = logging.getLogger(__name__)


class RetentionJob:
    """Checks at start-up (so a restart after a missed day catches up) and then every
    `retention_check_s`; whichever process claims the day first runs it, the others skip."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, default_days: int,
                 check_s: float) -> None:
        self.sessionmaker = sessionmaker
        self.default_days = default_days
        self.check_s = check_s
        self.first_check = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="retention")

    async def stop(self) -> None:
        await cancel_quietly(self._task)

    async def run_if_due(self) -> bool:
        """Run today's anonymisation unless some process already has; True if this one did."""
        now = utcnow()
        async with self.sessionmaker() as session:
            claimed = await retention.claim_today(session, now=now)
            await session.commit()
        if claimed:
            done = await retention.run(self.sessionmaker, default_days=self.default_days, now=now)
            log.info("retention: anonymised %d closed alarms", done["alarms"])
        return claimed

    async def _run(self) -> None:
        while True:
            try:
                await self.run_if_due()
            except Exception:
                log.exception("retention run failed")
            self.first_check.set()
            await asyncio.sleep(self.check_s)
