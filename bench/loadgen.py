"""The load generator's side of the fan-out benchmark: many WebSocket connections that note
when each alarm frame arrives, and a helper process that sends the timed requests."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import http.client
import json
import multiprocessing
import signal
import socket
import time
from collections import Counter
from typing import Any

from servers import HOST
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.frames import Frame, Opcode
from websockets.protocol import State

# CLOCK_MONOTONIC is one clock for every process of the machine, so the helper process's send
# time and this process's receive times can be subtracted.
now_ns = time.monotonic_ns


def raiser_main(conn: Any) -> None:
    """Send each HTTP request it is told to on one keep-alive connection; report send and
    receive times. Runs in its own process with blocking I/O, so the response is read as soon
    as it arrives, whatever the load generator's event loop is busy with."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    client: http.client.HTTPConnection | None = None
    port, token, last_used = 0, "", 0.0
    while True:
        msg = conn.recv()
        if msg[0] == "stop":
            return
        if msg[0] == "target":
            _, port, token = msg
            if client is not None:
                client.close()
            client = None
            continue
        _, n, method, path, body = msg
        try:
            # A connection idle for a while may be closed by the server's keep-alive timeout:
            # open a fresh one before timing rather than retry inside the timed request.
            if client is None or time.monotonic() - last_used > 4.0:
                if client is not None:
                    client.close()
                client = http.client.HTTPConnection(HOST, port, timeout=30)
                client.connect()
                client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            t0 = now_ns()
            client.request(method, path, body=body, headers=headers)
            resp = client.getresponse()
            data = resp.read()
            t1 = now_ns()
            last_used = time.monotonic()
            conn.send((n, t0, t1, resp.status, data[:300].decode(errors="replace")))
        except Exception as exc:  # noqa: BLE001 - reported to the generator, which gives up
            if client is not None:
                client.close()
            client = None
            conn.send((n, 0, 0, 0, repr(exc)))


