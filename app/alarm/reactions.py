"""In-transaction reactions to alarm events: how other domains (texts, calls, push) follow an
alarm without the alarm domain knowing them.

A reaction runs inside the transaction that logged its event, so what it writes (outbox rows,
further events) commits or rolls back together with its cause. Domains register their reactions
once, when the application is made (`app.main.create_app`).
"""

import logging
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm.models import Alarm, AlarmEvent

log = logging.getLogger(__name__)

SESSION_KEY = "reactions"


@dataclass(frozen=True)
class Context:
    """What a reaction may know of the running server besides the database."""

    settings: Any
    online_users: Callable[[uuid.UUID], Collection[uuid.UUID]]


Reaction = Callable[[AsyncSession, Alarm, AlarmEvent, Context], Awaitable[None]]

_registry: dict[str, list[Reaction]] = {}


def register(reaction: Reaction, *types: str) -> None:
    """Run `reaction` after every event of one of `types` (once, however often registered)."""
    for type_ in types:
        handlers = _registry.setdefault(type_, [])
        if reaction not in handlers:
            handlers.append(reaction)


async def run(session: AsyncSession, alarm: Alarm, event: AlarmEvent) -> None:
    handlers = _registry.get(event.type)
    if not handlers:
        return
    context: Context | None = session.info.get(SESSION_KEY)
    if context is None:
        log.warning("event %s logged outside the server: no reactions run", event.type)
        return
    for handler in handlers:
        await handler(session, alarm, event, context)
