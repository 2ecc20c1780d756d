"""The client's durable state in one SQLite file: the raise queue and the last event seq seen.

Every call opens its own connection, so the store may be used from any thread and by several
processes on the same file (the desktop application and `trygg-client raise`, say).
"""

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS raise_queue (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    queued_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    http_status INTEGER,
    stored_at REAL,
    alarm TEXT
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class QueuedRaise:
    id: str
    body: dict[str, Any]
    queued_at: float
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    http_status: int | None
    stored_at: float | None
    alarm: dict[str, Any] | None


def _row(row: sqlite3.Row) -> QueuedRaise:
    data = dict(row)
    data["body"] = json.loads(data["body"])
    data["alarm"] = json.loads(data["alarm"]) if data["alarm"] else None
    return QueuedRaise(**data)


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as conn:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            yield conn

    # The raise queue

    def add_raise(self, alarm_id: str, body: dict[str, Any]) -> QueuedRaise:
        """Store a raise durably (committed and synced) before anything is sent."""
        now = time.time()
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO raise_queue (id, body, queued_at, next_attempt_at) VALUES (?, ?, ?, ?)",
                (alarm_id, json.dumps(body), now, now))
        return self.get_raise(alarm_id)  # type: ignore[return-value]

    def get_raise(self, alarm_id: str) -> QueuedRaise | None:
        with self._conn() as conn:
            row = conn.execute("SELECT * FROM raise_queue WHERE id = ?", (alarm_id,)).fetchone()
        return _row(row) if row else None

    def pending_raises(self) -> list[QueuedRaise]:
        with self._conn() as conn:
            rows = conn.execute("SELECT * FROM raise_queue WHERE state = 'pending' "
                                "ORDER BY queued_at").fetchall()
        return [_row(r) for r in rows]

    def recent_raises(self, limit: int = 20) -> list[QueuedRaise]:
        with self._conn() as conn:
            rows = conn.execute("SELECT * FROM raise_queue ORDER BY queued_at DESC LIMIT ?",
                                (limit,)).fetchall()
        return [_row(r) for r in rows]

    def record_failure(self, alarm_id: str, *, error: str, next_attempt_at: float,
                       http_status: int | None = None) -> None:
        with self._conn() as conn:
            conn.execute("UPDATE raise_queue SET attempts = attempts + 1, last_error = ?, "
                         "http_status = ?, next_attempt_at = ? WHERE id = ? AND state = 'pending'",
                         (error, http_status, next_attempt_at, alarm_id))

    def record_stored(self, alarm_id: str, *, http_status: int, alarm: dict[str, Any]) -> None:
        with self._conn() as conn:
            conn.execute("UPDATE raise_queue SET state = 'stored', attempts = attempts + 1, "
                         "http_status = ?, stored_at = COALESCE(stored_at, ?), alarm = ?, "
                         "last_error = NULL WHERE id = ? AND state = 'pending'",
                         (http_status, time.time(), json.dumps(alarm), alarm_id))

    def record_rejected(self, alarm_id: str, *, http_status: int, error: str) -> None:
        with self._conn() as conn:
            conn.execute("UPDATE raise_queue SET state = 'rejected', attempts = attempts + 1, "
                         "http_status = ?, last_error = ? WHERE id = ? AND state = 'pending'",
                         (http_status, error, alarm_id))

    def update_alarm(self, alarm_id: str, alarm: dict[str, Any]) -> bool:
        """Keep the newest server view of one of our raises; False if it is not ours.
        An event about the alarm proves the server has stored it, whatever the POST's fate."""
        with self._conn() as conn:
            cursor = conn.execute("UPDATE raise_queue SET alarm = ?, state = 'stored', "
                                  "stored_at = COALESCE(stored_at, ?) "
                                  "WHERE id = ? AND state != 'rejected'",
                                  (json.dumps(alarm), time.time(), alarm_id))
        return cursor.rowcount > 0

    # Small values

    def get_int(self, key: str) -> int | None:
        with self._conn() as conn:
            row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return int(row["value"]) if row else None

    def set_int(self, key: str, value: int) -> None:
        with self._conn() as conn:
            conn.execute("INSERT INTO kv (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))
