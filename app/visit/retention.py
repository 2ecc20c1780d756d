"""Retention for home visits: once the office's retention period has passed, the worker, the
place and every position go out of the visit and its events; times, statuses and the office
stay, so the visit figures in the statistics stay right.

An overdue visit goes with its alarm (the alarm's batch); an ended one on its own, counted from
its end.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm.models import AlarmEvent
from app.org.models import Office
from app.privacy.models import ANONYMOUS_USER_ID
from app.visit.models import ENDED, Visit

PLACE = "–"
WORKER = "Ansatt"  # the worker, shown by role (as the register does)
EVENT_KEYS = {"visit_id", "alarm_id", "status"}


def _scrub_snapshot(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if not snapshot:
        return snapshot
    return {**snapshot, "user_id": str(ANONYMOUS_USER_ID), "place": PLACE, "position": None,
            "user": {"id": str(ANONYMOUS_USER_ID), "full_name": WORKER}}


async def _anonymise(session: AsyncSession, visits: list[Visit]) -> None:
    if not visits:
        return
    for visit in visits:
        visit.user_id, visit.place, visit.position = ANONYMOUS_USER_ID, PLACE, None
    events = (await session.scalars(select(AlarmEvent).where(
        AlarmEvent.visit_id.in_([v.id for v in visits])))).all()
    for event in events:
        if event.actor_id is not None:
            event.actor_id, event.actor_name = ANONYMOUS_USER_ID, WORKER
        event.data = {k: v for k, v in (event.data or {}).items() if k in EVENT_KEYS}
        event.visit_snapshot = _scrub_snapshot(event.visit_snapshot)
    await session.flush()


async def anonymise_visit_alarms(session: AsyncSession, batch: Any) -> None:
    """The visits behind the batch's alarms (a missed check-in) go with them."""
    visits = (await session.scalars(select(Visit).where(Visit.alarm_id.in_(batch.ids)))).all()
    await _anonymise(session, list(visits))


async def sweep_ended_visits(session: AsyncSession, office: Office, before: Any, now: Any) -> int:
    """Visits of `office` that ended before `before` and still name their worker."""
    visits = list((await session.scalars(select(Visit).where(
        Visit.office_id == office.id, Visit.status == ENDED, Visit.ended_at < before,
        Visit.user_id != ANONYMOUS_USER_ID).with_for_update(skip_locked=True))).all())
    await _anonymise(session, visits)
    return len(visits)


sweep_ended_visits.what = "visits"  # type: ignore[attr-defined]
