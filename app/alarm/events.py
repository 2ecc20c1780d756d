"""The alarm event log: the one place where events are written.

Events are only ever inserted. Each carries the alarm as it stood right after it, and is
published to connected clients once its transaction has committed.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import reactions, roles
from app.alarm.models import Alarm, AlarmDelivery, AlarmEvent, AlarmResponder
from app.alarm.schemas import AlarmRead, EventRead
from app.auth.models import User
from app.db import after_commit, utcnow
from app.org.models import Room

# Any constant works; it names the lock that orders event writers on PostgreSQL.
_EVENT_LOG_LOCK = 0x7472_7967
# What an anonymised alarm takes from its stored snapshot: the people, by role, and the count.
ANONYMISED_PEOPLE = ("raised_by", "responders", "deliveries", "delivered_to")


async def lock_event_log(session: AsyncSession) -> None:
    """Serialise writers of alarm state until this transaction ends.

    On PostgreSQL, sequence numbers are handed out before commit, so two transactions could
    commit their events out of `seq` order and a client resuming after the higher one would
    never see the lower. Holding one transaction-scoped advisory lock from the first alarm
    write until commit makes commit order equal `seq` order. SQLite has a single writer already.
    """
    if session.info.get("event_log_locked"):
        return
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _EVENT_LOG_LOCK})
    session.info["event_log_locked"] = True


async def snapshot(session: AsyncSession, alarm: Alarm) -> dict[str, Any]:
    """The alarm as clients see it, JSON-ready. An anonymised alarm's people are shown as its
    last event's anonymised snapshot has them, by role (app/privacy/retention.py)."""
    raiser = await session.get(User, alarm.raised_by_id)
    room = await session.get(Room, alarm.room_id) if alarm.room_id else None
    responders = (
        await session.execute(
            select(AlarmResponder, User.full_name)
            .join(User, User.id == AlarmResponder.user_id)
            .where(AlarmResponder.alarm_id == alarm.id)
            .order_by(AlarmResponder.acknowledged_at)
        )
    ).all()
    deliveries = (
        await session.execute(
            select(AlarmDelivery, User.full_name)
            .join(User, User.id == AlarmDelivery.user_id)
            .where(AlarmDelivery.alarm_id == alarm.id)
            .order_by(AlarmDelivery.delivered_at)
        )
    ).all()
    shown = _shown(alarm, raiser, room, responders, deliveries)
    if alarm.anonymised_at is not None:
        stored = await session.scalar(
            select(AlarmEvent.alarm_snapshot).where(AlarmEvent.alarm_id == alarm.id)
            .order_by(AlarmEvent.seq.desc()).limit(1)) or {}
        shown.update({key: stored[key] for key in ANONYMISED_PEOPLE if key in stored})
    return shown


def new_alarm_snapshot(alarm: Alarm, *, raiser: User, room: Room | None) -> dict[str, Any]:
    """`snapshot` of an alarm not yet stored, from what its raise has in hand: nobody has
    answered or received it yet, so nothing is read."""
    return _shown(alarm, raiser, room, (), ())


def _shown(alarm: Alarm, raiser: User, room: Room | None,
           responders: Sequence[Any], deliveries: Sequence[Any]) -> dict[str, Any]:
    role_counts = roles.counts(r.role for r, _ in responders)
    read = AlarmRead(
        id=alarm.id,
        office_id=alarm.office_id,
        level=alarm.level,
        mode=alarm.mode,
        status=alarm.status,
        silent=alarm.silent,
        raised_by={"id": raiser.id, "full_name": raiser.full_name},
        device_id=alarm.device_id,
        room={"id": room.id, "name": room.name} if room else None,
        location_note=alarm.location_note,
        position=alarm.position,
        raised_at=alarm.raised_at,
        responders=[
            {"user_id": r.user_id, "full_name": name, "acknowledged_at": r.acknowledged_at,
             "channel": r.channel, "role": r.role}
            for r, name in responders
        ],
        closed_at=alarm.closed_at,
        close_reason=alarm.close_reason,
        deliveries=[
            {"user_id": d.user_id, "full_name": name, "channel": d.channel,
             "delivered_at": d.delivered_at}
            for d, name in deliveries
        ],
        delivered_to=len({d.user_id for d, _ in deliveries}),
        role_counts=role_counts,
        answer_summary=roles.summary(role_counts),
        visit_id=alarm.visit_id,
    )
    return read.model_dump(mode="json")


