"""`/api/v1/ws`: authentication, hello, live events, resume, received, heartbeat."""

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy import func, select
from starlette.routing import WebSocketRoute

from app.alarm import policy
from app.alarm import service as alarm_service
from app.alarm.events import bus_record
from app.alarm.models import Alarm, AlarmEvent
from app.auth.models import User
from app.db import commit
from app.errors import AppError, is_unavailable
from app.realtime import frames, limits
from app.realtime.access import Grant
from app.realtime.connection import (
    CLOSE_HEARTBEAT_TIMEOUT,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHORIZED,
    Connection,
)
from app.realtime.hub import Hub
from app.visit.models import Visit

log = logging.getLogger(__name__)

CLOSE_TRY_AGAIN = 1013
AUTH_TIMEOUT_S = 5
LIVE_HOLD_S = 0.5  # how long live frames wait for a possible `resume` after `hello`
REPLAY_PAGE = 500


def _header_token(ws: WebSocket) -> str | None:
    scheme, _, token = ws.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _authenticate(ws: WebSocket) -> Grant | None:
    token = _header_token(ws)
    if token is None:
        try:
            message = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_S)
            frame = json.loads(message)
            if isinstance(frame, dict) and frame.get("type") == "auth":
                token = frame.get("token")
        except (TimeoutError, ValueError, KeyError, RuntimeError, WebSocketDisconnect):
            token = None
    if not isinstance(token, str) or not token:
        return None
    return await ws.app.state.hub.tokens.lookup(ws.app.state.sessionmaker, token)


async def websocket_endpoint(ws: WebSocket) -> None:
    await ws.accept()
    hub: Hub = ws.app.state.hub
    generation = hub.tokens.generation
    try:
        grant = await _authenticate(ws)
        viewer = grant.viewer if grant else None
        minimum = (await hub.office_minimum(viewer.office_id)
                   if viewer and viewer.office_id else None)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        with contextlib.suppress(Exception):
            await ws.close(CLOSE_TRY_AGAIN, "database unavailable")
        return
    if grant is None or viewer is None:
        with contextlib.suppress(Exception):
            await ws.close(CLOSE_UNAUTHORIZED, "invalid or missing token")
        return
    state = ws.app.state
    conn = Connection(grant, ws, maxsize=state.settings.ws_send_queue, replay=_replay)
    interval = state.settings.heartbeat_interval_s
    hold: asyncio.TimerHandle | None = None
    try:
        # No await from here to the hello: what it says is exactly what was routed so far.
        readiness = hub.register(conn, min_responders_online=minimum,
                                 expires_at=grant.expires_at)
        if hub.tokens.changed_since(viewer.user_id, generation):
            hub.drop(conn, CLOSE_UNAUTHORIZED)  # looked up before a change of access
        newest = hub.cursor
        conn.sent_seq = newest
        hello = frames.encode({
            "type": "hello", "seq": newest, "heartbeat_interval_s": interval,
            "open_alarms": hub.open_alarms.visible_to(viewer), "user": grant.hello_user(),
        })
        await ws.send_text(hello)
        if readiness is not None:
            await ws.send_text(readiness)
        hold = asyncio.get_running_loop().call_later(LIVE_HOLD_S, conn.release)
        await _receive_loop(ws, conn, interval)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("websocket connection failed")
    finally:
        if hold is not None:
            hold.cancel()
        hub.unregister(conn)
        if conn.sender is not None:
            conn.sender.cancel()
            with contextlib.suppress(BaseException):
                await conn.sender
        if conn.close_code is not None:
            with contextlib.suppress(Exception):
                await ws.close(conn.close_code)


def _after_seq(frame: dict[str, Any]) -> int | None:
    after = frame.get("after_seq")
    if isinstance(after, int) and not isinstance(after, bool) and after >= 0:
        return after
    return None


