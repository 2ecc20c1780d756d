"""Test helpers that talk to the server only through the public contract."""

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

PASSWORD = "blue-kettle-harbour-7"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Person:
    id: str
    username: str
    full_name: str
    token: str
    roles: list[str]
    office_id: str | None
    phone: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


@dataclass
class Org:
    admin_token: str
    office: dict
    other_office: dict
    room: dict
    other_room: dict
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Person:
        return self.people[key]

    @property
    def admin_headers(self) -> dict[str, str]:
        return bearer(self.admin_token)


async def create_person(api: httpx.AsyncClient, admin_token: str, *, roles: list[str],
                        office_id: str | None, name: str, phone: str | None = None) -> Person:
    username = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {"username": username, "password": PASSWORD, "full_name": name,
                            "office_id": office_id, "roles": roles}
    if phone:
        body["phone"] = phone
    response = await api.post("/users", json=body, headers=bearer(admin_token))
    assert response.status_code == 201, response.text
    user = response.json()
    login = await api.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Person(id=user["id"], username=username, full_name=name,
                  token=login.json()["access_token"], roles=roles, office_id=office_id,
                  phone=phone)


async def make_org(api: httpx.AsyncClient, admin_token: str) -> Org:
    suffix = uuid.uuid4().hex[:8]
    headers = bearer(admin_token)
    office = (await api.post("/offices", json={"name": f"NAV Test {suffix}"}, headers=headers)).json()
    other = (await api.post("/offices", json={"name": f"NAV Annet {suffix}"}, headers=headers)).json()
    room = (await api.post(f"/offices/{office['id']}/rooms", json={"name": "Samtalerom 1"},
                           headers=headers)).json()
    other_room = (await api.post(f"/offices/{other['id']}/rooms", json={"name": "Skranke"},
                                 headers=headers)).json()
    org = Org(admin_token=admin_token, office=office, other_office=other, room=room,
              other_room=other_room)
    specs = {
        "staff": (["staff"], office["id"], "Siri Staff"),
        "responder": (["responder"], office["id"], "Rune Responder"),
        "responder2": (["responder"], office["id"], "Randi Responder"),
        "manager": (["manager"], office["id"], "Mona Manager"),
        "other_staff": (["staff"], other["id"], "Ola Otherstaff"),
        "other_responder": (["responder"], other["id"], "Oda Otherresponder"),
        "other_manager": (["manager"], other["id"], "Omar Othermanager"),
    }
    people = await asyncio.gather(*(
        create_person(api, admin_token, roles=roles, office_id=office_id, name=name)
        for roles, office_id, name in specs.values()
    ))
    org.people = dict(zip(specs, people, strict=True))
    return org


class WsClient:
    """A real WebSocket connection that collects frames as they arrive."""

    def __init__(self, ws: websockets.ClientConnection, heartbeat: bool = True) -> None:
        self.ws = ws
        self.frames: asyncio.Queue[dict] = asyncio.Queue()
        self.hello: dict | None = None
        self.heartbeat = heartbeat
        self._beat: asyncio.Task | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, token: str | None, *, header: bool = True,
                      heartbeat: bool = True) -> "WsClient":
        headers = bearer(token) if (token and header) else None
        ws = await websockets.connect(url, additional_headers=headers, compression=None,
                                      open_timeout=10)
        if token and not header:
            await ws.send(json.dumps({"type": "auth", "token": token}))
        return cls(ws, heartbeat=heartbeat)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                await self.frames.put(json.loads(raw))
        except websockets.ConnectionClosed:
            pass

    async def next(self, timeout: float = 5) -> dict:
        return await asyncio.wait_for(self.frames.get(), timeout)

    async def next_of(self, kind: str, timeout: float = 5) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if frame["type"] == kind:
                    return frame

    async def wait_hello(self) -> dict:
        """Wait for `hello`; from then on heartbeat as a real client does (unless told not to)."""
        self.hello = await self.next_of("hello")
        if self.heartbeat:
            self._beat = asyncio.create_task(self._heartbeats(self.hello["heartbeat_interval_s"]))
        return self.hello

    async def _heartbeats(self, interval: float) -> None:
        try:
            while True:
                await asyncio.sleep(interval)
                await self.ws.send(json.dumps({"type": "heartbeat"}))
        except websockets.ConnectionClosed:
            pass

    async def event(self, event_type: str | None = None, timeout: float = 5) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if frame["type"] == "event" and (event_type is None
                                                 or frame["event"]["type"] == event_type):
                    return frame

    async def events_for(self, seconds: float) -> list[dict]:
        """Every event frame that arrives within `seconds`."""
        found = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            try:
                frame = await asyncio.wait_for(self.frames.get(), left)
            except TimeoutError:
                break
            if frame["type"] == "event":
                found.append(frame)
        return found

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
        await self.ws.close()
        self._reader.cancel()

    async def closed_code(self, timeout: float = 15) -> int | None:
        await asyncio.wait_for(self.ws.wait_closed(), timeout)
        return self.ws.close_code


async def raise_alarm(api: httpx.AsyncClient, person: Person, **body: Any) -> httpx.Response:
    body.setdefault("level", "yellow")
    return await api.post("/alarms", json=body, headers=person.headers)
