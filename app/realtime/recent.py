"""The latest routed events, encoded, so a `resume` after a short absence (a dropped network,
a server restart) is answered from memory instead of the database."""

from collections import deque

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import policy
from app.alarm.events import bus_record
from app.alarm.models import AlarmEvent
from app.alarm.policy import Target, Viewer
from app.realtime import frames

KEPT = 2_000


class RecentEvents:
    def __init__(self, size: int = KEPT) -> None:
        self._events: deque[tuple[int, Target, str]] = deque()
        self.size = size
        # Every event with a seq above `floor` (up to the hub's cursor) is held here.
        self.floor = 0

    async def load(self, session: AsyncSession, newest: int) -> None:
        """Start with the latest events up to `newest` (at start-up, before any is routed)."""
        rows = (await session.scalars(
            select(AlarmEvent).where(AlarmEvent.seq <= newest)
            .order_by(AlarmEvent.seq.desc()).limit(self.size))).all()
        rows = list(reversed(rows))
        self.floor = rows[0].seq - 1 if len(rows) == self.size else 0
        for row in rows:
            record = bus_record(row)
            self._events.append((row.seq, Target.of_record(record),
                                 frames.event_frame(record)))

    def add(self, seq: int, target: Target, text: str) -> None:
        self._events.append((seq, target, text))
        if len(self._events) > self.size:
            self.floor = self._events.popleft()[0]

    def after(self, seq: int, viewer: Viewer) -> list[tuple[int, str]] | None:
        """The viewer's events after `seq`, in order; None when some may be older than what is
        held (the caller reads the database)."""
        if seq < self.floor:
            return None
        return [(s, text) for s, target, text in self._events
                if s > seq and policy.follows(viewer, target)]
