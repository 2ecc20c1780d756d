"""Alarm statistics, readiness of an office's clients, and the alarm export."""

import csv
import io
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import policy
from app.alarm.models import Alarm, AlarmResponder
from app.alarm.policy import Viewer
from app.auth.models import Device, User
from app.db import utcnow
from app.errors import Forbidden
from app.org.models import Office, Room
from app.push import service as push_service
from app.stats import visits as visit_figures
from app.stats.models import DEFAULT_TEST_INTERVAL_DAYS, ReadinessPolicy


def require_office_follow_up(user: User, office_id: uuid.UUID) -> None:
    if not policy.may_follow_up(Viewer.of(user), office_id):
        raise Forbidden("for the office's managers and admins")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def alarm_stats(session: AsyncSession, *, user: User, office_id: uuid.UUID | None,
                      since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """Alarms per month by level and time to first acknowledgement per office; real alarms
    and drills apart, function tests left out; home visits per office."""
    if not user.has_role("admin"):
        if not user.has_role("manager", "safety_rep"):
            raise Forbidden("statistics are for managers, safety representatives and admins")
        if office_id is not None and office_id != user.office_id:
            raise Forbidden("managers and safety representatives see their own office only")
        office_id = user.office_id
    until = until or utcnow()
    since = since or (until - timedelta(days=365))
    query = (select(Alarm, Office.name).join(Office, Office.id == Alarm.office_id)
             .where(Alarm.mode != "test", Alarm.raised_at >= since, Alarm.raised_at < until))
    if office_id is not None:
        query = query.where(Alarm.office_id == office_id)
    rows = (await session.execute(query)).all()
    months: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"yellow": 0, "red": 0})
    acks: dict[tuple[uuid.UUID, str, str], list[float]] = defaultdict(list)
    counts: dict[tuple[uuid.UUID, str, str], int] = defaultdict(int)
    for alarm, office_name in rows:
        months[(alarm.raised_at.strftime("%Y-%m"), alarm.mode)][alarm.level] += 1
        key = (alarm.office_id, office_name, alarm.mode)
        counts[key] += 1
        if alarm.first_ack_at is not None:
            acks[key].append((alarm.first_ack_at - alarm.raised_at).total_seconds())
    return {
        "since": since, "until": until,
        "months": [{"month": m, "mode": mode, **levels}
                   for (m, mode), levels in sorted(months.items())],
        "ack_times": [{
            "office_id": oid, "office_name": name, "mode": mode, "alarms": n,
            "acknowledged": len(acks[(oid, name, mode)]),
            "median_s": (round(statistics.median(acks[(oid, name, mode)]), 1)
                         if acks[(oid, name, mode)] else None),
            "p90_s": (round(p, 1) if (p := percentile(acks[(oid, name, mode)], 0.9)) is not None
                      else None),
        } for (oid, name, mode), n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][2]))],
        "visits": await visit_figures.visit_stats(session, office_id=office_id, since=since,
                                                  until=until),
    }


async def test_interval_days(session: AsyncSession, office_id: uuid.UUID) -> int:
    policy = await session.get(ReadinessPolicy, office_id)
    return policy.test_interval_days if policy else DEFAULT_TEST_INTERVAL_DAYS


async def set_policy(session: AsyncSession, *, office: Office, test_interval_days: int) -> int:
    policy = await session.get(ReadinessPolicy, office.id)
    if policy is None:
        policy = ReadinessPolicy(office_id=office.id)
        session.add(policy)
    policy.test_interval_days = test_interval_days
    await session.flush()
    return test_interval_days


async def readiness(session: AsyncSession, *, office: Office, hub: Any,
                    sms_enabled: bool = False) -> dict[str, Any]:
    """Every active device and responder of the office, online or not, with test status, and
    the channels an alarm would reach each responder on now."""
    interval = await test_interval_days(session, office.id)
    connected = hub.connected(office.id)
    online_devices = {device for _, device in connected if device is not None}
    online_responders = hub.online_users(office.id)
    now = utcnow()
    devices = (await session.execute(
        select(Device, User.full_name, Room.name)
        .join(User, User.id == Device.user_id)
        .outerjoin(Room, Room.id == Device.room_id)
        .where(User.office_id == office.id, Device.revoked_at.is_(None))
        .order_by(User.full_name, Device.created_at))).all()
    responders = (await session.scalars(
        select(User).where(User.office_id == office.id, User.is_active.is_(True))
        .order_by(User.full_name))).all()
    responders = [u for u in responders if u.has_role("responder")]
    with_push = await push_service.reachable_users(session, (u.id for u in responders))

    def reachable(user: User) -> list[str]:
        channels = [("websocket", user.id in online_responders), ("push", user.id in with_push),
                    ("sms", sms_enabled and user.phone is not None)]
        return [name for name, ok in channels if ok]

    return {
        "office_id": office.id, "office_name": office.name, "test_interval_days": interval,
        "min_responders_online": office.min_responders_online,
        "responders_online": len(online_responders),
        "below_minimum": len(online_responders) < office.min_responders_online,
        "responders": [{"user_id": u.id, "full_name": u.full_name,
                        "online": u.id in online_responders, "reachable": reachable(u)}
                       for u in responders],
        "devices": [{
            "id": d.id, "user_id": d.user_id, "user_full_name": name, "kind": d.kind,
            "label": d.label, "room": room, "online": d.id in online_devices,
            "last_seen_at": d.last_seen_at, "last_test_at": d.last_test_at,
            "test_overdue": d.last_test_at is None or now - d.last_test_at > timedelta(days=interval),
        } for d, name, room in devices],
    }


CSV_COLUMNS = ("id", "raised_at", "office", "level", "mode", "status", "silent", "room",
               "raised_by", "first_ack_s", "responders", "closed_at", "close_reason",
               *visit_figures.VISIT_COLUMNS)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell that starts like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def export_csv(session: AsyncSession, alarms: Iterable[Alarm]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    offices: dict[uuid.UUID, str] = {}
    alarms = list(alarms)
    visits = await visit_figures.visit_cells(session, alarms)
    no_visit = [""] * len(visit_figures.VISIT_COLUMNS)
    for alarm in alarms:
        if alarm.office_id not in offices:
            offices[alarm.office_id] = (await session.get(Office, alarm.office_id)).name
        raiser = await session.get(User, alarm.raised_by_id)
        room = await session.get(Room, alarm.room_id) if alarm.room_id else None
        names = (await session.scalars(
            select(User.full_name).join(AlarmResponder, AlarmResponder.user_id == User.id)
            .where(AlarmResponder.alarm_id == alarm.id)
            .order_by(AlarmResponder.acknowledged_at))).all()
        first_ack = ((alarm.first_ack_at - alarm.raised_at).total_seconds()
                     if alarm.first_ack_at else None)
        writer.writerow([_cell(v) for v in (
            alarm.id, alarm.raised_at.isoformat(), offices[alarm.office_id], alarm.level,
            alarm.mode, alarm.status, "yes" if alarm.silent else "no", room.name if room else "",
            raiser.full_name, f"{first_ack:.1f}" if first_ack is not None else "",
            "; ".join(names), alarm.closed_at.isoformat() if alarm.closed_at else "",
            alarm.close_reason, *visits.get(alarm.visit_id, no_visit))])
    return out.getvalue()
