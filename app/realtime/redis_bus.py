"""Redis pub/sub backend for several server processes."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as redis

log = logging.getLogger(__name__)
CHANNEL = "trygg:bus"


class RedisBus:
    """`redis://host:port/db`; `?channel=name` keeps deployments sharing one Redis apart."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        self.channel = query.pop("channel", CHANNEL)
        self._url = urlunsplit(parts._replace(query=urlencode(query)))
        self._client: redis.Redis | None = None

    async def connect(self) -> None:
        self._client = redis.from_url(self._url, socket_connect_timeout=2,
                                      health_check_interval=10)

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def publish(self, message: dict[str, Any]) -> None:
        assert self._client is not None
        try:
            await self._client.publish(self.channel, json.dumps(message, separators=(",", ":")))
        except (redis.RedisError, OSError) as exc:
            # The events are committed; subscribers bridge the gap from the database.
            log.warning("bus publish failed: %s", exc)

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        """Messages from every process. After a lost connection, yields {"kind": "reconnected"}
        so the subscriber re-reads what it may have missed from the database."""
        assert self._client is not None
        first = True
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if not first:
                    yield {"kind": "reconnected"}
                first = False
                async for raw in pubsub.listen():
                    if raw.get("type") == "message":
                        yield json.loads(raw["data"])
            except (redis.RedisError, OSError) as exc:
                log.warning("bus connection lost: %s; reconnecting", exc)
                await asyncio.sleep(0.5)
            finally:
                try:
                    await pubsub.aclose()
                except (redis.RedisError, OSError):
                    pass

    async def ping(self) -> bool:
        try:
            return bool(self._client and await self._client.ping())
        except (redis.RedisError, OSError):
            return False
