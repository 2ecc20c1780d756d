"""Passwords (argon2) and bearer tokens (random, stored as a keyed hash).

argon2 costs tens of milliseconds of CPU and 64 MiB per hash by design. It runs on a small
executor of its own, with a bounded queue, so a flood of logins waits for those threads (or is
refused) while alarms, the database driver and the SMS sender keep the default thread pool.
"""

import asyncio
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

LOGIN_PREFIX = "tl_"
DEVICE_PREFIX = "td_"


class HasherBusy(Exception):
    """More logins are waiting for argon2 than the queue allows."""


class PasswordHashing:
    """argon2 on `workers` threads; at most `queue` callers wait for one, the rest are refused.
    `runs` counts the hashes and verifications done, for health figures and tests."""

    def __init__(self, *, workers: int = 2, queue: int = 32) -> None:
        self.workers = max(1, workers)
        self.limit = self.workers + max(0, queue)
        self.pending = 0
        self.runs = 0
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="argon2")
        return self._executor

    async def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        if self.pending >= self.limit:
            raise HasherBusy
        self.pending += 1
        try:
            self.runs += 1
            return await asyncio.get_running_loop().run_in_executor(self._pool(), fn, *args)
        finally:
            self.pending -= 1

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


# Used where no application is running (the CLI, the demo loader, tests' setup).
default_hashing = PasswordHashing()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
