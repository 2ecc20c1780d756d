"""`TryggClient`: one user's device: its raise queue, its live connection and its alarms."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trygg_client.alarms import AlarmBook, AlarmChange
from trygg_client.api import Api
from trygg_client.config import STORE_FILE, ClientConfig, client_home
from trygg_client.connection import LiveConnection, Protection, Readiness
from trygg_client.outbox import RaiseQueue, RaiseStatus
from trygg_client.store import Store
from trygg_client.visits import VisitBook

log = logging.getLogger(__name__)


class TryggClient:
    """Runs on an asyncio loop (`run`); `raise_alarm` and `mark_shown` may be called from any
    thread. Callbacks are called on the loop:

    - `on_state(protection, readiness)` when protected / degraded / unprotected changes,
    - `on_alarm(change)` for every alarm the user may see, new or changed,
    - `on_raise(status)` as one of our raises moves from queued to stored to answered,
    - `on_visit(visit, event)` for every home visit event the user may see (the worker's own,
      and the office's for responders and managers),
    - `on_visits(open_visits, event)` with the open visits the user may see, after `hello`
      (event None) and after every visit event that changed the view,
    - `on_frame(frame)` for every server frame handed on (no duplicates, no heartbeat acks).
    """

    def __init__(self, config: ClientConfig, home: Path | None = None, *, consumer: str = "client",
                 on_state: Callable[[Protection, Readiness | None], None] | None = None,
                 on_alarm: Callable[[AlarmChange], None] | None = None,
                 on_raise: Callable[[RaiseStatus], None] | None = None,
                 on_frame: Callable[[dict], None] | None = None,
                 on_visit: Callable[[dict, dict], None] | None = None,
                 on_visits: Callable[[list[dict], dict | None], None] | None = None) -> None:
        self.config = config
        self.home = home or client_home()
        self.on_state = on_state
        self.on_alarm = on_alarm
        self.on_raise = on_raise
        self.on_visit = on_visit
        self.on_visits = on_visits
        self.store = Store(self.home / STORE_FILE)
        self.api = Api(config.server_url, config.token)
        self.book = AlarmBook()
        self.visits = VisitBook()
        self.queue = RaiseQueue(self.store, self.api, on_status=self._raise_status)
        self.connection = LiveConnection(
            config.ws_url, config.token, self.store, seq_key=f"last_seq:{consumer}",
            on_hello=self._hello, on_event=self._event, on_frame=on_frame,
            on_state=self._state)
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def protection(self) -> Protection:
        return self.connection.state

    @property
    def user_id(self) -> str:
        return self.config.user_id

    async def run(self, *, live: bool = True) -> None:
        """Send queued raises and (with `live`) keep the WebSocket up, until cancelled."""
        self.loop = asyncio.get_running_loop()
        tasks = [self.queue.run()] + ([self.connection.run()] if live else [])
        try:
            await asyncio.gather(*tasks)
        finally:
            await self.api.aclose()

    # Raising

    def raise_alarm(self, level: str, *, mode: str = "real", room_id: str | None = None,
                    silent: bool = True, location_note: str | None = None) -> RaiseStatus:
        """Queue a raise durably and send it at once; returns while it is on its way."""
        return self.queue.submit(level, mode=mode, room_id=room_id or self.config.room_id,
                                 silent=silent, location_note=location_note)

    def is_mine(self, alarm: dict[str, Any]) -> bool:
        return str((alarm.get("raised_by") or {}).get("id")) == str(self.config.user_id)

    # Answering (coroutines on the loop; from another thread use `call`)

    async def acknowledge(self, alarm_id: str, role: str | None = None) -> dict:
        return await self.api.acknowledge(alarm_id, role)

    async def cancel(self, alarm_id: str, reason: str) -> dict:
        return await self.api.cancel(alarm_id, reason)

    async def upgrade(self, alarm_id: str) -> dict:
        return await self.api.upgrade(alarm_id)

    async def resolve(self, alarm_id: str, summary: str | None = None) -> dict:
        return await self.api.resolve(alarm_id, summary)

    def call(self, coro: Any) -> "asyncio.Future | None":
        """Run a coroutine on the client's loop from another thread."""
        if self.loop is None:
            coro.close()
            return None
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def mark_shown(self, alarm_id: str) -> None:
        """The alarm is on screen: send `received` (once connected, if not now)."""
        if self.loop is None:
            return
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.connection.send_received, alarm_id)

    # Callbacks from the parts

    def _hello(self, hello: dict) -> None:
        for change in self.book.apply_hello(hello):
            self._alarm(change)
        self.visits.apply_hello(hello)
        self._visits(None)

    def _event(self, frame: dict) -> None:
        if frame.get("alarm") is None:
            # A home visit's event; an overdue visit's alarm arrives as an alarm event of its own.
            if frame.get("visit") is None:
                return
            if self.on_visit is not None:
                try:
                    self.on_visit(frame["visit"], frame["event"])
                except Exception:
                    log.exception("visit callback failed")
            if self.visits.apply_event(frame):
                self._visits(frame["event"])
            return
        change = self.book.apply_event(frame)
        if change is not None:
            self._alarm(change)

    def _alarm(self, change: AlarmChange) -> None:
        if self.is_mine(change.alarm):
            first = change.event is not None and change.event.get("type") == "alarm.raised"
            self.queue.update_from_server(change.alarm, first_event=first)
        if self.on_alarm is not None:
            try:
                self.on_alarm(change)
            except Exception:
                log.exception("alarm callback failed")

    def _visits(self, event: dict | None) -> None:
        if self.on_visits is not None:
            try:
                self.on_visits(self.visits.open_visits(), event)
            except Exception:
                log.exception("visits callback failed")

    def _state(self, state: Protection, readiness: Readiness | None) -> None:
        if self.on_state is not None:
            self.on_state(state, readiness)

    def _raise_status(self, status: RaiseStatus) -> None:
        if self.on_raise is not None:
            self.on_raise(status)
