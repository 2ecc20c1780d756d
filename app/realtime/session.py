"""What a WebSocket client may say and what it gets, whichever server carries the frames.

Both ways of serving `/api/v1/ws` (Trygg's own protocol in `app.realtime.server`, and the
ASGI route in `app.realtime.router`) authenticate the token, then call `open` once, `on_text`
for every text frame and `end` when the socket is gone; frames go out through the
connection's `wire.Socket`.
"""

import asyncio
import functools
import json
import time
import uuid
from typing import Any

from sqlalchemy import func, select

from app.alarm import policy
from app.alarm import service as alarm_service
from app.alarm.events import bus_record
from app.alarm.models import Alarm, AlarmEvent
from app.auth.models import User
from app.config import Settings
from app.db import commit
from app.errors import AppError
from app.realtime import frames, limits, wire
from app.realtime.access import Grant
from app.realtime.connection import (
    CLOSE_HEARTBEAT_TIMEOUT,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHORIZED,
    Connection,
)
from app.realtime.hub import Hub
from app.visit.models import Visit

CLOSE_TRY_AGAIN = 1013
AUTH_TIMEOUT_S = 5
LIVE_HOLD_S = 0.5  # how long live frames wait for a possible `resume` after `hello`
REPLAY_PAGE = 500
HEARTBEAT_ACK = wire.frame_bytes(frames.HEARTBEAT_ACK)


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def auth_frame_token(text: str) -> str | None:
    """The token of a first frame `{"type": "auth", "token": …}`."""
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if isinstance(frame, dict) and frame.get("type") == "auth":
        token = frame.get("token")
        return token if isinstance(token, str) and token else None
    return None


async def authenticate(hub: Hub, token: str | None) -> tuple[Grant | None, int | None]:
    """The token's grant and its office's minimum of responders online (None, None: refused).
    Raises when the database is unavailable."""
    if not token:
        return None, None
    grant = await hub.tokens.lookup(hub.sessionmaker, token)
    office = grant.viewer.office_id if grant else None
    return grant, (await hub.office_minimum(office) if office else None)


def open(hub: Hub, settings: Settings, grant: Grant, socket: wire.Socket, *,
         minimum: int | None, generation: int) -> tuple[Connection, list[str]]:
    """Start routing events to a new connection. Returns it with the frames to send first
    (`hello`, then readiness); until they are sent and the client has spoken or a moment has
    passed, live frames wait in its queue."""
    conn = Connection(grant, socket, maxsize=settings.ws_send_queue,
                      replay=functools.partial(_replay, hub))
    interval = settings.heartbeat_interval_s
    # No await from here to the hello: what it says is exactly what was routed so far.
    readiness = hub.register(conn, min_responders_online=minimum, expires_at=grant.expires_at)
    if hub.tokens.changed_since(grant.viewer.user_id, generation):
        hub.drop(conn, CLOSE_UNAUTHORIZED)  # looked up before a change of access
    conn.sent_seq = hub.cursor
    first = [frames.encode({
        "type": "hello", "seq": hub.cursor, "heartbeat_interval_s": interval,
        "open_alarms": hub.open_alarms.visible_to(grant.viewer),
        "open_visits": hub.open_visits.visible_to(grant.viewer), "user": grant.hello_user(),
    })]
    if readiness is not None:
        first.append(readiness)
    if conn.close_code is None:
        # Silent for two intervals: no longer online, and closed.
        conn.watch(2 * interval, functools.partial(hub.drop, code=CLOSE_HEARTBEAT_TIMEOUT))
        asyncio.get_running_loop().call_later(LIVE_HOLD_S, conn.release)
    return conn, first


def end(hub: Hub, conn: Connection) -> None:
    """The socket is gone: stop routing to it."""
    hub.unregister(conn)
    conn.stop_timers()
    if conn.sender is not None:
        conn.sender.cancel()


def _after_seq(frame: dict[str, Any]) -> int | None:
    after = frame.get("after_seq")
    if isinstance(after, int) and not isinstance(after, bool) and after >= 0:
        return after
    return None


