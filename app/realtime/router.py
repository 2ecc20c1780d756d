"""`/api/v1/ws` as an ASGI route, for servers other than `trygg serve` (which serves the
endpoint with its own protocol, `app.realtime.server`). The frames mean the same either way:
`app.realtime.session`."""

import asyncio
import contextlib
import logging

from fastapi import WebSocket, WebSocketDisconnect
from starlette.routing import WebSocketRoute

from app.errors import is_unavailable
from app.realtime import session, wire
from app.realtime.connection import CLOSE_UNAUTHORIZED
from app.realtime.hub import Hub

log = logging.getLogger(__name__)


class AsgiSocket:
    """A connection's socket through ASGI, written to directly when uvicorn's sans-I/O
    WebSocket protocol is behind it."""

    __slots__ = ("ws", "protocol", "closing")

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.protocol = wire.find(getattr(ws, "_send", None))
        self.closing: asyncio.Task | None = None

    def write(self, data: bytes) -> bool:
        return self.closing is None and wire.write(self.protocol, data)

    async def send_text(self, text: str) -> None:
        if self.closing is not None:
            raise ConnectionError("closing")
        await self.ws.send_text(text)

    def close(self, code: int, reason: str = "") -> None:
        if self.closing is None:
            self.closing = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code, reason)


async def _token(ws: WebSocket) -> str | None:
    token = session.bearer(ws.headers.get("authorization"))
    if token is None:
        try:
            text = await asyncio.wait_for(ws.receive_text(), session.AUTH_TIMEOUT_S)
        except (TimeoutError, KeyError, RuntimeError, WebSocketDisconnect):
            return None
        token = session.auth_frame_token(text)
    return token


async def websocket_endpoint(ws: WebSocket) -> None:
    await ws.accept()
    state = ws.app.state
    hub: Hub = state.hub
    generation = hub.tokens.generation
    try:
        grant, minimum = await session.authenticate(hub, await _token(ws))
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        with contextlib.suppress(Exception):
            await ws.close(session.CLOSE_TRY_AGAIN, "database unavailable")
        return
    if grant is None:
        with contextlib.suppress(Exception):
            await ws.close(CLOSE_UNAUTHORIZED, "invalid or missing token")
        return
    socket = AsgiSocket(ws)
    conn, first = session.open(hub, state.settings, grant, socket, minimum=minimum,
                               generation=generation)
    try:
        for text in first:
            await ws.send_text(text)
        while conn.close_code is None:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            pending = session.on_text(hub, conn, text)
            if pending is not None:
                await pending
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("websocket connection failed")
    finally:
        session.end(hub, conn)
        if conn.sender is not None:
            with contextlib.suppress(BaseException):
                await conn.sender
        if socket.closing is not None:
            await socket.closing


def route(prefix: str) -> WebSocketRoute:
    """A plain Starlette route: no per-connection dependency machinery to keep in memory."""
    return WebSocketRoute(f"{prefix}/ws", websocket_endpoint, name="websocket")
