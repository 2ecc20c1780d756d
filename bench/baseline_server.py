"""The least a durable alarm fan-out can do in Python, as a yardstick for bench/fanout.py.

On `POST /api/v1/alarms` it stores the alarm and its `alarm.raised` event in one SQLite
transaction (WAL, synchronous=FULL), encodes one event frame and hands the same bytes to
every WebSocket of the alarm's office with `websockets.broadcast`, then answers 201.
`POST /api/v1/alarms/{id}/resolve` does the same for `alarm.resolved`.

There is no real authentication: the bearer token *is* the office id. Frames have the shape
and roughly the size of the real server's, so both cost the network and the load generator
the same. WebSockets are served by the `websockets` library on one port; the few HTTP
requests go to a tiny HTTP/1.1 handler on a second port, because the `websockets` server
only parses GET requests.

    python bench/baseline_server.py --ws-port 9001 --http-port 9002 --db /tmp/baseline.db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

HEARTBEAT_INTERVAL_S = 15
MAX_BODY = 64 * 1024

SCHEMA = """
CREATE TABLE IF NOT EXISTS alarm (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL,
    level TEXT NOT NULL,
    status TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id TEXT NOT NULL REFERENCES alarm (id),
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL
);
"""

RAISER = {"id": "00000000-0000-4000-8000-000000000001", "full_name": "Baseline Raiser"}


class Baseline:
    def __init__(self, db_path: str) -> None:
        # Synchronous sqlite3 on the event loop: one short transaction per request is the
        # cheapest durable write Python has; a thread hop would only add latency.
        self.db = sqlite3.connect(db_path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.offices: dict[str, set[ServerConnection]] = {}
        self.alarms: dict[str, dict[str, Any]] = {}
        row = self.db.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()
        self.seq: int = row[0]

    # WebSocket side -----------------------------------------------------------------------

    async def ws_handler(self, ws: ServerConnection) -> None:
        office = _bearer(ws.request.headers.get("Authorization", "")) if ws.request else None
        if not office:
            await ws.close(4401, "unauthorized")
            return
        members = self.offices.setdefault(office, set())
        members.add(ws)
        try:
            hello = {
                "type": "hello",
                "seq": self.seq,
                "heartbeat_interval_s": HEARTBEAT_INTERVAL_S,
                "open_alarms": [],
            }
            await ws.send(json.dumps(hello, separators=(",", ":")))
            async for message in ws:
                if isinstance(message, str) and '"heartbeat"' in message:
                    await ws.send('{"type":"heartbeat_ack"}')
        finally:
            members.discard(ws)

    # HTTP side ----------------------------------------------------------------------------

    async def http_handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if length > MAX_BODY:
                    writer.write(_response(413, {"error": "too_large", "detail": "body"}))
                    return
                body = await reader.readexactly(length) if length else b""
                status, payload = self.route(method, target, headers, body)
                writer.write(_response(status, payload))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    def route(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        path = target.split("?", 1)[0]
        if method == "GET" and path == "/api/v1/health":
            return 200, {"status": "ok", "database": "ok", "bus": "ok", "sms": "disabled"}
        office = _bearer(headers.get("authorization", ""))
        if not office:
            return 401, {"error": "unauthorized", "detail": "missing token"}
        if method == "POST" and path == "/api/v1/alarms":
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return 422, {"error": "invalid", "detail": "body is not JSON"}
            return self.raise_alarm(office, data)
        parts = path.split("/")
        if method == "POST" and len(parts) == 6 and parts[1:4] == ["api", "v1", "alarms"]:
            if parts[5] == "resolve":
                return self.resolve_alarm(parts[4])
        return 404, {"error": "not_found", "detail": path}

    # The two writes -----------------------------------------------------------------------

    def raise_alarm(self, office: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        alarm_id = str(data.get("id") or uuid.uuid4())
        if alarm_id in self.alarms:
            return 200, self.alarms[alarm_id]
        now = _now()
        alarm = {
            "id": alarm_id,
            "office_id": office,
            "level": data.get("level", "yellow"),
            "mode": data.get("mode", "real"),
            "status": "active",
            "silent": bool(data.get("silent", False)),
            "raised_by": RAISER,
            "device_id": None,
            "room": None,
            "location_note": data.get("location_note"),
            "position": None,
            "raised_at": now,
            "responders": [],
            "closed_at": None,
            "close_reason": None,
        }
        db = self.db
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO alarm (id, office_id, level, status, raised_at) VALUES (?, ?, ?, ?, ?)",
            (alarm_id, office, alarm["level"], "active", now),
        )
        seq = db.execute(
            "INSERT INTO event (alarm_id, type, at, data) VALUES (?, 'alarm.raised', ?, '{}')",
            (alarm_id, now),
        ).lastrowid
        db.execute("COMMIT")
        self.alarms[alarm_id] = alarm
        self.publish(office, seq, "alarm.raised", now, alarm)
        return 201, alarm

    def resolve_alarm(self, alarm_id: str) -> tuple[int, dict[str, Any]]:
        alarm = self.alarms.get(alarm_id)
        if alarm is None:
            return 404, {"error": "not_found", "detail": "alarm"}
        if alarm["status"] in ("resolved", "cancelled"):
            return 409, {"error": "alarm_closed", "detail": "alarm is closed"}
        now = _now()
        db = self.db
        db.execute("BEGIN")
        db.execute(
            "UPDATE alarm SET status = 'resolved', closed_at = ? WHERE id = ?", (now, alarm_id)
        )
        seq = db.execute(
            "INSERT INTO event (alarm_id, type, at, data) VALUES (?, 'alarm.resolved', ?, '{}')",
            (alarm_id, now),
        ).lastrowid
        db.execute("COMMIT")
        alarm.update(status="resolved", closed_at=now)
        self.publish(alarm["office_id"], seq, "alarm.resolved", now, alarm)
        return 200, alarm

    def publish(self, office: str, seq: int, kind: str, at: str, alarm: dict[str, Any]) -> None:
        """Send one frame, encoded once, to every connection of the office."""
        self.seq = seq
        event = {
            "seq": seq,
            "alarm_id": alarm["id"],
            "type": kind,
            "at": at,
            "actor": RAISER,
            "data": {},
        }
        frame = {"type": "event", "seq": seq, "event": event, "alarm": alarm}
        data = json.dumps(frame, separators=(",", ":")).encode()
        broadcast(self.offices.get(office, ()), data, text=True)


def _bearer(value: str) -> str | None:
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _response(status: int, payload: dict[str, Any]) -> bytes:
    reason = {200: "OK", 201: "Created", 401: "Unauthorized", 404: "Not Found",
              409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity"}[status]
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


async def main(args: argparse.Namespace) -> None:
    baseline = Baseline(args.db)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    http = await asyncio.start_server(
        baseline.http_handler, args.host, args.http_port, backlog=args.backlog
    )
    async with serve(
        baseline.ws_handler, args.host, args.ws_port, compression=None, backlog=args.backlog
    ):
        async with http:
            print(f"baseline listening ws={args.ws_port} http={args.http_port}", flush=True)
            await stop.wait()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ws-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--db", required=True, help="SQLite file to create or reuse")
    parser.add_argument("--backlog", type=int, default=2048)
    parser.add_argument(
        "--loop", choices=("auto", "asyncio", "uvloop"), default="auto",
        help="event loop; auto picks uvloop when installed, as uvicorn does",
    )
    return parser.parse_args()


def run() -> None:
    args = parse_args()
    loop_factory = None
    if args.loop in ("auto", "uvloop"):
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            if args.loop == "uvloop":
                raise
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main(args))


if __name__ == "__main__":
    run()
