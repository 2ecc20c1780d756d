"""Browser push subscriptions, and the pushes queued for them.

What a push carries (the decrypted body, UTF-8 JSON, at most 3,800 bytes) is the WebSocket's
event frame, so the service worker can treat both alike:

    {"type": "event", "seq": 123, "event": Event, "alarm": Alarm}

- `event` is the contract's Event (`seq`, `alarm_id`, `type`, `at`, `actor`, `data`), one of
  `alarm.raised`, `alarm.acknowledged`, `alarm.upgraded`, `alarm.cancelled`, `alarm.resolved`.
  Free text is left out: `data.reason` (cancel) and `data.summary` (resolve) are dropped.
- `alarm` is the contract's Alarm as it stood right after the event, with `location_note` and
  `close_reason` null (staff may type a visitor's name there). Where the JSON would pass 3,800
  bytes, `alarm.deliveries` is emptied first, then `alarm.responders` is cut from the end
  (`delivered_to` still counts everyone) and `"trimmed": true` is added at the top level.
- Every push about one alarm carries the HTTP `Topic` header `alarm.id` without dashes (32
  characters), so a push service keeps only the newest one waiting; the service worker should
  use the alarm id as the notification `tag`, so the newest replaces the one on screen.
- A push not about an alarm (a home visit's `visit.due`, to the worker) has `"alarm": null`
  and its subject under its own key (`"visit": Visit`), as on the WebSocket.

Who gets what: `install()` below. Every push is an outbox row (`PushMessage`) written in the
caller's transaction; the dispatcher (`app.push.outbox`) sends them.
"""

import json
import uuid
from collections.abc import Collection, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm import events, reactions
from app.alarm.models import Alarm, AlarmEvent
from app.auth.models import User
from app.db import flush_unique, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.push import origins
from app.push.models import PENDING, PushMessage, PushSubscription
from app.push.schemas import SubscriptionCreate

PUSH_TTL_S = 300  # a stale alarm is worse than none
MAX_PAYLOAD_BYTES = 3800
FREE_TEXT_DATA = ("reason", "summary")
FOLLOW_UP_EVENTS = ("alarm.acknowledged", "alarm.upgraded", "alarm.cancelled", "alarm.resolved")


def _not_allowed(endpoint: str) -> InvalidInput:
    return InvalidInput([{"loc": ["body", "endpoint"], "field": "endpoint",
                          "msg": "the endpoint's origin is not in TRYGG_PUSH_ENDPOINTS",
                          "type": "push_endpoint_not_allowed"}], code="push_endpoint_not_allowed")


async def subscribe(session: AsyncSession, *, user: User, payload: SubscriptionCreate,
                    allowed: str) -> tuple[PushSubscription, bool]:
    """Store the caller's subscription (or take the stored one with the same endpoint).
    Returns it and whether it is new. An endpoint outside `allowed` (TRYGG_PUSH_ENDPOINTS) is
    refused; one held by another user moves to the caller only with the same keys, which prove
    the caller's browser holds it."""
    if not origins.is_allowed(payload.endpoint, allowed):
        raise _not_allowed(payload.endpoint)
    keys = payload.keys
    existing = await session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == payload.endpoint))
    if existing is not None:
        same_keys = (existing.p256dh, existing.auth) == (keys.p256dh, keys.auth)
        if existing.user_id != user.id:
            if not same_keys:
                raise Conflict("this endpoint belongs to another subscription",
                               code="push_endpoint_taken")
            existing.user_id = user.id
        existing.p256dh, existing.auth = keys.p256dh, keys.auth
        return existing, False
    subscription = PushSubscription(user_id=user.id, endpoint=payload.endpoint,
                                    p256dh=keys.p256dh, auth=keys.auth, created_at=utcnow())
    session.add(subscription)
    await flush_unique(session, Conflict("this endpoint was stored at the same moment; retry",
                                         code="push_endpoint_taken"))
    return subscription, True


async def list_subscriptions(session: AsyncSession, *, user: User) -> list[PushSubscription]:
    return list((await session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.created_at))).all())


async def unsubscribe(session: AsyncSession, *, user: User, subscription_id: uuid.UUID) -> None:
    """Delete one of the caller's subscriptions; pushes still waiting for it are not sent."""
    subscription = await session.get(PushSubscription, subscription_id)
    if subscription is None or subscription.user_id != user.id:
        raise NotFound("no such push subscription")
    await session.delete(subscription)
    await session.flush()


