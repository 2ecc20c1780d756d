"""The SQLite engine: a read-only look takes no write lock, and the driver that makes one trip
to the database thread per statement answers as sqlite3 does."""

import asyncio
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.db import begin_read_only, make_engine, make_sessionmaker


@pytest.fixture
async def engines(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    first, second = make_engine(url), make_engine(url)
    async with first.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)"))
    yield first, second
    await first.dispose()
    await second.dispose()


async def test_a_read_only_look_lets_another_connection_write(engines):
    first, second = engines
    async with make_sessionmaker(first)() as reader:
        await begin_read_only(reader)
        assert (await reader.scalar(text("SELECT count(*) FROM t"))) == 0
        async with second.begin() as writer:  # BEGIN IMMEDIATE: would wait for a writer
            await asyncio.wait_for(writer.execute(text("INSERT INTO t (v) VALUES ('a')")), 2)
        # The reader's snapshot is the one it started with.
        assert (await reader.scalar(text("SELECT count(*) FROM t"))) == 0
    async with make_sessionmaker(first)() as session:
        assert (await session.scalar(text("SELECT count(*) FROM t"))) == 1


async def test_a_session_that_writes_holds_the_write_lock_from_its_start(engines, tmp_path):
    first, _ = engines
    other = sqlite3.connect(tmp_path / "db.sqlite", timeout=0.1, isolation_level=None,
                            check_same_thread=False)
    try:
        async with make_sessionmaker(first)() as holder:
            await holder.scalar(text("SELECT count(*) FROM t"))  # BEGIN IMMEDIATE
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_statements_answer_as_sqlite3_does(engines):
    first, _ = engines
    async with first.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert (inserted.rowcount, inserted.lastrowid) == (1, 1)
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        returned = await conn.execute(text("INSERT INTO t (v) VALUES ('d') RETURNING id, v"))
        assert returned.all() == [(4, "d")]
        assert (await conn.execute(text("UPDATE t SET v = 'z' WHERE id > 1"))).rowcount == 3
        rows = await conn.execute(text("SELECT id, v FROM t ORDER BY id"))
        assert rows.all() == [(1, "a"), (2, "z"), (3, "z"), (4, "z")]
        assert (await conn.execute(text("SELECT v FROM t WHERE id = 99"))).first() is None
    with pytest.raises(IntegrityError):
        async with first.begin() as conn:
            await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'again')"))
    async with first.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM t"))) == 4
