"""The open alarms and home visits as the last routed event left them, so `hello` needs no
database."""

import uuid
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events, policy
from app.alarm.models import OPEN_STATUSES, Alarm
from app.alarm.policy import Target, Viewer
from app.visit import events as visit_events
from app.visit.models import ACTIVE, OVERDUE, Visit


class OpenAlarms:
    def __init__(self) -> None:
        self._by_id: dict[str, tuple[Target, dict[str, Any]]] = {}

    async def load(self, session: AsyncSession) -> None:
        """Start from the database (once, at start-up, before events are routed)."""
        rows = (await session.scalars(select(Alarm).where(Alarm.status.in_(OPEN_STATUSES))
                                      .order_by(Alarm.raised_at))).all()
        for alarm in rows:
            self._by_id[str(alarm.id)] = (Target.of(alarm), await events.snapshot(session, alarm))

    def apply(self, alarm: dict[str, Any] | None) -> None:
        """Keep the alarm of a routed event (its snapshot right after it) while it is open."""
        if not alarm or "status" not in alarm:
            return
        if alarm["status"] in OPEN_STATUSES:
            self._by_id[alarm["id"]] = (Target.of_snapshot(alarm), alarm)
        else:
            self._by_id.pop(alarm["id"], None)

    def visible_to(self, viewer: Viewer) -> list[dict[str, Any]]:
        """Snapshots of the open alarms the viewer follows, oldest first."""
        found = [snap for target, snap in self._by_id.values() if policy.follows(viewer, target)]
        found.sort(key=lambda snap: (snap["raised_at"], snap["id"]))
        return found

    def ids(self) -> set[uuid.UUID]:
        return {uuid.UUID(key) for key in self._by_id}


class OpenVisits:
    """Active home visits, and overdue ones while their alarm is open (as `GET /visits?status=
    open`)."""

    def __init__(self) -> None:
        self._by_id: dict[str, tuple[Target, dict[str, Any]]] = {}

    async def load(self, session: AsyncSession) -> None:
        rows = (await session.scalars(
            select(Visit).outerjoin(Alarm, Alarm.id == Visit.alarm_id)
            .where(or_(Visit.status == ACTIVE,
                       and_(Visit.status == OVERDUE, Alarm.status.in_(OPEN_STATUSES)))))).all()
        for visit in rows:
            self.apply(await visit_events.snapshot(session, visit))

    def apply(self, visit: dict[str, Any]) -> None:
        if visit["status"] in (ACTIVE, OVERDUE):
            self._by_id[visit["id"]] = (Target.of_visit(visit), visit)
        else:
            self._by_id.pop(visit["id"], None)

    def alarm_changed(self, alarm: dict[str, Any]) -> None:
        """An overdue visit stops being open when its alarm closes."""
        if alarm.get("status") in OPEN_STATUSES:
            return
        for key, (_, visit) in list(self._by_id.items()):
            if visit["status"] == OVERDUE and visit.get("alarm_id") == alarm.get("id"):
                del self._by_id[key]

    def visible_to(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The open visits the viewer follows, oldest first."""
        found = [visit for target, visit in self._by_id.values()
                 if policy.follows(viewer, target)]
        found.sort(key=lambda visit: (visit["started_at"], visit["id"]))
        return found