async def reachable_users(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these users have a push subscription (a gone one is deleted on its first 410)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set((await session.scalars(select(PushSubscription.user_id).where(
        PushSubscription.user_id.in_(ids)).distinct())).all())


def encode_payload(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


async def queue_push(session: AsyncSession, *, user_ids: Collection[uuid.UUID],
                     payload: dict[str, Any], topic: str | None = None,
                     alarm_id: uuid.UUID | None = None, ttl_s: int = PUSH_TTL_S) -> int:
    """Write one outbox row per subscription of each of `user_ids`, in the caller's
    transaction. `payload` is sent as JSON (at most 3,800 bytes encoded); `topic` lets the
    push service replace a waiting push by a newer one; with `alarm_id` the outcomes are
    events in that alarm's timeline. Returns how many pushes were queued."""
    if not user_ids:
        return 0
    body = encode_payload(payload)
    if len(body.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"push payload of {len(body.encode())} bytes is over {MAX_PAYLOAD_BYTES}")
    subscriptions = (await session.execute(
        select(PushSubscription.id, PushSubscription.user_id)
        .where(PushSubscription.user_id.in_(list(user_ids))))).all()
    now = utcnow()
    for subscription_id, user_id in subscriptions:
        session.add(PushMessage(subscription_id=subscription_id, user_id=user_id,
                                alarm_id=alarm_id, topic=topic, payload=body, status=PENDING,
                                created_at=now, next_attempt_at=now,
                                expires_at=now + timedelta(seconds=ttl_s)))
    return len(subscriptions)


def alarm_topic(alarm_id: uuid.UUID) -> str:
    return alarm_id.hex[:32]


def alarm_payload(event: AlarmEvent) -> dict[str, Any]:
    """The push body for one alarm event, free text left out, trimmed to fit."""
    read = events.event_read(event)
    read["data"] = {k: v for k, v in read["data"].items() if k not in FREE_TEXT_DATA}
    alarm = {**event.alarm_snapshot, "location_note": None, "close_reason": None}
    payload: dict[str, Any] = {"type": "event", "seq": event.seq, "event": read, "alarm": alarm}

    def size() -> int:
        return len(encode_payload(payload).encode())

    if size() > MAX_PAYLOAD_BYTES:
        payload["trimmed"] = True
        alarm["deliveries"] = []
        alarm["responders"] = list(alarm.get("responders", []))
        while size() > MAX_PAYLOAD_BYTES and alarm["responders"]:
            alarm["responders"].pop()
    return payload


async def _office_responders_with_push(session: AsyncSession, alarm: Alarm) -> set[uuid.UUID]:
    rows = (await session.execute(
        select(User.id, User.roles).join(PushSubscription, PushSubscription.user_id == User.id)
        .where(User.office_id == alarm.office_id, User.is_active.is_(True),
               User.id != alarm.raised_by_id))).all()
    return {user_id for user_id, roles in rows if "responder" in roles}


async def _pushed_about(session: AsyncSession, alarm: Alarm) -> set[uuid.UUID]:
    return set((await session.scalars(select(PushMessage.user_id).where(
        PushMessage.alarm_id == alarm.id).distinct())).all())


async def _react_raised(session: AsyncSession, alarm: Alarm, event: AlarmEvent,
                        context: reactions.Context) -> None:
    if alarm.mode == "test":
        return
    await queue_push(session, user_ids=await _office_responders_with_push(session, alarm),
                     payload=alarm_payload(event), topic=alarm_topic(alarm.id), alarm_id=alarm.id)


async def _react_changed(session: AsyncSession, alarm: Alarm, event: AlarmEvent,
                         context: reactions.Context) -> None:
    if alarm.mode == "test":
        return
    await queue_push(session, user_ids=await _pushed_about(session, alarm),
                     payload=alarm_payload(event), topic=alarm_topic(alarm.id), alarm_id=alarm.id)


def install() -> None:
    """Follow alarms: at raise (real or drill, yellow or red) push every responder of the office
    with a subscription but the raiser; after an acknowledgement, upgrade, cancel or resolve,
    push the same people again with the same Topic, so the notification on screen changes."""
    reactions.register(_react_raised, "alarm.raised")
    reactions.register(_react_changed, *FOLLOW_UP_EVENTS)
