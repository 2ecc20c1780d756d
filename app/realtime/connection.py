"""One client connection: who it is, and how frames reach it.

A frame is written straight to the socket when nothing is waiting ahead of it; only a
connection that is behind (its socket's buffer full, a replay running, or the moment after
`hello` when a `resume` may still come) queues frames, in a bounded queue drained by a task
that exists only while there is something to drain. A connection whose queue is full is too
slow and is closed with 4429. A connection silent for longer than its limit is closed with
4408, watched by one timer that moves only when it fires.
"""

import asyncio
import uuid
from collections import deque
from collections.abc import Awaitable, Callable

from app.alarm.policy import Viewer
from app.realtime import wire
from app.realtime.access import Grant

CLOSE_UNAUTHORIZED = 4401
CLOSE_HEARTBEAT_TIMEOUT = 4408
CLOSE_TOO_SLOW = 4429


class Resume:
    __slots__ = ("after_seq",)

    def __init__(self, after_seq: int) -> None:
        self.after_seq = after_seq


class Connection:
    __slots__ = ("viewer", "user_id", "office_id", "is_responder", "receives_office",
                 "device_id", "token_id", "expiry", "sent_seq", "close_code", "sender",
                 "holding", "early_resume", "resumed_at", "invisible", "queue", "maxsize",
                 "socket", "replay", "heard", "silence")

    def __init__(self, grant: Grant, socket: wire.Socket, maxsize: int,
                 replay: Callable[["Connection", int], Awaitable[None]] | None = None) -> None:
        viewer = grant.viewer
        self.viewer: Viewer = viewer
        self.user_id: uuid.UUID = viewer.user_id
        self.office_id: uuid.UUID | None = viewer.office_id
        self.is_responder = viewer.has("responder")
        self.receives_office = viewer.follows_office
        self.device_id = grant.device_id
        self.token_id = grant.token_id
        self.expiry: asyncio.TimerHandle | None = None
        self.sent_seq = 0
        self.close_code: int | None = None
        self.sender: asyncio.Task | None = None
        # Live frames wait until the client has spoken (or a moment has passed), so a `resume`
        # sent right after `hello` is answered before any live frame: frames stay in seq order.
        self.holding = True
        self.early_resume: int | None = None
        self.resumed_at: float | None = None
        # Alarms this connection asked about and may not see: answered from memory next time.
        self.invisible: set[uuid.UUID] | None = None
        self.queue: deque[tuple[int, str] | Resume] = deque()
        self.maxsize = maxsize
        self.socket = socket
        self.replay = replay
        self.heard = 0.0
        self.silence: asyncio.TimerHandle | None = None

    def push(self, seq: int, text: str, data: bytes | None = None) -> bool:
        """Send a frame (`seq` 0: not an event) now, or queue it behind what is waiting.
        False when the client is too slow (or already closing)."""
        if self.close_code is not None:
            return False
        if seq and seq <= self.sent_seq:
            return True
        if not self.queue and self.sender is None and not self.holding:
            if self.socket.write(data or wire.frame_bytes(text)):
                if seq:
                    self.sent_seq = seq
                return True
        if len(self.queue) >= self.maxsize:
            return False
        self.queue.append((seq, text))
        self._wake()
        return True

    def resume(self, after_seq: int) -> bool:
        """Replay from the database after `after_seq`, behind what is already queued."""
        if self.close_code is not None or len(self.queue) >= self.maxsize:
            return False
        self.queue.append(Resume(after_seq))
        self._wake()
        return True

    def release(self) -> None:
        """The hold after `hello` is over: an early resume first, then the queued frames."""
        if not self.holding or self.close_code is not None:
            return
        self.holding = False
        if self.early_resume is not None:
            self.queue.appendleft(Resume(self.early_resume))
        if self.queue:
            self._wake()

    def watch(self, limit_s: float, on_silent: Callable[["Connection"], None]) -> None:
        """Call `on_silent` once nothing has been heard for `limit_s` (see `heard`)."""
        loop = asyncio.get_running_loop()
        self.heard = loop.time()
        self.silence = loop.call_at(self.heard + limit_s, self._check_silence, limit_s,
                                    on_silent)

    def _check_silence(self, limit_s: float, on_silent: Callable[["Connection"], None]) -> None:
        self.silence = None
        if self.close_code is not None:
            return
        loop = asyncio.get_running_loop()
        due = self.heard + limit_s
        if loop.time() >= due:
            on_silent(self)
        else:
            self.silence = loop.call_at(due, self._check_silence, limit_s, on_silent)

    def stop_timers(self) -> None:
        for handle in (self.expiry, self.silence):
            if handle is not None:
                handle.cancel()
        self.expiry = self.silence = None

    def abort(self, code: int) -> None:
        """Close from the server side (the client will reconnect and resume)."""
        if self.close_code is None:
            self.close_code = code
        self.stop_timers()
        self.queue.clear()
        if self.sender is not None:
            self.sender.cancel()
        else:
            self.socket.close(self.close_code)

    def _wake(self) -> None:
        if self.sender is None and not self.holding:
            self.sender = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.queue:
                item = self.queue.popleft()
                if isinstance(item, Resume):
                    if self.replay is not None:
                        await self.replay(self, item.after_seq)
                    continue
                seq, text = item
                if seq and seq <= self.sent_seq:
                    continue
                await self.socket.send_text(text)
                if seq:
                    self.sent_seq = seq
        except asyncio.CancelledError:
            # Dropped by the hub (too slow, revoked, silent): close so the receiver ends too.
            if self.close_code is not None:
                self.socket.close(self.close_code)
            raise
        except Exception:  # noqa: BLE001 - the socket went away; the receiver sees it
            return
        finally:
            if self.sender is asyncio.current_task():
                self.sender = None
