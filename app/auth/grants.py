"""REST authentication of login tokens from the token cache the WebSocket side keeps
(app/realtime/access.py): a known token costs one primary-key read of its user instead of
a token lookup and that read.

Only the token's validity comes from memory. The user is read in the request's own
transaction, so disabling, a role or an office change bite at once. A revoked token (logout,
password change or reset) is forgotten when its transaction commits, before that request
answers. Used only when one process serves the database (the in-memory bus): with several,
another process's revocation reaches this cache over the bus a moment later, which is not at
once. Device tokens are always read from the database (their last_seen_at is kept there).
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import security
from app.auth.models import User
from app.auth.service import Principal
from app.realtime import access


class RestGrants:
    def __init__(self, cache: access.TokenCache, sessionmaker: Any) -> None:
        self.cache = cache
        self.sessionmaker = sessionmaker

    async def principal(self, session: AsyncSession, token: str | None) -> Principal | None:
        """Who a login token belongs to, or None when the database must say (an unknown,
        invalid or device token, a disabled user, or an access change during the look)."""
        if not token or not token.startswith(security.LOGIN_PREFIX):
            return None
        if session.in_transaction():
            # A cache miss reads in a session of its own; on SQLite's single connection it
            # would wait for this one.
            return None
        generation = self.cache.generation
        grant = await self.cache.lookup(self.sessionmaker, token)
        if grant is None:
            return None
        user = await session.get(User, grant.viewer.user_id)
        if user is None or not user.is_active or self.cache.changed_since(user.id, generation):
            return None
        return Principal(user=user)

    def forget(self, message: dict[str, Any]) -> None:
        """Drop what is cached about the users of an access message (app/realtime/access.py)
        in this process, at once, before the message goes over the bus."""
        users, owners, _devices, _tokens, refresh = access.parse(message)
        for user_id in users | owners | refresh:
            self.cache.forget_user(user_id)
