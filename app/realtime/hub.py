"""Routes committed events to the connections that may see them, in `seq` order.

One pump task per process reads the bus. It keeps the last `seq` it routed; an event that
arrives ahead of a gap makes it read the missing events from the database first, so each
connection gets every visible event in order even when publishes race or the bus drops one.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.alarm import policy
from app.alarm.events import bus_record
from app.alarm.models import AlarmEvent
from app.alarm.policy import Target, Viewer
from app.auth.models import Device, LoginToken, User
from app.db import utcnow
from app.org.models import Office
from app.realtime import access, deferral, frames, wire
from app.realtime.bus import Bus, cancel_quietly
from app.realtime.collector import Collector
from app.realtime.connection import CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED, Connection
from app.realtime.limits import Receipts
from app.realtime.openalarms import OpenAlarms, OpenVisits
from app.realtime.presence import Presence
from app.realtime.recent import RecentEvents

log = logging.getLogger(__name__)


class Hub:
    def __init__(self, bus: Bus, sessionmaker: async_sessionmaker[AsyncSession],
                 heartbeat_interval_s: float = 5, signing_key: bytes = b"",
                 device_idle: timedelta | None = None) -> None:
        self.bus = bus
        self.tokens = access.TokenCache(signing_key, device_idle=device_idle)
        self.receipts = Receipts()
        self.open_alarms = OpenAlarms()
        self.open_visits = OpenVisits()
        self.recent = RecentEvents()
        self.sessionmaker = sessionmaker
        self.process_id = uuid.uuid4().hex
        self.interval = heartbeat_interval_s
        self.presence = Presence(ttl_s=2 * heartbeat_interval_s)
        self.readiness_sent: dict[uuid.UUID, int] = {}
        self.by_user: dict[uuid.UUID, set[Connection]] = defaultdict(set)
        # Connections that receive all of an office's events (responders and managers).
        self.office_receivers: dict[uuid.UUID, set[Connection]] = defaultdict(set)
        # Every connection of an office's users, for readiness frames.
        self.office_members: dict[uuid.UUID, set[Connection]] = defaultdict(set)
        self.min_online: dict[uuid.UUID, int] = {}
        self._minimum_loading: dict[uuid.UUID, asyncio.Future] = {}
        self.cursor = 0
        self.routed_at = 0.0  # monotonic time an event was last routed
        self.collector = Collector(lambda: self.routed_at)
        self._pump: asyncio.Task | None = None
        self._announcer: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._ready = asyncio.Event()

    # Lifecycle

    async def start(self) -> None:
        self._pump = asyncio.create_task(self._run_pump(), name="hub-pump")
        await asyncio.wait_for(self._ready.wait(), timeout=10)
        self._announcer = asyncio.create_task(self._run_announcer(), name="hub-presence")
        await self.bus.publish({"kind": "hello", "process": self.process_id})
        # What start-up made lives as long as the process: kept out of the collector's sight.
        self.collector.start()

    async def stop(self) -> None:
        await self.collector.stop()
        await cancel_quietly(self._announcer)
        with contextlib.suppress(Exception):
            await self.bus.publish({"kind": "bye", "process": self.process_id})
        await cancel_quietly(self._pump)
        for task in list(self._background):
            await cancel_quietly(task)

    async def _newest_seq(self) -> int:
        async with self.sessionmaker() as session:
            newest = int(await session.scalar(select(func.max(AlarmEvent.seq))) or 0)
            await self.open_alarms.load(session)
            await self.open_visits.load(session)
            await self.recent.load(session, newest)
            return newest

    async def _run_pump(self) -> None:
        listener = self.bus.listen()
        # Subscribe before reading the cursor, so nothing committed in between is missed.
        first = asyncio.ensure_future(anext(listener))
        await asyncio.sleep(0)
        self.cursor = await self._newest_seq()
        self._ready.set()
        try:
            message = await first
            while True:
                try:
                    await self._handle(message)
                except Exception:
                    log.exception("hub failed to route a bus message")
                message = await anext(listener)
        finally:
            await listener.aclose()

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("kind")
        if kind == "events":
            for record in message["records"]:
                await self._route_in_order(record)
        elif kind == "access":
            self._apply_access(message)
        elif kind == "reconnected":
            # Access messages may have been lost meanwhile: trust nothing cached.
            self.tokens.clear()
            await self._recheck_access()
            await self._reload_minimums()
            await self._catch_up(None)
            await self._announce_all()
        elif kind == "office":
            await self._apply_office_settings(uuid.UUID(message["office_id"]),
                                              int(message["min_responders_online"]))
        elif message.get("process") == self.process_id:
            return  # our own presence, echoed by the bus
        elif kind == "presence":
            office = uuid.UUID(message["office_id"])
            self.presence.apply_remote(message["process"], office, message["users"])
            self._readiness_changed(office)
        elif kind == "hello":
            await self._announce_all()
        elif kind == "bye":
            for office in self.presence.forget_process(message["process"]):
                self._readiness_changed(office)

    async def publish_events(self, records: list[dict[str, Any]]) -> None:
        """Called after a commit: hand the committed events to every process's hub (once the
        HTTP response, if any, is written)."""
        message = {"kind": "events", "records": records}
        await deferral.publish_after_response(lambda: self.bus.publish(message))

    async def publish_access(self, message: dict[str, Any]) -> None:
        """Called after a commit that changed someone's access: every process closes the
        connections it no longer allows."""
        await self.bus.publish({"kind": "access", **message})

    def _apply_access(self, message: dict[str, Any]) -> None:
        users, owners, devices, tokens, refresh = access.parse(message)
        for user in users | owners | refresh:
            self.tokens.forget_user(user)
        for user in users | owners:
            for conn in list(self.by_user.get(user, ())):
                if user in users or conn.device_id in devices or conn.token_id in tokens:
                    self.drop(conn, CLOSE_UNAUTHORIZED)

    async def _recheck_access(self) -> None:
        """Close the connections whose token, device or user is no longer what it was."""
        conns = [c for users in self.by_user.values() for c in users]
        if not conns:
            return
        async with self.sessionmaker() as session:
            users = {u.id: u for u in (await session.scalars(
                select(User).where(User.id.in_({c.user_id for c in conns})))).all()}
            revoked_devices = set((await session.scalars(select(Device.id).where(
                Device.id.in_({c.device_id for c in conns if c.device_id}),
                Device.revoked_at.is_not(None)))).all())
            revoked_tokens = set((await session.scalars(select(LoginToken.id).where(
                LoginToken.id.in_({c.token_id for c in conns if c.token_id}),
                LoginToken.revoked_at.is_not(None)))).all())
        for conn in conns:
            user = users.get(conn.user_id)
            if (user is None or not user.is_active or Viewer.of(user) != conn.viewer
                    or conn.device_id in revoked_devices or conn.token_id in revoked_tokens):
                self.drop(conn, CLOSE_UNAUTHORIZED)

    async def _route_in_order(self, record: dict[str, Any]) -> None:
        seq = record["seq"]
        if seq <= self.cursor:
            return
        if seq > self.cursor + 1:
            await self._catch_up(seq)
        if seq > self.cursor:
            self._route(record)
            self.cursor = seq

    async def _catch_up(self, before: int | None) -> None:
        """Route committed events after the cursor (and before `before`) from the database."""
        while True:
            async with self.sessionmaker() as session:
                query = select(AlarmEvent).where(AlarmEvent.seq > self.cursor)
                if before is not None:
                    query = query.where(AlarmEvent.seq < before)
                rows = (await session.scalars(query.order_by(AlarmEvent.seq).limit(500))).all()
            for row in rows:
                self._route(bus_record(row))
                self.cursor = row.seq
            if len(rows) < 500:
                return

    def _route(self, record: dict[str, Any]) -> None:
        """Send one committed event to every connection that follows its alarm: encoded and
        serialised once, written straight to each socket that is not behind."""
        alarm = record["alarm"]
        if alarm is not None:
            self.open_alarms.apply(alarm)
            self.open_visits.alarm_changed(alarm)
        else:  # a home visit's event
            self.open_visits.apply(record["visit"])
        self.routed_at = time.monotonic()
        target = Target.of_record(record)
        seq, text = record["seq"], frames.event_frame(record)
        self.recent.add(seq, target, text)
        who = policy.audience(target)
        groups = [self.by_user[user] for user in who.users if user in self.by_user]
        if who.office_id is not None and who.office_id in self.office_receivers:
            groups.append(self.office_receivers[who.office_id])
        if not any(groups):
            return
        data = wire.frame_bytes(text)
        slow = [conn for group in groups for conn in group if not conn.push(seq, text, data)]
        for conn in slow:
            self.drop(conn, CLOSE_TOO_SLOW)

    # Connections and readiness

    def register(self, conn: Connection, *, min_responders_online: int | None,
                 expires_at: datetime | None = None) -> str | None:
        """Start routing to `conn` (until its login token expires). Returns the office's
        readiness frame for the caller to send right after `hello` (later changes are queued
        like events)."""
        self.by_user[conn.user_id].add(conn)
        if expires_at is not None:
            loop = asyncio.get_running_loop()
            left = (expires_at - utcnow()).total_seconds()
            conn.expiry = loop.call_at(loop.time() + left, self.drop, conn, CLOSE_UNAUTHORIZED)
        if conn.office_id is None:
            return None
        office = conn.office_id
        if min_responders_online is not None:
            self.min_online.setdefault(office, min_responders_online)  # later: over the bus
        if conn.receives_office:
            self.office_receivers[office].add(conn)
        if conn.is_responder and self.presence.add_local(office, conn.user_id):
            self._announce(office)
        self._readiness_changed(office)
        self.office_members[office].add(conn)
        return self._readiness(office)

    def unregister(self, conn: Connection) -> None:
        """Stop routing to `conn`; it stops counting as online at once."""
        if conn.expiry is not None:
            conn.expiry.cancel()
            conn.expiry = None
        users = self.by_user.get(conn.user_id)
        if users is None or conn not in users:
            return
        users.discard(conn)
        if not users:
            del self.by_user[conn.user_id]
        office = conn.office_id
        if office is None:
            return
        self.office_members[office].discard(conn)
        self.office_receivers[office].discard(conn)
        if conn.is_responder and self.presence.remove_local(office, conn.user_id):
            self._announce(office)
            self._readiness_changed(office)

    def drop(self, conn: Connection, code: int) -> None:
        """Disconnect a connection from the server side (it will reconnect and resume)."""
        self.unregister(conn)
        conn.abort(code)

    def online_users(self, office_id: uuid.UUID) -> set[uuid.UUID]:
        """Responders of the office with a live connection to any server process."""
        return self.presence.users(office_id)

    def responders_online(self, office_id: uuid.UUID) -> int:
        return self.presence.count(office_id)

    def _readiness_changed(self, office: uuid.UUID) -> bool:
        """Send the office's readiness to its connections if the count changed."""
        count = self.presence.count(office)
        if self.readiness_sent.get(office) == count:
            return False
        self.readiness_sent[office] = count
        self._broadcast_readiness(office)
        return True

    def _announce(self, office: uuid.UUID) -> None:
        message = {"kind": "presence", "process": self.process_id, "office_id": str(office),
                   "users": self.presence.local_users(office)}
        task = asyncio.get_running_loop().create_task(self.bus.publish(message))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _announce_all(self) -> None:
        for office in self.presence.offices():
            await self.bus.publish({"kind": "presence", "process": self.process_id,
                                    "office_id": str(office),
                                    "users": self.presence.local_users(office)})

    async def _run_announcer(self) -> None:
        """Every interval: repeat what this process has online, forget silent processes."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self._announce_all()
            except Exception:
                log.exception("presence announcement failed")
            for office in self.presence.expire():
                self._readiness_changed(office)

    def _readiness(self, office: uuid.UUID) -> str:
        return frames.readiness_frame(str(office), self.responders_online(office),
                                      self.min_online.get(office, 0))

    def _broadcast_readiness(self, office: uuid.UUID) -> None:
        text = self._readiness(office)
        data = wire.frame_bytes(text)
        slow = [c for c in self.office_members.get(office, ()) if not c.push(0, text, data)]
        for conn in slow:
            self.drop(conn, CLOSE_TOO_SLOW)

    async def office_settings_changed(self, office_id: uuid.UUID, *,
                                      min_responders_online: int) -> None:
        await self.bus.publish({"kind": "office", "office_id": str(office_id),
                                "min_responders_online": min_responders_online})

    async def _apply_office_settings(self, office_id: uuid.UUID, minimum: int) -> None:
        if self.min_online.get(office_id) != minimum:
            self.min_online[office_id] = minimum
            self._broadcast_readiness(office_id)

    async def office_minimum(self, office_id: uuid.UUID) -> int | None:
        """The office's minimum of responders online, from memory once known (changes come
        over the bus)."""
        if office_id in self.min_online:
            return self.min_online[office_id]
        # Many connections of one office at once (a reconnect storm): one database lookup.
        pending = self._minimum_loading.get(office_id)
        if pending is None:
            pending = self._minimum_loading[office_id] = asyncio.ensure_future(
                self._load_minimum(office_id))
            pending.add_done_callback(lambda _: self._minimum_loading.pop(office_id, None))
        return await asyncio.shield(pending)

    async def _reload_minimums(self) -> None:
        """Office settings messages may have been lost meanwhile: read the known ones again."""
        if not self.min_online:
            return
        async with self.sessionmaker() as session:
            rows = (await session.execute(select(Office.id, Office.min_responders_online).where(
                Office.id.in_(list(self.min_online))))).all()
        for office_id, minimum in rows:
            await self._apply_office_settings(office_id, minimum)

    async def _load_minimum(self, office_id: uuid.UUID) -> int | None:
        async with self.sessionmaker() as session:
            return await self.load_office_minimum(session, office_id)

    async def load_office_minimum(self, session: AsyncSession, office_id: uuid.UUID) -> int | None:
        return await session.scalar(
            select(Office.min_responders_online).where(Office.id == office_id)
        )

    def connected(self, office_id: uuid.UUID) -> set[tuple[uuid.UUID, uuid.UUID | None]]:
        """(user id, device id or None) of every open connection of the office's users here."""
        return {(c.user_id, c.device_id) for c in self.office_members.get(office_id, ())}