class Raiser:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("fork")  # forked first thing, before any loop or thread
        self.pipe, child = ctx.Pipe()
        self.proc = ctx.Process(target=raiser_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.sent = 0

    def set_target(self, port: int, token: str) -> None:
        self.pipe.send(("target", port, token))

    async def request(self, method: str, path: str, body: dict[str, Any], timeout_s: float
                      ) -> tuple[int, int, int, str]:
        """Have the helper send one request. Returns (send time, response time, status, the
        body's start); a reply to an earlier request that timed out is skipped."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[tuple[int, int, int, str]] = loop.create_future()
        fd = self.pipe.fileno()
        self.sent += 1
        number = self.sent

        def readable() -> None:
            while self.pipe.poll():
                n, *reply = self.pipe.recv()
                if n == number and not fut.done():
                    fut.set_result(tuple(reply))

        loop.add_reader(fd, readable)
        self.pipe.send(("http", number, method, path, json.dumps(body).encode()))
        try:
            return await asyncio.wait_for(fut, timeout_s)
        finally:
            loop.remove_reader(fd)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.pipe.send(("stop",))
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()


class Watch:
    """Arrival of one alarm's frame of one kind at the recipient connections."""

    __slots__ = ("marker", "kind", "expected", "seen", "count", "first", "last", "done")

    def __init__(self, marker: bytes, kind: bytes, recipients: int, expected: int) -> None:
        self.marker = marker
        self.kind = kind
        self.expected = expected
        self.seen = bytearray(recipients)
        self.count = 0
        self.first = 0
        self.last = 0
        self.done = asyncio.Event()
        if expected <= 0:
            self.done.set()


class TappedConnection(ClientConnection):
    """A client connection that, once tapped, hands each data frame to the fleet as soon as it
    is parsed (inside data_received) instead of queueing it for a reader task: the receive time
    is taken when the bytes arrive, and the generator spends the least time per frame."""

    fleet: Fleet | None = None
    index = 0
    recipient = True

    def process_event(self, event: Any) -> None:
        fleet = self.fleet
        if fleet is not None and isinstance(event, Frame) and event.opcode in (
            Opcode.TEXT, Opcode.BINARY
        ):
            fleet.on_frame(self.index, self.recipient, event.data, now_ns())
            return
        super().process_event(event)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.fleet is not None:
            self.fleet.lost(self.index, self.recipient, self.protocol.close_code)
        super().connection_lost(exc)


class Fleet:
    def __init__(self, concurrency: int, open_timeout_s: float, tap: bool) -> None:
        self.concurrency = concurrency
        self.open_timeout_s = open_timeout_s
        self.tap = tap
        self.recipients: list[ClientConnection] = []
        self.idle: list[ClientConnection] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.watch: Watch | None = None
        self.idle_hits = 0  # alarm frames that reached a connection of the other office
        self.dropped: Counter[str] = Counter()  # connections lost during the run, by close code
        self.recipients_open: set[int] = set()
        self.closing = False
        self.heartbeat_interval_s: float | None = None
        self.hello_seen = asyncio.Event()
        # (due, tie-breaker, connection), a heap ordered by when each next heartbeats
        self.heartbeats: list[tuple[float, int, ClientConnection]] = []

    async def open(self, url: str, token: str, count: int, *, recipient: bool) -> None:
        """Open `count` connections, at most `concurrency` handshakes at a time; each counts as
        open once the server's `hello` has arrived on it."""
        gate = asyncio.Semaphore(self.concurrency)
        headers = {"Authorization": f"Bearer {token}"}

        async def one() -> None:
            async with gate:
                for attempt in range(3):
                    try:
                        ws = await connect(
                            url, additional_headers=headers, compression=None, proxy=None,
                            ping_interval=None, open_timeout=self.open_timeout_s, close_timeout=1,
                            max_size=4 * 1024 * 1024, max_queue=64, user_agent_header=None,
                            create_connection=TappedConnection,
                        )
                    except (OSError, TimeoutError, WebSocketException):
                        if attempt == 2:
                            raise
                        await asyncio.sleep(0.5 * (attempt + 1))
                        continue
                    break
                hello = await asyncio.wait_for(ws.recv(decode=False), self.open_timeout_s)
                opened = time.monotonic()
            if b'"hello"' not in hello:
                raise RuntimeError(f"expected hello, got {hello[:200]!r}")
            if not self.hello_seen.is_set():
                self.heartbeat_interval_s = json.loads(hello).get("heartbeat_interval_s")
                self.hello_seen.set()
            group = self.recipients if recipient else self.idle
            index = len(group)
            group.append(ws)
            interval = float(self.heartbeat_interval_s or 0)
            heapq.heappush(self.heartbeats, (opened + interval, id(ws), ws))
            if recipient:
                self.recipients_open.add(index)
            if self.tap:
                assert isinstance(ws, TappedConnection)
                ws.index, ws.recipient, ws.fleet = index, recipient, self
                # Frames that arrived after hello but before the tap (readiness) are skipped.
            else:
                self.tasks.append(asyncio.create_task(self._read(ws, index, recipient)))

        await asyncio.gather(*(one() for _ in range(count)))

    def on_frame(self, index: int, recipient: bool, frame: bytes, t: int) -> None:
        w = self.watch
        if w is None or w.marker not in frame:
            return
        if not recipient:
            self.idle_hits += 1
        elif w.kind in frame and not w.seen[index]:
            w.seen[index] = 1
            w.count += 1
            if w.count == 1:
                w.first = t
            w.last = t
            if w.count == w.expected:
                w.done.set()

    def lost(self, index: int, recipient: bool, close_code: int | None) -> None:
        if self.closing:
            return
        self.dropped[str(close_code or "no close frame")] += 1
        if recipient:
            self.recipients_open.discard(index)

    async def _read(self, ws: ClientConnection, index: int, recipient: bool) -> None:
        """The plain way: one task per connection awaiting recv()."""
        try:
            while True:
                frame = await ws.recv(decode=False)
                self.on_frame(index, recipient, frame, now_ns())
        except ConnectionClosed:
            self.lost(index, recipient, ws.protocol.close_code)

    async def heartbeat(self) -> None:
        """Heartbeat on every connection at the interval the server announced, counted from
        the connection's opening, as real clients do (a connection silent for two intervals
        may be closed). Connections opened over time spread the heartbeats out."""
        await self.hello_seen.wait()
        interval = float(self.heartbeat_interval_s or 0)
        if interval <= 0:
            return
        while not self.closing:
            now = time.monotonic()
            while self.heartbeats and self.heartbeats[0][0] <= now:
                due, n, ws = heapq.heappop(self.heartbeats)
                if ws.protocol.state is State.OPEN:
                    with contextlib.suppress(ConnectionClosed):
                        await ws.send('{"type":"heartbeat"}')
                    heapq.heappush(self.heartbeats, (due + interval, n, ws))
            wait = self.heartbeats[0][0] - time.monotonic() if self.heartbeats else interval
            await asyncio.sleep(min(0.05, max(0.0, wait)))

    async def close(self) -> None:
        self.closing = True
        for ws in self.recipients + self.idle:
            ws.transport.abort()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.recipients.clear()
        self.idle.clear()
        self.heartbeats.clear()
        self.tasks.clear()
