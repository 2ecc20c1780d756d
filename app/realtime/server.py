"""Trygg's own WebSocket protocol for uvicorn (`trygg serve` runs it, see `app.cli`).

`/api/v1/ws` is served on websockets' sans-I/O protocol straight from the socket's callbacks:
no ASGI messages, no receive queue and no task per connection, so an idle connection costs
little more than its socket, and a frame for many recipients is the same bytes written to
each. A WebSocket request for any other path is handed to uvicorn's own sans-I/O protocol and
the ASGI app. What the frames mean is in `app.realtime.session`.
"""

import asyncio
import logging
from collections import deque
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from app.errors import is_unavailable
from app.realtime import session, wire
from app.realtime.access import Grant
from app.realtime.connection import CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED, Connection

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 5  # how long a client may take to answer the server's close frame
CLOSE_GOING_AWAY = 1012  # the server restarts: reconnect and resume
CLOSE_INTERNAL_ERROR = 1011
INBOX_MAX = 1000  # client frames waiting while one is being handled

# Phases of a connection.
AUTH_FRAME, AUTHENTICATING, OPEN = 0, 1, 2


class WebSocketProtocol(asyncio.Protocol):
    """uvicorn's `ws` protocol class: takes over the socket after the HTTP upgrade request."""

    __slots__ = ("config", "server_state", "app_state", "transport", "ws", "hub", "settings",
                 "conn", "phase", "busy", "inbox", "parts", "paused", "reading", "drained",
                 "closing", "timer")

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.server_state = server_state
        self.app_state = app_state
        self.transport: asyncio.Transport | None = None
        self.ws: ServerProtocol | None = None
        self.hub: Any = None
        self.settings: Any = None
        self.conn: Connection | None = None
        self.phase = AUTH_FRAME
        self.busy = False  # authenticating, or storing a receipt: frames wait in the inbox
        self.inbox: deque[str] | None = None
        self.parts: list[bytes] | None = None  # a fragmented message so far
        self.paused = False  # the transport's write buffer is full
        self.reading = True
        self.drained: asyncio.Future | None = None
        self.closing = False
        self.timer: asyncio.TimerHandle | None = None  # auth timeout, then close timeout

    # The transport's callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server_state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self.ws is None:
            self._handshake(data)
            return
        self.ws.receive_data(data)
        self._handle_events()

    def eof_received(self) -> None:
        if self.ws is not None:
            self.ws.receive_eof()
            self._handle_events()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        self.closing = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.conn is not None:
            session.end(self.hub, self.conn)
        self._wake_writer()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._wake_writer()

    def shutdown(self) -> None:
        """The server is stopping: tell the client to come back, and close."""
        if self.ws is not None and self.ws.state is State.OPEN:
            self.ws.send_close(CLOSE_GOING_AWAY, "server restarting")
            self._flush()
        self.closing = True
        self.transport.close()

    # wire.Socket, for the connection

    def write(self, data: bytes) -> bool:
        if self.paused or self.closing:
            return False
        self.transport.write(data)
        return True

    async def send_text(self, text: str) -> None:
        while self.paused and not self.closing:
            if self.drained is None:
                self.drained = asyncio.get_running_loop().create_future()
            await self.drained
        if self.closing:
            raise ConnectionError("the WebSocket is closing")
        self.transport.write(wire.frame_bytes(text))

    def close(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self.closing = True
        self._wake_writer()
        if self.ws is not None and self.ws.state is State.OPEN:
            self.ws.send_close(code, reason)
            self._flush()
        if not self.transport.is_closing():
            self.timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S,
                                                               self.transport.close)

    # Opening

    def _handshake(self, data: bytes) -> None:
        """The upgrade request, as uvicorn parsed and re-serialised it."""
        state = getattr(self.config.app, "state", None)
        hub = getattr(state, "hub", None)
        target = data.split(b" ", 2)[1] if data.count(b" ") >= 2 else b""
        if hub is None or target.partition(b"?")[0] != state.ws_path.encode():
            self._hand_over(data)
            return
        shake = ServerProtocol(max_size=self.config.ws_max_size, logger=log)
        shake.receive_data(data)
        request = next((e for e in shake.events_received() if isinstance(e, Request)), None)
        if request is None:
            response = shake.reject(400, "Failed to open a WebSocket connection.\n")
        else:
            response = shake.accept(request)
        shake.send_response(response)
        self.transport.write(b"".join(shake.data_to_send()))
        if response.status_code != 101:
            self.closing = True
            self.transport.close()
            return
        # The handshake's parser holds the request's headers: the open connection gets its own.
        self.ws = ServerProtocol(state=State.OPEN, max_size=self.config.ws_max_size, logger=log)
        self.hub, self.settings = hub, state.settings
        token = session.bearer(request.headers.get("Authorization"))
        if token is None:
            self.timer = asyncio.get_running_loop().call_later(session.AUTH_TIMEOUT_S,
                                                               self._refuse)
        else:
            self._authenticate(token)

    def _hand_over(self, data: bytes) -> None:
        protocol = WebSocketsSansIOProtocol(config=self.config, server_state=self.server_state,
                                            app_state=self.app_state)
        self.server_state.connections.discard(self)
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        protocol.data_received(data)

    def _refuse(self) -> None:
        self.timer = None
        self.close(CLOSE_UNAUTHORIZED, "invalid or missing token")

    def _authenticate(self, token: str) -> None:
        self.phase = AUTHENTICATING
        self.busy = True
        hub = self.hub
        generation = hub.tokens.generation
        grant = hub.tokens.peek(token)
        office = grant.viewer.office_id if grant is not None else None
        if grant is not None and (office is None or office in hub.min_online):
            # Seen before: opened from memory, with no database access and no task.
            self._open(grant, hub.min_online.get(office), generation)
        else:
            task = asyncio.get_running_loop().create_task(self._look_up(token, generation))
            self.server_state.tasks.add(task)
            task.add_done_callback(self.server_state.tasks.discard)

    async def _look_up(self, token: str, generation: int) -> None:
        try:
            grant, minimum = await session.authenticate(self.hub, token)
        except Exception as exc:
            if is_unavailable(exc):
                self.close(session.CLOSE_TRY_AGAIN, "database unavailable")
            else:
                log.exception("websocket authentication failed")
                self.close(CLOSE_INTERNAL_ERROR)
            return
        if self.closing:
            return
        if grant is None:
            self.close(CLOSE_UNAUTHORIZED, "invalid or missing token")
            return
        self._open(grant, minimum, generation)

    def _open(self, grant: Grant, minimum: int | None, generation: int) -> None:
        conn, first = session.open(self.hub, self.settings, grant, self, minimum=minimum,
                                   generation=generation)
        self.conn = conn
        if not self.closing:
            self.transport.write(b"".join(wire.frame_bytes(text) for text in first))
        self.phase = OPEN
        self.busy = False
        self._run_inbox()

    # Frames from the client

    def _handle_events(self) -> None:
        for frame in self.ws.events_received():
            opcode = frame.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                if frame.fin:
                    self._message(frame.data, opcode is Opcode.TEXT)
                else:
                    self.parts = [frame.data, b"T" if opcode is Opcode.TEXT else b"B"]
            elif opcode is Opcode.CONT and self.parts is not None:
                self.parts.insert(-1, frame.data)
                if frame.fin:
                    parts, self.parts = self.parts, None
                    self._message(b"".join(parts[:-1]), parts[-1] == b"T")
        self._flush()

    def _flush(self) -> None:
        """What the protocol itself has to say: pongs, close frames, and the end (EOF)."""
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            else:
                self.closing = True
                self.transport.close()

    def _message(self, data: bytes, is_text: bool) -> None:
        try:
            text = data.decode() if is_text else data.decode("utf-8", "replace")
        except UnicodeDecodeError:
            self.close(1007, "invalid UTF-8")
            return
        if self.closing:
            return
        if self.phase == AUTH_FRAME:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            token = session.auth_frame_token(text)
            if token is None:
                self.close(CLOSE_UNAUTHORIZED, "invalid or missing token")
            else:
                self._authenticate(token)
            return
        if self.busy:
            if self.inbox is None:
                self.inbox = deque()
            if len(self.inbox) >= INBOX_MAX:
                self._drop(CLOSE_TOO_SLOW)
                return
            self.inbox.append(text)
            if self.reading:
                self.reading = False
                self.transport.pause_reading()
            return
        self._handle(text)

    def _handle(self, text: str) -> None:
        pending = session.on_text(self.hub, self.conn, text)
        if pending is not None:
            self.busy = True
            task = asyncio.get_running_loop().create_task(pending)
            task.add_done_callback(self._handled)

    def _handled(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("websocket frame failed", exc_info=task.exception())
        self.busy = False
        self._run_inbox()

    def _run_inbox(self) -> None:
        while self.inbox and not self.busy and not self.closing:
            self._handle(self.inbox.popleft())
        if not self.inbox:
            self.inbox = None
            if not self.reading and not self.closing:
                self.reading = True
                self.transport.resume_reading()

    def _drop(self, code: int) -> None:
        if self.conn is not None:
            self.hub.drop(self.conn, code)
        else:
            self.close(code)

    def _wake_writer(self) -> None:
        if self.drained is not None:
            if not self.drained.done():
                self.drained.set_result(None)
            self.drained = None
