"""Fan-out between server processes: a small interface with a backend per URL scheme.

A message is a JSON-ready dict. `events` messages carry committed alarm events (the database
stays the truth: a subscriber that sees a gap in `seq` reads the missing events back from it).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol


class Bus(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, message: dict[str, Any]) -> None: ...

    def listen(self) -> AsyncIterator[dict[str, Any]]: ...

    async def ping(self) -> bool: ...


class MemoryBus:
    """One process: messages go straight to this process's subscribers."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, message: dict[str, Any]) -> None:
        for queue in self._subscribers:
            queue.put_nowait(message)

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)

    async def ping(self) -> bool:
        return True


def make_bus(url: str) -> Bus:
    scheme = url.split(":", 1)[0]
    if scheme == "memory":
        return MemoryBus()
    if scheme in ("redis", "rediss"):
        from app.realtime.redis_bus import RedisBus

        return RedisBus(url)
    raise ValueError(f"unsupported TRYGG_BUS_URL scheme {scheme!r} (memory:// or redis://)")


async def cancel_quietly(task: asyncio.Task[Any] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
