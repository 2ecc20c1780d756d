"""The self-healing WebSocket: reconnects with backoff and jitter, resumes after the last seq
kept on disk, heartbeats at the announced interval, and knows whether the user is protected."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from trygg_client.backoff import Backoff
from trygg_client.store import Store

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0
CLOSE_UNAUTHORIZED = 4401


class Protection(StrEnum):
    PROTECTED = "protected"
    DEGRADED = "degraded"        # connected, but too few responders of the office online
    UNPROTECTED = "unprotected"  # no working connection for two heartbeat intervals


@dataclass(frozen=True)
class Readiness:
    office_id: str
    responders_online: int
    min_responders_online: int

    @property
    def short(self) -> bool:
        return self.responders_online < self.min_responders_online


class AuthRefused(Exception):
    """The server closed with 4401: the token is not (or no longer) valid."""


class LiveConnection:
    """Keeps one WebSocket to the server open and hands on every event exactly once.

    Callbacks run on the event loop: `on_hello(frame)`, `on_event(frame)` (deduplicated, in
    seq order), `on_frame(frame)` (every frame that is handed on), `on_state(protection, readiness)`.
    """

    def __init__(self, ws_url: str, token: str, store: Store, *, seq_key: str = "last_seq",
                 on_hello: Callable[[dict], None] | None = None,
                 on_event: Callable[[dict], None] | None = None,
                 on_frame: Callable[[dict], None] | None = None,
                 on_state: Callable[[Protection, Readiness | None], None] | None = None,
                 stop_on_auth_refused: bool = False) -> None:
        self.ws_url = ws_url
        self.token = token
        self.store = store
        self.seq_key = seq_key
        self.on_hello = on_hello
        self.on_event = on_event
        self.on_frame = on_frame
        self.on_state = on_state
        self.stop_on_auth_refused = stop_on_auth_refused
        self.interval = DEFAULT_INTERVAL_S
        self.readiness: Readiness | None = None
        self.state = Protection.UNPROTECTED
        self.last_seq: int | None = store.get_int(seq_key)
        # Events are handed on once: any seq at or below the floor, or in `_seen`, was handed on.
        # (A live frame may overtake the replay of a resume, so a high-water mark is not enough.)
        self._floor = self.last_seq if self.last_seq is not None else -1
        self._seen: set[int] = set()
        self.backoff = Backoff(first=0.5, cap=8.0)
        self._ws: ClientConnection | None = None
        self._last_heard: float | None = None  # monotonic time of the last frame on a live socket
        self._to_confirm: list[str] = []       # `received` frames still to send

    # Public

    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def run(self) -> None:
        """Connect, and reconnect after any failure, until cancelled."""
        watchdog = asyncio.create_task(self._watch())
        try:
            while True:
                try:
                    await self._session()
                except AuthRefused:
                    log.error("the server refused the token (4401)")
                    if self.stop_on_auth_refused:
                        raise
                    self.backoff.attempt = 10  # keep trying, slowly
                except (OSError, TimeoutError, websockets.WebSocketException, ValueError) as exc:
                    log.info("connection lost: %s", exc or type(exc).__name__)
                finally:
                    self._ws = None
                    self._update_state()
                delay = self.backoff.next_delay()
                log.info("reconnecting in %.1f s", delay)
                await asyncio.sleep(delay)
        finally:
            watchdog.cancel()

    def send_received(self, alarm_id: str) -> None:
        """Tell the server the alarm has been shown (now, or as soon as we are connected)."""
        if alarm_id not in self._to_confirm:
            self._to_confirm.append(alarm_id)
        if self._ws is not None:
            asyncio.get_running_loop().create_task(self._flush_received())

    # One connection

    async def _session(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with connect(self.ws_url, additional_headers=headers, open_timeout=5,
                           ping_interval=None, close_timeout=2, compression=None) as ws:
            hello = await self._first_frame(ws)
            self.interval = float(hello.get("heartbeat_interval_s") or DEFAULT_INTERVAL_S)
            self._ws = ws
            self._heard()
            self.backoff.reset()
            newest = int(hello.get("seq") or 0)
            resume_after = self.last_seq
            if resume_after is not None and resume_after > newest:
                # The server's log is behind what we saw: it is a different (new) database.
                log.warning("server seq %s is behind ours (%s); starting afresh", newest, resume_after)
                resume_after = None
            if resume_after is None:
                self._floor, self._seen = newest, set()
                self._save_seq(newest)
            self._emit(self.on_frame, hello)
            self._emit(self.on_hello, hello)
            if resume_after is not None and resume_after < newest:
                await ws.send(json.dumps({"type": "resume", "after_seq": resume_after}))
            await self._flush_received()
            beat = asyncio.create_task(self._heartbeats(ws))
            try:
                async for raw in ws:
                    self._handle(json.loads(raw))
            finally:
                beat.cancel()
            if ws.close_code == CLOSE_UNAUTHORIZED:
                raise AuthRefused()

    async def _first_frame(self, ws: ClientConnection) -> dict:
        try:
            async with asyncio.timeout(10):
                frame = json.loads(await ws.recv())
        except websockets.ConnectionClosed:
            if ws.close_code == CLOSE_UNAUTHORIZED:
                raise AuthRefused() from None
            raise
        if frame.get("type") != "hello":
            raise ValueError(f"expected hello, got {frame.get('type')!r}")
        return frame

    def _handle(self, frame: dict) -> None:
        self._heard()
        kind = frame.get("type")
        if kind == "event":
            seq = int(frame["seq"])
            if seq <= self._floor or seq in self._seen:
                return  # handed on before: never show an event twice
            self._emit(self.on_frame, frame)
            self._emit(self.on_event, frame)
            self._remember(seq)
            return
        if kind == "readiness":
            self.readiness = Readiness(str(frame["office_id"]), int(frame["responders_online"]),
                                       int(frame["min_responders_online"]))
            self._update_state()
        elif kind == "error":
            log.warning("server error frame: %s", frame)
        if kind != "heartbeat_ack":
            self._emit(self.on_frame, frame)

    async def _heartbeats(self, ws: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.sleep(self.interval)
                await ws.send('{"type": "heartbeat"}')

    async def _flush_received(self) -> None:
        ws = self._ws
        while ws is not None and self._to_confirm:
            alarm_id = self._to_confirm[0]
            try:
                await ws.send(json.dumps({"type": "received", "alarm_id": alarm_id}))
            except websockets.ConnectionClosed:
                return  # sent again after the reconnect
            with contextlib.suppress(ValueError):
                self._to_confirm.remove(alarm_id)

    # Protection state

    def _heard(self) -> None:
        self._last_heard = time.monotonic()
        self._update_state()

    def _working(self) -> bool:
        return (self._last_heard is not None
                and time.monotonic() - self._last_heard <= 2 * self.interval)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            self._update_state()
            if self._ws is not None and not self._working():
                log.warning("no frame for two heartbeat intervals; reconnecting")
                # The server is gone without closing: drop the socket so `run` reconnects.
                with contextlib.suppress(Exception):
                    self._ws.transport.abort()

    def _update_state(self) -> None:
        if not self._working():
            state = Protection.UNPROTECTED
        elif self.readiness is not None and self.readiness.short:
            state = Protection.DEGRADED
        else:
            state = Protection.PROTECTED
        if state is not self.state:
            self.state = state
            log.info("protection: %s", state)
            self._emit(self.on_state, state, self.readiness)

    def _remember(self, seq: int) -> None:
        self._seen.add(seq)
        if len(self._seen) > 4096:
            kept = sorted(self._seen)[2048:]
            self._floor, self._seen = kept[0] - 1, set(kept)
        if self.last_seq is None or seq > self.last_seq:
            self._save_seq(seq)

    def _save_seq(self, seq: int) -> None:
        self.last_seq = seq
        self.store.set_int(self.seq_key, seq)

    @staticmethod
    def _emit(callback: Callable | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("callback failed")
