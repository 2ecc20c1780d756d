"""Events committed by an HTTP request reach the bus after its response has been written, so a
raise never waits for its own fan-out."""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

Publish = Callable[[], Awaitable[None]]


class _Deferred:
    __slots__ = ("open", "publishes")

    def __init__(self) -> None:
        self.open = True
        self.publishes: list[Publish] = []


_current: ContextVar[_Deferred | None] = ContextVar("trygg_publish_after_response",
                                                    default=None)


async def publish_after_response(publish: Publish) -> None:
    """Run `publish` once the current HTTP response is written (at once outside a request)."""
    deferred = _current.get()
    if deferred is not None and deferred.open:
        deferred.publishes.append(publish)
    else:
        await publish()


class PublishAfterResponse:
    """Pure ASGI middleware: holds the bus publishes of an HTTP request until it has answered."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deferred = _Deferred()
        token = _current.set(deferred)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
            deferred.open = False
            for publish in deferred.publishes:
                await publish()