def on_text(hub: Hub, conn: Connection, text: str) -> Any | None:
    """Handle one client frame. Returns a coroutine to await before the next frame (storing a
    receipt), or None."""
    conn.heard = asyncio.get_running_loop().time()
    try:
        frame = json.loads(text)
        if not isinstance(frame, dict):
            raise ValueError("not an object")
    except ValueError:
        conn.push(0, frames.error_frame("invalid_frame", "frames are JSON objects"))
        return None
    kind = frame.get("type")
    if kind == "resume" and conn.holding and (after := _after_seq(frame)) is not None:
        conn.early_resume = after
        conn.resumed_at = time.monotonic()
        conn.release()
        return None
    conn.release()
    if kind == "heartbeat":
        conn.push(0, frames.HEARTBEAT_ACK, HEARTBEAT_ACK)
    elif kind == "resume":
        after = _after_seq(frame)
        if after is None:
            conn.push(0, frames.error_frame("invalid_frame", "after_seq must be an int >= 0"))
        elif (conn.resumed_at is not None
              and time.monotonic() - conn.resumed_at < limits.RESUME_INTERVAL_S):
            conn.push(0, frames.TOO_MANY_RESUMES)
        else:
            conn.resumed_at = time.monotonic()
            if not conn.resume(after):
                hub.drop(conn, CLOSE_TOO_SLOW)
    elif kind == "received":
        return _record_received(hub, conn, frame.get("alarm_id"))
    elif kind != "auth":
        conn.push(0, frames.error_frame("unknown_type", f"unknown frame type {kind!r}"))
    return None


async def _record_received(hub: Hub, conn: Connection, alarm_id: Any) -> None:
    """Store one `alarm.delivered` per alarm and user: repeats (from any of the user's
    connections on this process) are dropped without touching the database."""
    try:
        alarm_uuid = uuid.UUID(str(alarm_id))
    except ValueError:
        conn.push(0, frames.error_frame("invalid_frame", "alarm_id must be a UUID"))
        return
    if conn.invisible is not None and alarm_uuid in conn.invisible:
        conn.push(0, frames.NO_SUCH_ALARM)
        return
    if not hub.receipts.claim(alarm_uuid, conn.user_id):
        return
    stored = False
    async with hub.sessionmaker() as session:
        session.info["publish"] = hub.publish_events
        try:
            user = await session.get(User, conn.user_id)
            alarm = await alarm_service.get_visible(session, alarm_id=alarm_uuid, user=user)
            if alarm.raised_by_id != user.id:
                await alarm_service.record_delivery(session, alarm=alarm, user=user,
                                                    channel="websocket")
            await commit(session)
            stored = True
        except AppError as exc:
            await session.rollback()
            if exc.status_code == 404:
                if conn.invisible is None:
                    conn.invisible = set()
                if len(conn.invisible) < limits.INVISIBLE_KEPT:
                    conn.invisible.add(alarm_uuid)
            conn.push(0, frames.error_frame(exc.code, str(exc.detail)))
        finally:
            hub.receipts.release(alarm_uuid, conn.user_id, stored=stored)


async def _replay(hub: Hub, conn: Connection, after: int) -> None:
    """Send every visible event after `after` (from memory when the hub still holds them all,
    else from the database), in order; the live frames queued meanwhile follow, without
    duplicates."""
    held = hub.recent.after(after, conn.viewer)
    if held is not None:
        for seq, text in held:
            await conn.socket.send_text(text)
            conn.sent_seq = max(conn.sent_seq, seq)
        return
    # A home visit's events are followed like a real alarm of its worker.
    visible = policy.follows_clause(conn.viewer, office=AlarmEvent.office_id,
                                    raiser=func.coalesce(Alarm.raised_by_id, Visit.user_id),
                                    mode=func.coalesce(Alarm.mode, "real"))
    cursor = after
    while True:
        async with hub.sessionmaker() as session:
            rows = (await session.scalars(
                select(AlarmEvent)
                .outerjoin(Alarm, Alarm.id == AlarmEvent.alarm_id)
                .outerjoin(Visit, Visit.id == AlarmEvent.visit_id)
                .where(AlarmEvent.seq > cursor, visible)
                .order_by(AlarmEvent.seq)
                .limit(REPLAY_PAGE)
            )).all()
        for row in rows:
            await conn.socket.send_text(frames.event_frame(bus_record(row)))
            cursor = row.seq
        if len(rows) < REPLAY_PAGE:
            break
    conn.sent_seq = max(conn.sent_seq, cursor)
