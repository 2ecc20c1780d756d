"""aiosqlite for SQLAlchemy with one trip to the database thread per statement.

aiosqlite runs every call of a cursor in its own thread: SQLAlchemy's adapter makes four such
trips for one statement (open a cursor, execute, fetch the rows, close), each a queue put,
a thread wake-up and an event-loop wake-up. Here one function does all four in that thread,
so a statement costs one trip, and a transaction's BEGIN travels with its first statement;
on a busy machine every trip may wait for a core, which is what made a raise slow. Results,
errors and transactions are those of the same sqlite3 calls.
"""

import collections
import sqlite3
from threading import Thread
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


def _execute(conn: sqlite3.Connection, begin: str | None, operation: Any, parameters: Any,
             many: bool) -> tuple[Any, int, int | None, list[Any] | None]:
    """In the database thread: begin the transaction if one is waiting to, run one statement
    and take everything the caller may ask."""
    if begin is not None:
        conn.execute(begin)
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement, rows and close are one call in the thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # nothing stays open in the thread between calls
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        async with adapt._execute_mutex:
            connection = self._connection
            begin, adapt.pending_begin = adapt.pending_begin, None
            self._description, self._rowcount, self._lastrowid, rows = \
                await connection._execute(_execute, connection._conn, begin, operation,
                                          parameters, many)
            self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, True)

    def nextset(self) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The connection; `begin_with_next` lets a transaction's BEGIN travel with its first
    statement, and a transaction that ran no statement ends without a trip."""

    __slots__ = ("pending_begin",)

    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.pending_begin: str | None = None

    def begin_with_next(self, statement: str) -> None:
        """Run `statement` (BEGIN ...) just before the next statement, in the same trip."""
        self.pending_begin = statement

    def commit(self) -> None:
        if self.pending_begin is not None:
            self.pending_begin = None  # nothing began, nothing to commit
            return
        super().commit()

    def rollback(self) -> None:
        if self.pending_begin is not None:
            self.pending_begin = None
            return
        super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The module the engine's aiosqlite dialect uses (`create_async_engine(module=...)`)."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        # As SQLAlchemy's adapter does: the thread must not keep the interpreter alive.
        if isinstance(connection, Thread):
            connection.daemon = True
        else:
            connection._thread.daemon = True
        return OneTripConnection(self, await_(connection))
