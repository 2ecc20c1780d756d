"""The raise queue: an alarm is stored locally first, then sent with the same id until the
server has stored it, whatever happens to the network, the server or this process meanwhile."""

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from trygg_client.api import Api, ApiError
from trygg_client.backoff import Backoff
from trygg_client.store import QueuedRaise, Store

log = logging.getLogger(__name__)

# Answers that no retry can change; everything else (no answer, 5xx, 409, 429) is retried.
PERMANENT = {400, 401, 403, 404, 413, 422}


class RaiseState(StrEnum):
    PENDING = "pending"      # not yet at the server, retrying
    STORED = "stored"        # the server has stored it
    REJECTED = "rejected"    # the server refused it; it will never be stored as it is


@dataclass
class RaiseStatus:
    """What the raiser may honestly be told about one raise."""

    alarm_id: str
    state: RaiseState
    level: str
    mode: str
    attempts: int = 0
    last_error: str | None = None
    alarm: dict[str, Any] | None = None
    queued_at: float = 0.0
    round_trip_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: QueuedRaise) -> "RaiseStatus":
        return cls(alarm_id=row.id, state=RaiseState(row.state), level=row.body["level"],
                   mode=row.body.get("mode", "real"), attempts=row.attempts,
                   last_error=row.last_error, alarm=row.alarm, queued_at=row.queued_at)

    @property
    def delivered_to(self) -> int:
        return int((self.alarm or {}).get("delivered_to") or 0)

    @property
    def coming(self) -> list[str]:
        """Names of the people who said "I'm coming"."""
        return [r["full_name"] for r in (self.alarm or {}).get("responders", [])]

    @property
    def closed(self) -> bool:
        return (self.alarm or {}).get("status") in ("resolved", "cancelled")

    def describe(self) -> str:
        """One honest line in English, for logs and the command line."""
        if self.state is RaiseState.PENDING:
            tail = f" (last error: {self.last_error})" if self.last_error else ""
            return f"alarm {self.alarm_id}: not yet at the server, retrying{tail}"
        if self.state is RaiseState.REJECTED:
            return f"alarm {self.alarm_id}: refused by the server: {self.last_error}"
        text = f"alarm {self.alarm_id}: stored at the server; reached {self.delivered_to}"
        if self.coming:
            text += "; coming: " + ", ".join(self.coming)
        return text


def new_raise_body(level: str, *, mode: str = "real", room_id: str | None = None,
                   silent: bool = True, location_note: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "level": level, "mode": mode, "silent": silent}
    if room_id:
        body["room_id"] = room_id
    if location_note:
        body["location_note"] = location_note
    return body


class RaiseQueue:
    """Sends the store's pending raises; `submit` may be called from any thread."""

    def __init__(self, store: Store, api: Api,
                 on_status: Callable[[RaiseStatus], None] | None = None) -> None:
        self.store = store
        self.api = api
        self.on_status = on_status
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._backoff: dict[str, Backoff] = {}
        self._sent_at: dict[str, float] = {}

    def submit(self, level: str, **options: Any) -> RaiseStatus:
        """Store the raise (durably, before any send) and wake the sender."""
        body = new_raise_body(level, **options)
        status = RaiseStatus.of(self.store.add_raise(body["id"], body))
        self._sent_at[status.alarm_id] = time.monotonic()
        self.wake()
        self._notify(status)
        return status

    def wake(self) -> None:
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                self._loop.call_soon_threadsafe(self._wake.set)

    def status(self, alarm_id: str) -> RaiseStatus | None:
        row = self.store.get_raise(alarm_id)
        return RaiseStatus.of(row) if row else None

    async def run(self) -> None:
        """Send every due raise, forever; sleep until the next is due or a new one comes."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            now = time.time()
            pending = self.store.pending_raises()
            due = [r for r in pending if r.next_attempt_at <= now]
            if due:
                await asyncio.gather(*(self._attempt(r) for r in due))
                continue
            wait = min((r.next_attempt_at - now for r in pending), default=60.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, wait))

    async def _attempt(self, row: QueuedRaise) -> None:
        backoff = self._backoff.setdefault(row.id, Backoff(first=0.5, cap=5.0))
        try:
            http_status, alarm = await self.api.raise_alarm(row.body)
        except ApiError as exc:
            if exc.status in PERMANENT:
                log.error("alarm %s refused: %s", row.id, exc)
                self.store.record_rejected(row.id, http_status=exc.status, error=str(exc))
            else:
                self._retry_later(row, backoff, str(exc), exc.status)
        except (httpx.TransportError, httpx.InvalidURL, OSError) as exc:
            self._retry_later(row, backoff, f"{type(exc).__name__}: {exc}" if str(exc)
                              else type(exc).__name__, None)
        else:
            self.store.record_stored(row.id, http_status=http_status, alarm=alarm)
            self._backoff.pop(row.id, None)
            log.info("alarm %s stored at the server (%s)", row.id, http_status)
        status = self.status(row.id)
        if status is not None:
            self._notify(status)

    def _retry_later(self, row: QueuedRaise, backoff: Backoff, error: str, http_status: int | None):
        delay = backoff.next_delay()
        log.warning("alarm %s not yet at the server (%s); retrying in %.1f s", row.id, error, delay)
        self.store.record_failure(row.id, error=error, next_attempt_at=time.time() + delay,
                                  http_status=http_status)

    def update_from_server(self, alarm: dict[str, Any], *, first_event: bool) -> RaiseStatus | None:
        """Take the server's newest view of one of our alarms (from the WebSocket)."""
        if not self.store.update_alarm(alarm["id"], alarm):
            return None
        status = self.status(alarm["id"])
        if status is None:
            return None
        started = self._sent_at.pop(alarm["id"], None) if first_event else None
        if started is not None:
            status.round_trip_s = time.monotonic() - started
        self._notify(status)
        return status

    async def wait_stored(self, alarm_id: str, poll_s: float = 0.1) -> RaiseStatus:
        """Return once the raise is stored or refused."""
        while True:
            status = self.status(alarm_id)
            if status is None:
                raise KeyError(alarm_id)
            if status.state is not RaiseState.PENDING:
                return status
            await asyncio.sleep(poll_s)

    def _notify(self, status: RaiseStatus) -> None:
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:
                log.exception("raise status callback failed")
