"""The built-in anonymisers: what the alarm, notify and incident domains store about people.

Kept: times, levels, modes, offices, rooms, counts, delivery channels and outcomes, and the
Working Environment Act § 5-1 register fields (the register must be kept). Taken out: names,
user and device ids, free-text notes, cancel reasons and summaries, positions, phone numbers,
text bodies, provider ids, debrief participants and notes.
"""

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm.models import AlarmDelivery, AlarmEvent, AlarmResponder
from app.incident.models import Debrief, FollowUpTask, Incident
from app.notify.models import Notification
from app.privacy import retention
from app.privacy.models import ANONYMOUS_USER_ID
from app.push.models import PushMessage

# Event data keys that carry no person: everything else is dropped (an allowlist, so a key a
# new event type adds is taken out until someone decides it may stay). Other domains add theirs.
KEPT_EVENT_KEYS = {
    "level", "mode", "silent", "room_id", "from", "to", "tier", "reason", "status", "attempt",
    "attempts", "http_status", "error_code", "retry_in_s", "channel", "role",
}
# Kept keys that are free text for some event types.
FREE_TEXT = {("alarm.cancelled", "reason")}


def scrub_data(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items()
            if key in KEPT_EVENT_KEYS and (event_type, key) not in FREE_TEXT}


async def scrub_snapshot(session: AsyncSession, batch: "retention.Batch",
                         snapshot: dict[str, Any]) -> dict[str, Any]:
    """The alarm as clients saw it, with people shown by role and no notes or positions."""
    if not snapshot:
        return snapshot
    alarm_uuid = uuid.UUID(str(snapshot["id"]))
    out = dict(snapshot)
    raiser = (snapshot.get("raised_by") or {}).get("id")
    out["raised_by"] = {"id": str(ANONYMOUS_USER_ID),
                        "full_name": await batch.label(session, alarm_uuid, raiser)}
    out.update(device_id=None, location_note=None, position=None, close_reason=None)
    for key in ("responders", "deliveries"):
        people = []
        for person in snapshot.get(key) or []:
            label = await batch.label(session, alarm_uuid, person.get("user_id"))
            people.append({**person, "user_id": str(ANONYMOUS_USER_ID), "full_name": label})
        out[key] = people
    return out


async def anonymise_events(session: AsyncSession, batch: "retention.Batch") -> None:
    """Actors shown by role, data and snapshots without people (the one update of events)."""
    events = (await session.scalars(
        select(AlarmEvent).where(AlarmEvent.alarm_id.in_(batch.ids)))).all()
    for event in events:
        if event.actor_id is not None:
            event.actor_name = await batch.label(session, event.alarm_id, event.actor_id)
            event.actor_id = ANONYMOUS_USER_ID
        event.data = scrub_data(event.type, event.data or {})
        event.alarm_snapshot = await scrub_snapshot(session, batch, event.alarm_snapshot or {})


async def anonymise_answers(session: AsyncSession, batch: "retention.Batch") -> None:
    """Who acknowledged and who got it: the times and counts live on in the anonymised
    snapshots (what `GET /alarms/{id}` shows of an anonymised alarm), the links to people go."""
    await session.execute(delete(AlarmResponder).where(AlarmResponder.alarm_id.in_(batch.ids)))
    await session.execute(delete(AlarmDelivery).where(AlarmDelivery.alarm_id.in_(batch.ids)))


async def anonymise_texts(session: AsyncSession, batch: "retention.Batch") -> None:
    """Texts and calls: phone numbers and bodies (which name the raiser). Their outcomes stay
    as `sms.*` / `voice.*` events."""
    await session.execute(delete(Notification).where(Notification.alarm_id.in_(batch.ids)))


async def anonymise_incidents(session: AsyncSession, batch: "retention.Batch") -> None:
    """The § 5-1 register entry stays (the law requires the register, and it describes work,
    events and causes); who edited it, debrief participants and notes, and task owners go."""
    for incident in (await session.scalars(
            select(Incident).where(Incident.alarm_id.in_(batch.ids)))).all():
        incident.updated_by_id = ANONYMOUS_USER_ID
    for debrief in (await session.scalars(
            select(Debrief).where(Debrief.alarm_id.in_(batch.ids)))).all():
        debrief.participants, debrief.notes = "", ""
    for task in (await session.scalars(
            select(FollowUpTask).where(FollowUpTask.alarm_id.in_(batch.ids)))).all():
        task.owner_id = ANONYMOUS_USER_ID


async def anonymise_pushes(session: AsyncSession, batch: "retention.Batch") -> None:
    """Pushes kept in the outbox carry the alarm as it was (names): they go; their outcomes
    stay as `push.*` events."""
    await session.execute(delete(PushMessage).where(PushMessage.alarm_id.in_(batch.ids)))


def install() -> None:
    from app.visit import retention as visit_retention

    for anonymiser in (anonymise_events, anonymise_answers, anonymise_texts, anonymise_incidents,
                       anonymise_pushes, visit_retention.anonymise_visit_alarms):
        retention.register(anonymiser)
    retention.register_sweep(visit_retention.sweep_ended_visits)