async def _receive_loop(ws: WebSocket, conn: Connection, interval: int) -> None:
    hub: Hub = ws.app.state.hub
    while conn.close_code is None:
        try:
            async with asyncio.timeout(2 * interval):
                message = await ws.receive()
        except TimeoutError:
            # Silent for two intervals: no longer online, and closed.
            hub.drop(conn, CLOSE_HEARTBEAT_TIMEOUT)
            return
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            text = (message.get("bytes") or b"").decode("utf-8", "replace")
        try:
            frame = json.loads(text)
            if not isinstance(frame, dict):
                raise ValueError("not an object")
        except ValueError:
            conn.push(0, frames.error_frame("invalid_frame", "frames are JSON objects"))
            continue
        kind = frame.get("type")
        if kind == "resume" and conn.holding and (after := _after_seq(frame)) is not None:
            conn.early_resume = after
            conn.resumed_at = time.monotonic()
            conn.release()
            continue
        conn.release()
        if kind == "heartbeat":
            conn.push(0, frames.HEARTBEAT_ACK)
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
            await _record_received(ws, conn, frame.get("alarm_id"))
        elif kind == "auth":
            continue
        else:
            conn.push(0, frames.error_frame("unknown_type", f"unknown frame type {kind!r}"))


async def _record_received(ws: WebSocket, conn: Connection, alarm_id: Any) -> None:
    """Store one `alarm.delivered` per alarm and user: repeats (from any of the user's
    connections on this process) are dropped without touching the database."""
    try:
        alarm_uuid = uuid.UUID(str(alarm_id))
    except ValueError:
        conn.push(0, frames.error_frame("invalid_frame", "alarm_id must be a UUID"))
        return
    if alarm_uuid in conn.invisible:
        conn.push(0, frames.NO_SUCH_ALARM)
        return
    receipts = ws.app.state.hub.receipts
    if not receipts.claim(alarm_uuid, conn.user_id):
        return
    stored = False
    async with ws.app.state.sessionmaker() as session:
        session.info["publish"] = ws.app.state.hub.publish_events
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
            if exc.status_code == 404 and len(conn.invisible) < limits.INVISIBLE_KEPT:
                conn.invisible.add(alarm_uuid)
            conn.push(0, frames.error_frame(exc.code, str(exc.detail)))
        finally:
            receipts.release(alarm_uuid, conn.user_id, stored=stored)


async def _replay(conn: Connection, after: int) -> None:
    """Send every visible event after `after` (from memory when the hub still holds them all,
    else from the database), in order; the live frames queued meanwhile follow, without
    duplicates."""
    held = conn.ws.app.state.hub.recent.after(after, conn.viewer)
    if held is not None:
        for seq, text in held:
            await conn.ws.send_text(text)
            conn.sent_seq = max(conn.sent_seq, seq)
        return
    # A home visit's events are followed like a real alarm of its worker.
    visible = policy.follows_clause(conn.viewer, office=AlarmEvent.office_id,
                                    raiser=func.coalesce(Alarm.raised_by_id, Visit.user_id),
                                    mode=func.coalesce(Alarm.mode, "real"))
    cursor = after
    while True:
        async with conn.ws.app.state.sessionmaker() as session:
            rows = (await session.scalars(
                select(AlarmEvent)
                .outerjoin(Alarm, Alarm.id == AlarmEvent.alarm_id)
                .outerjoin(Visit, Visit.id == AlarmEvent.visit_id)
                .where(AlarmEvent.seq > cursor, visible)
                .order_by(AlarmEvent.seq)
                .limit(REPLAY_PAGE)
            )).all()
        for row in rows:
            await conn.ws.send_text(frames.event_frame(bus_record(row)))
            cursor = row.seq
        if len(rows) < REPLAY_PAGE:
            break
    conn.sent_seq = max(conn.sent_seq, cursor)


def route(prefix: str) -> WebSocketRoute:
    """A plain Starlette route: no per-connection dependency machinery to keep in memory."""
    return WebSocketRoute(f"{prefix}/ws", websocket_endpoint, name="websocket")