def event_read(event: AlarmEvent) -> dict[str, Any]:
    actor = {"id": event.actor_id, "full_name": event.actor_name} if event.actor_id else None
    return EventRead(
        seq=event.seq, alarm_id=event.alarm_id, visit_id=event.visit_id, type=event.type,
        at=event.at, actor=actor, data=event.data,
    ).model_dump(mode="json")


def bus_record(event: AlarmEvent) -> dict[str, Any]:
    """What the bus carries for one committed event (a home visit's: `alarm` None, `visit`)."""
    if event.visit_id is not None:
        return {"seq": event.seq, "event": event_read(event), "alarm": None,
                "visit": event.visit_snapshot}
    return {"seq": event.seq, "event": event_read(event), "alarm": event.alarm_snapshot}


def publish_after_commit(session: AsyncSession, event: AlarmEvent) -> None:
    """Hand `event` to connected clients once this transaction has committed (in `seq` order
    with the transaction's other events)."""
    pending: list[AlarmEvent] | None = session.info.get("pending_events")
    if pending is None:
        pending = session.info["pending_events"] = []
        publish = session.info.get("publish")
        if publish is not None:
            async def _publish() -> None:
                events = session.info.pop("pending_events", [])
                session.info.pop("event_log_locked", None)
                await publish([bus_record(e) for e in events])

            after_commit(session, _publish)
    pending.append(event)


async def log_event(
    session: AsyncSession,
    *,
    alarm: Alarm,
    type: str,
    actor: User | None,
    data: dict[str, Any] | None = None,
    alarm_snapshot: dict[str, Any] | None = None,
) -> AlarmEvent:
    """Append one event for `alarm` (whose state changes must already be applied), run the
    reactions other domains registered for its type in this transaction, and publish it to
    connected clients after commit. `alarm_snapshot`, when the caller has it without reading
    (`new_alarm_snapshot`), is stored as the event's snapshot; otherwise it is read."""
    await lock_event_log(session)
    if alarm_snapshot is None:
        await session.flush()
        alarm_snapshot = await snapshot(session, alarm)
    event = AlarmEvent(
        alarm_id=alarm.id,
        office_id=alarm.office_id,
        type=type,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else None,
        data=data or {},
        alarm_snapshot=alarm_snapshot,
    )
    session.add(event)
    await session.flush()
    publish_after_commit(session, event)
    await reactions.run(session, alarm, event)
    return event


async def log_events(
    session: AsyncSession,
    *,
    alarm: Alarm,
    entries: Sequence[tuple[str, dict[str, Any]]],
) -> list[AlarmEvent]:
    """Append several events for `alarm` that leave it as it is (each a `(type, data)` pair with
    no actor, such as the outcomes of its pushes), in order, all carrying one snapshot of it;
    reactions run and publishing happens as for `log_event`. One snapshot and one insert
    instead of one of each per event."""
    if not entries:
        return []
    await lock_event_log(session)
    await session.flush()
    shown = await snapshot(session, alarm)
    at = utcnow()
    made = [AlarmEvent(alarm_id=alarm.id, office_id=alarm.office_id, type=type_, at=at,
                       actor_id=None, actor_name=None, data=data, alarm_snapshot=shown)
            for type_, data in entries]
    session.add_all(made)
    await session.flush()
    made.sort(key=lambda event: event.seq)  # published in `seq` order, whatever the insert did
    for event in made:
        publish_after_commit(session, event)
    for event in made:
        await reactions.run(session, alarm, event)
    return made
