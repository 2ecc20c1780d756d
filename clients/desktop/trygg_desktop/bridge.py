"""Runs the toolkit-free `TryggClient` on its own asyncio thread and turns its callbacks into
Qt signals, which Qt delivers on the GUI thread."""

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal
from trygg_client import ApiError, ClientConfig, Protection, RaiseState, RaiseStatus, TryggClient

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.5, 1, 2, 4, 8)


class ClientBridge(QObject):
    state_changed = Signal(object, object)  # Protection, Readiness | None
    alarm_changed = Signal(object)          # trygg_client.alarms.AlarmChange
    raise_changed = Signal(object)          # RaiseStatus
    visits_changed = Signal(object, object)  # the open visits (list), event | None
    action_failed = Signal(str, str)        # alarm or visit id, message

    def __init__(self, config: ClientConfig, home: Path) -> None:
        super().__init__()
        self.client = TryggClient(config, home, consumer="desktop",
                                  on_state=self.state_changed.emit,
                                  on_alarm=self.alarm_changed.emit,
                                  on_raise=self.raise_changed.emit,
                                  on_visits=self.visits_changed.emit)
        self._thread = threading.Thread(target=self._run, name="trygg-client", daemon=True)
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    @property
    def protection(self) -> Protection:
        return self.client.protection

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(5)

    def stop(self) -> None:
        loop = self.client.loop
        if loop is not None and self._stop is not None:
            loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        runner = asyncio.create_task(self.client.run())
        await asyncio.sleep(0)
        self._ready.set()
        await self._stop.wait()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)

    # Actions from the GUI thread

    def raise_alarm(self, level: str, mode: str = "real") -> RaiseStatus:
        """Stored durably before this returns; sent at once on the client's thread."""
        return self.client.raise_alarm(level, mode=mode)

    def mark_shown(self, alarm_id: str) -> None:
        self.client.mark_shown(alarm_id)

    def acknowledge(self, alarm_id: str, role: str = "go") -> None:
        """Answer with a role ("go", "police", "reception"); repeating it is harmless."""
        self._submit(alarm_id, lambda: self.client.api.request(
            "POST", f"/alarms/{alarm_id}/acknowledge", {"role": role}))

    def cancel(self, alarm_id: str, reason: str) -> None:
        async def cancel_when_stored() -> Any:
            status = await self.client.queue.wait_stored(alarm_id)
            if status.state is RaiseState.STORED:
                return await self.client.cancel(alarm_id, reason)
            return None

        self._submit(alarm_id, cancel_when_stored)

    def check_in(self, visit_id: str) -> None:
        """"Jeg er trygg": the visit's next check-in moves on (or the warning ends)."""
        self._submit(visit_id, lambda: self.client.api.check_in(visit_id))

    def resolve(self, alarm_id: str) -> None:
        self._submit(alarm_id, lambda: self.client.resolve(alarm_id))

    def _submit(self, alarm_id: str, action: Callable[[], Awaitable[Any]]) -> None:
        """Run an idempotent action on the client's loop, retrying while the server is away."""

        async def attempt() -> None:
            for delay in (*RETRY_DELAYS_S, None):
                try:
                    await action()
                    return
                except ApiError as exc:
                    if exc.status < 500 and exc.status not in (408, 429):
                        self.action_failed.emit(alarm_id, str(exc))
                        return
                    error = str(exc)
                except httpx.TransportError as exc:
                    error = str(exc) or type(exc).__name__
                if delay is None:
                    self.action_failed.emit(alarm_id, error)
                    return
                await asyncio.sleep(delay)

        if self.client.call(attempt()) is None:
            self.action_failed.emit(alarm_id, "client not running")
