"""Access that bites at once: who a WebSocket token is, cached, and forgotten the moment it
changes.

An ORM flush listener notices a disabled user, a changed role or office, a revoked device or
login token (logout, password change or reset); once the transaction has committed, an
`access` message goes over the bus, and every process's hub closes that user's or device's
open connections with 4401 and forgets what it cached about them. Expiry needs no message:
a connection closes when its login token expires.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.alarm.policy import Viewer
from app.auth import security
from app.auth import service as auth_service
from app.auth.models import Device, LoginToken, User
from app.db import after_commit, commit, utcnow
from app.errors import AppError

# The session.info key of the callback that publishes an access message (set by create_app).
SESSION_KEY = "access"
_PENDING = "access_pending"

USER_ACCESS = ("is_active", "roles", "office_id")
USER_SHOWN = ("full_name",)  # not an access change, but cached for `hello`
DEVICE_SEEN_EVERY_S = 60  # how often a device's last_seen_at is written by its connections
CACHE_SIZE = 50_000


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _pending(session: Session) -> dict[str, set]:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {"users": set(), "devices": set(), "tokens": set(),
                                            "refresh": set()}
        publish = session.info[SESSION_KEY]

        async def _publish() -> None:
            found = session.info.pop(_PENDING, None)
            if found:
                await publish({key: sorted(v) for key, v in found.items() if v})

        after_commit(session, _publish)
    return pending


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    """Note what this flush changed of anyone's access (published after commit)."""
    if SESSION_KEY not in session.info:
        return
    for obj in (*session.dirty, *session.deleted):
        deleted = obj in session.deleted
        if isinstance(obj, User):
            if deleted or _changed(obj, USER_ACCESS):
                _pending(session)["users"].add(str(obj.id))
            elif _changed(obj, USER_SHOWN):
                _pending(session)["refresh"].add(str(obj.id))
        elif isinstance(obj, Device | LoginToken):
            if deleted or (_changed(obj, ("revoked_at",)) and obj.revoked_at is not None):
                key = "devices" if isinstance(obj, Device) else "tokens"
                _pending(session)[key].add((str(obj.user_id), str(obj.id)))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)


@dataclass(slots=True)
class Grant:
    """What a valid token says, as the WebSocket needs it."""

    viewer: Viewer
    full_name: str
    roles: list[str]
    device_id: uuid.UUID | None
    token_id: uuid.UUID | None
    expires_at: datetime | None
    seen_at: float = 0.0  # monotonic time a device's last_seen_at was last written

    def hello_user(self) -> dict[str, Any]:
        return {"id": str(self.viewer.user_id), "full_name": self.full_name,
                "roles": self.roles}


class TokenCache:
    """Token digest -> Grant, for the lifetime of the token; dropped on any access change."""

    def __init__(self, key: bytes, *, device_idle: timedelta | None = None) -> None:
        self.key = key
        self.device_idle = device_idle or auth_service.DEFAULT_DEVICE_IDLE
        self._grants: dict[str, Grant] = {}
        self._by_user: dict[uuid.UUID, set[str]] = {}
        self._loading: dict[str, asyncio.Future] = {}
        # A counter of access changes, and the count at each user's latest, so a connection
        # whose lookup raced a change of its user's access is not trusted.
        self.generation = 0
        self._changed_at: dict[uuid.UUID, int] = {}

    def changed_since(self, user_id: uuid.UUID, generation: int) -> bool:
        return self._changed_at.get(user_id, -1) >= generation

    def forget_user(self, user_id: uuid.UUID) -> None:
        self._changed_at[user_id] = self.generation
        self.generation += 1
        for digest in self._by_user.pop(user_id, ()):
            self._grants.pop(digest, None)

    def clear(self) -> None:
        self._grants.clear()
        self._by_user.clear()

    def peek(self, token: str) -> Grant | None:
        """The token's grant when it is cached, valid and has nothing to write; else None
        (then `lookup` decides)."""
        grant = self._grants.get(security.hash_token(self.key, token))
        if grant is None or (grant.expires_at is not None and grant.expires_at <= utcnow()):
            return None
        if grant.device_id is not None and time.monotonic() - grant.seen_at > DEVICE_SEEN_EVERY_S:
            return None
        return grant

    async def lookup(self, sessionmaker: Any, token: str) -> Grant | None:
        """The token's grant, from memory when it was seen before; None when it is not valid.
        A device connection refreshes its last_seen_at at most once a minute."""
        digest = security.hash_token(self.key, token)
        grant = self._grants.get(digest)
        if grant is not None:
            if grant.expires_at is not None and grant.expires_at <= utcnow():
                self._drop(digest, grant)
                return None
            if grant.device_id is not None and time.monotonic() - grant.seen_at > DEVICE_SEEN_EVERY_S:
                async with sessionmaker() as session:
                    device = await session.get(Device, grant.device_id)
                    if device is None or device.revoked_at is not None:
                        return None
                    await self._seen(session, grant, device)
            return grant
        # Many connections with one token at once (a reconnect storm): one database lookup.
        pending = self._loading.get(digest)
        if pending is not None:
            return await asyncio.shield(pending)
        generation = self.generation
        future = asyncio.get_running_loop().create_future()
        self._loading[digest] = future
        try:
            async with sessionmaker() as session:
                grant = await self._load(session, token, digest)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        else:
            future.set_result(grant)
        finally:
            del self._loading[digest]
        if grant is not None and self.generation == generation:
            self._store(digest, grant)
        return grant

    async def _load(self, session: AsyncSession, token: str, digest: str) -> Grant | None:
        try:
            principal = await auth_service.authenticate(session, token=token, key=self.key,
                                                         device_idle=self.device_idle)
        except AppError:
            return None
        user = principal.user
        token_id = expires_at = None
        if principal.device is None:
            token_id, expires_at = (await session.execute(
                select(LoginToken.id, LoginToken.expires_at)
                .where(LoginToken.token_hash == digest))).one()
        grant = Grant(viewer=Viewer.of(user), full_name=user.full_name, roles=list(user.roles),
                      device_id=principal.device.id if principal.device else None,
                      token_id=token_id, expires_at=expires_at)
        if principal.device is not None:
            await self._seen(session, grant, principal.device)
        return grant

    @staticmethod
    async def _seen(session: AsyncSession, grant: Grant, device: Device) -> None:
        device.last_seen_at = utcnow()
        await commit(session)
        grant.seen_at = time.monotonic()

    def _store(self, digest: str, grant: Grant) -> None:
        if len(self._grants) >= CACHE_SIZE:
            self.clear()
        self._grants[digest] = grant
        self._by_user.setdefault(grant.viewer.user_id, set()).add(digest)

    def _drop(self, digest: str, grant: Grant) -> None:
        self._grants.pop(digest, None)
        self._by_user.get(grant.viewer.user_id, set()).discard(digest)


def parse(message: dict[str, Any]) -> tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID],
                                            set[uuid.UUID], set[uuid.UUID]]:
    """An access message as (users whose access changed, users with a revoked device or token,
    revoked devices, revoked tokens, users only to refresh)."""
    users = {uuid.UUID(u) for u in message.get("users", ())}
    devices = {(uuid.UUID(u), uuid.UUID(d)) for u, d in message.get("devices", ())}
    tokens = {(uuid.UUID(u), uuid.UUID(t)) for u, t in message.get("tokens", ())}
    refresh = {uuid.UUID(u) for u in message.get("refresh", ())}
    owners = {u for u, _ in devices} | {u for u, _ in tokens}
    return users, owners, {d for _, d in devices}, {t for _, t in tokens}, refresh
