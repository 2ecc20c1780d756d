"""Declarative base, engine and session factories, and the request session dependency.

A request's session commits before the response is sent, so a 2xx means stored. Side effects
(bus publish) are registered with `after_commit` and run only once the commit succeeded.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import AsyncAdaptedQueuePool
from starlette.requests import HTTPConnection

from app.sqlite_driver import OneTripConnection, OneTripDBAPI

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid(), dict: JSON(), list: JSON()}


def utcnow() -> datetime:
    return datetime.now(UTC)


# Execution option of a session that only reads (`begin_read_only`).
READ_ONLY_OPTION = "trygg_read_only"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        # One connection: SQLite has one writer anyway, and a single connection never meets
        # a stale WAL snapshot. Other processes (the CLI) wait on busy_timeout.
        engine = create_async_engine(
            url, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, pool_timeout=30,
            **({"module": OneTripDBAPI()} if "+aiosqlite" in url.split("://", 1)[0] else {}),
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A writer takes the write lock up front (no failed lock upgrade halfway); a
            # read-only look takes a snapshot only, so it never waits for or blocks a writer.
            read_only = conn.get_execution_options().get(READ_ONLY_OPTION)
            statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
            driver = conn.connection.dbapi_connection
            if isinstance(driver, OneTripConnection):
                driver.begin_with_next(statement)
            else:
                conn.exec_driver_sql(statement)

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def begin_read_only(session: AsyncSession) -> None:
    """Start `session`'s transaction as one that only reads: on SQLite a plain (deferred)
    BEGIN instead of BEGIN IMMEDIATE. Writing in it is a bug (the write lock may be refused)."""
    await session.connection(execution_options={READ_ONLY_OPTION: True})


async def flush_unique(session: AsyncSession, conflict: Exception) -> None:
    """Flush; a unique constraint hit by a concurrent writer becomes `conflict` (a 409)."""
    try:
        await session.flush()
    except IntegrityError:
        raise conflict from None


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once this session's transaction has committed; dropped on rollback."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        await callback()


async def commit(session: AsyncSession) -> None:
    """Commit, then run the side effects registered for this transaction."""
    await session.commit()
    await run_after_commit(session)


async def get_session(request: HTTPConnection) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            session.info.pop("after_commit", None)
            await session.rollback()
            raise
        await commit(session)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_request_settings(request: Request) -> Any:
    return request.app.state.settings
