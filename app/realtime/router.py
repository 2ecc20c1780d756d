"""`/api/v1/ws`: authentication, hello, live events, resume, received, heartbeat."""

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy import and_, func, or_, select
from starlette.routing import WebSocketRoute

from app.alarm import service as alarm_service
from app.alarm.events import bus_record
from app.alarm.models import Alarm, AlarmEvent
from app.auth import service as auth_service
from app.auth.models import User
from app.auth.service import Principal
from app.db import commit, utcnow
from app.errors import AppError, is_unavailable
from app.realtime import frames
from app.realtime.connection import (
    CLOSE_HEARTBEAT_TIMEOUT,
    CLOSE_UNAUTHORIZED,
    Connection,
    Resume,
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


async def _authenticate(ws: WebSocket) -> Principal | None:
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
    async with ws.app.state.sessionmaker() as session:
        try:
            principal = await auth_service.authenticate(
                session, token=token, key=ws.app.state.settings.signing_key
            )
        except AppError:
            return None
        if principal.device is not None:
            principal.device.last_seen_at = utcnow()
            await commit(session)
        return principal


async def websocket_endpoint(ws: WebSocket) -> None:
    await ws.accept()
    try:
        principal = await _authenticate(ws)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        with contextlib.suppress(Exception):
            await ws.close(CLOSE_TRY_AGAIN, "database unavailable")
        return
    if principal is None:
        with contextlib.suppress(Exception):
            await ws.close(CLOSE_UNAUTHORIZED, "invalid or missing token")
        return
    state = ws.app.state
    hub: Hub = state.hub
    user = principal.user
    conn = Connection.for_user(user, principal.device.id if principal.device else None,
                               maxsize=state.settings.ws_send_queue)
    interval = state.settings.heartbeat_interval_s
    try:
        async with state.sessionmaker() as session:
            minimum = (await hub.load_office_minimum(session, user.office_id)
                       if user.office_id else None)
            readiness = hub.register(conn, min_responders_online=minimum)
            newest = int(await session.scalar(select(func.max(AlarmEvent.seq))) or 0)
            open_alarms = await alarm_service.open_alarms_for(session, user=user)
        await ws.send_text(frames.encode({
            "type": "hello", "seq": newest, "heartbeat_interval_s": interval,
            "open_alarms": open_alarms, "user": {"id": str(user.id), "full_name": user.full_name,
                                                 "roles": user.roles},
        }))
        if readiness is not None:
            await ws.send_text(readiness)
        conn.sent_seq = newest
        del user, principal  # the connection keeps ids only, not ORM objects
        conn.sender = asyncio.create_task(_send_loop(ws, conn))
        await _receive_loop(ws, conn, interval)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("websocket connection failed")
    finally:
        hub.unregister(conn)
        if conn.sender is not None:
            conn.sender.cancel()
            with contextlib.suppress(BaseException):
                await conn.sender
        if conn.close_code is not None:
            with contextlib.suppress(Exception):
                await ws.close(conn.close_code)


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
            conn.offer((0, frames.error_frame("invalid_frame", "frames are JSON objects")))
            continue
        kind = frame.get("type")
        if kind == "resume" and not conn.heard.is_set():
            after = frame.get("after_seq")
            if isinstance(after, int) and not isinstance(after, bool) and after >= 0:
                conn.early_resume = after
                conn.heard.set()
                continue
        conn.heard.set()
        if kind == "heartbeat":
            conn.offer((0, frames.HEARTBEAT_ACK))
        elif kind == "resume":
            after = frame.get("after_seq")
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                conn.offer((0, frames.error_frame("invalid_frame", "after_seq must be an int >= 0")))
            elif not conn.offer(Resume(after)):
                hub.drop(conn, conn.close_code or 4429)
        elif kind == "received":
            await _record_received(ws, conn, frame.get("alarm_id"))
        elif kind == "auth":
            continue
        else:
            conn.offer((0, frames.error_frame("unknown_type", f"unknown frame type {kind!r}")))


async def _record_received(ws: WebSocket, conn: Connection, alarm_id: Any) -> None:
    try:
        alarm_uuid = uuid.UUID(str(alarm_id))
    except ValueError:
        conn.offer((0, frames.error_frame("invalid_frame", "alarm_id must be a UUID")))
        return
    async with ws.app.state.sessionmaker() as session:
        session.info["publish"] = ws.app.state.hub.publish_events
        try:
            user = await session.get(User, conn.user_id)
            alarm = await alarm_service.get_visible(session, alarm_id=alarm_uuid, user=user)
            if alarm.raised_by_id != user.id:
                await alarm_service.record_delivery(session, alarm=alarm, user=user,
                                                    channel="websocket")
            await commit(session)
        except AppError as exc:
            await session.rollback()
            conn.offer((0, frames.error_frame(exc.code, str(exc.detail))))


async def _send_loop(ws: WebSocket, conn: Connection) -> None:
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LIVE_HOLD_S):
                await conn.heard.wait()
        conn.heard.set()
        if conn.early_resume is not None:
            await _replay(ws, conn, conn.early_resume)
        while True:
            item = await conn.queue.get()
            if isinstance(item, Resume):
                await _replay(ws, conn, item.after_seq)
                continue
            seq, text = item
            if seq and seq <= conn.sent_seq:
                continue
            await ws.send_text(text)
            if seq:
                conn.sent_seq = seq
    except asyncio.CancelledError:
        # Dropped by the hub (too slow, or silent too long): close so the receiver ends too.
        if conn.close_code is not None:
            with contextlib.suppress(Exception):
                await ws.close(conn.close_code)
        raise


async def _replay(ws: WebSocket, conn: Connection, after: int) -> None:
    """Send every visible event after `after` from the database, in order; the live frames
    queued meanwhile follow, without duplicates."""
    visible = [Alarm.raised_by_id == conn.user_id, Visit.user_id == conn.user_id]
    if conn.receives_office:
        visible.append(and_(AlarmEvent.office_id == conn.office_id,
                            or_(Alarm.mode != "test", AlarmEvent.visit_id.is_not(None))))
    cursor = after
    while True:
        async with ws.app.state.sessionmaker() as session:
            rows = (await session.scalars(
                select(AlarmEvent)
                .outerjoin(Alarm, Alarm.id == AlarmEvent.alarm_id)
                .outerjoin(Visit, Visit.id == AlarmEvent.visit_id)
                .where(AlarmEvent.seq > cursor, or_(*visible))
                .order_by(AlarmEvent.seq)
                .limit(REPLAY_PAGE)
            )).all()
        for row in rows:
            await ws.send_text(frames.event_frame(bus_record(row)))
            cursor = row.seq
        if len(rows) < REPLAY_PAGE:
            break
    conn.sent_seq = max(conn.sent_seq, cursor)


def route(prefix: str) -> WebSocketRoute:
    """A plain Starlette route: no per-connection dependency machinery to keep in memory."""
    return WebSocketRoute(f"{prefix}/ws", websocket_endpoint, name="websocket")
