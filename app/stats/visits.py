"""Home visit figures for the statistics and columns for the alarm export."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm.models import Alarm
from app.org.models import Office
from app.visit.models import OVERDUE, Visit


async def visit_stats(session: AsyncSession, *, office_id: uuid.UUID | None, since: datetime,
                      until: datetime) -> list[dict[str, Any]]:
    """Per office: visits started in the period, how many went overdue, and how many of those
    were false (the overdue alarm was cancelled rather than resolved)."""
    query = (select(Visit.office_id, Office.name, Visit.status, Alarm.status)
             .join(Office, Office.id == Visit.office_id)
             .outerjoin(Alarm, Alarm.id == Visit.alarm_id)
             .where(Visit.started_at >= since, Visit.started_at < until))
    if office_id is not None:
        query = query.where(Visit.office_id == office_id)
    figures: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(
        lambda: {"visits": 0, "overdue": 0, "false_overdue": 0})
    for oid, name, status, alarm_status in (await session.execute(query)).all():
        row = figures[(oid, name)]
        row["visits"] += 1
        if status == OVERDUE:
            row["overdue"] += 1
            if alarm_status == "cancelled":
                row["false_overdue"] += 1
    return [{"office_id": oid, "office_name": name, **row}
            for (oid, name), row in sorted(figures.items(), key=lambda kv: kv[0][1])]


VISIT_COLUMNS = ("visit_id", "visit_place", "visit_started_at", "visit_expected_end",
                 "visit_last_check_in_at")


async def visit_cells(session: AsyncSession, alarms: Iterable[Alarm]) -> dict[uuid.UUID, list]:
    """The export's visit columns for each alarm a home visit raised."""
    ids = [a.visit_id for a in alarms if a.visit_id is not None]
    if not ids:
        return {}
    visits = (await session.scalars(select(Visit).where(Visit.id.in_(ids)))).all()
    return {v.id: [v.id, v.place, v.started_at.isoformat(), v.expected_end.isoformat(),
                   v.last_check_in_at.isoformat() if v.last_check_in_at else ""]
            for v in visits}
