"""Login throttling per account and per client address, kept in the database so that every
server process counts the same attempts.

An attempt is stored before its password is checked and removed once it succeeds, so attempts
running at the same time count against each other and a refused attempt costs one indexed read
and no argon2 work. A locked account refuses the right password too: otherwise the lock would
tell a guesser which guess was right.
"""

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import LoginAttempt
from app.db import utcnow
from app.errors import TooManyRequests


async def _locked_until(session: AsyncSession, column, value: str, *, limit: int,  # type: ignore[no-untyped-def]
                        since: datetime, window: timedelta) -> datetime | None:
    """When the `limit`-th newest attempt in the window leaves it, or None if there is none."""
    if limit <= 0:
        return None
    oldest_counted = await session.scalar(
        select(LoginAttempt.at).where(column == value, LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc()).offset(limit - 1).limit(1))
    return None if oldest_counted is None else oldest_counted + window


async def record_attempt(session: AsyncSession, *, account: str, address: str, window_s: int,
                         max_per_account: int, max_per_address: int) -> LoginAttempt:
    """Store an attempt for `account` from `address`, or raise TooManyRequests (429 with
    Retry-After) when either has used up its attempts in the window."""
    now = utcnow()
    window = timedelta(seconds=window_s)
    since = now - window
    account = account.lower()
    until = [t for t in (
        await _locked_until(session, LoginAttempt.account, account, limit=max_per_account,
                            since=since, window=window),
        await _locked_until(session, LoginAttempt.address, address, limit=max_per_address,
                            since=since, window=window),
    ) if t is not None and t > now]
    if until:
        wait = max(1, math.ceil((max(until) - now).total_seconds()))
        raise TooManyRequests(f"too many failed logins; try again in {wait} s",
                              headers={"Retry-After": str(wait)})
    await session.execute(delete(LoginAttempt).where(LoginAttempt.at <= since))
    attempt = LoginAttempt(account=account, address=address, at=now)
    session.add(attempt)
    await session.flush()
    return attempt


async def forget_attempts(session: AsyncSession, *, account: str) -> None:
    """A login to `account` succeeded: its earlier failures stop counting."""
    await session.execute(delete(LoginAttempt).where(LoginAttempt.account == account.lower()))
