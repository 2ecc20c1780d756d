"""Real `trygg serve` subprocesses, each on its own SQLite database, and clients enrolled on them
through the public contract only."""

import asyncio
import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import skip_or_fail
from tests.helpers import Person, bearer, create_person
from tests.process import ServerProcess

# Qt must never look for a display in the tests.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

HEARTBEAT_S = 2  # tests.process starts servers with TRYGG_HEARTBEAT_INTERVAL_S=2
ADMIN_PASSWORD = "admin-password-1"


class TryggServer(ServerProcess):
    """A `trygg serve` subprocess that keeps its port and database across SIGKILL and restart."""

    def start_sync(self) -> None:
        """Start from a thread with no running loop (the Qt tests)."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([self.trygg, "serve", "--port", str(self.port)],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    @property
    def trygg(self) -> str:
        from tests.process import TRYGG
        return TRYGG

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Site:
    """One server with an office (min_responders_online 1), a room and a few people."""

    server: TryggServer
    admin_token: str
    office: dict
    room: dict
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.server.api_url, timeout=10)


def new_server(tmp_path_factory, **env: str) -> TryggServer:
    data = tmp_path_factory.mktemp("server")
    return TryggServer(f"sqlite+aiosqlite:///{data / 'trygg.db'}", data,
                       "client-test-secret-" + "x" * 32, **env)


@contextlib.asynccontextmanager
async def serving(server: TryggServer) -> AsyncIterator[Site]:
    """Start `server` with an office and people; killed afterwards."""
    await server.start()
    try:
        yield await make_site(server)
    finally:
        server.kill()


async def make_site(server: TryggServer) -> Site:
    admin = f"admin-{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(server.cli, "user", "create", admin, "--password", ADMIN_PASSWORD,
                            "--role", "admin", "--name", "Ada Admin")
    async with httpx.AsyncClient(base_url=server.api_url, timeout=10) as api:
        login = await api.post("/auth/login", json={"username": admin, "password": ADMIN_PASSWORD})
        token = login.json()["access_token"]
        office = (await api.post("/offices", json={"name": f"NAV Klient {uuid.uuid4().hex[:6]}"},
                                 headers=bearer(token))).json()
        office = (await api.patch(f"/offices/{office['id']}", json={"min_responders_online": 1},
                                  headers=bearer(token))).json()
        room = (await api.post(f"/offices/{office['id']}/rooms", json={"name": "Samtalerom 2"},
                               headers=bearer(token))).json()
        site = Site(server=server, admin_token=token, office=office, room=room)
        for key, roles, name in (("staff", ["staff"], "Siri Staff"),
                                 ("responder", ["responder"], "Rune Responder"),
                                 ("responder2", ["responder"], "Randi Responder")):
            site.people[key] = await create_person(api, token, roles=roles, office_id=office["id"],
                                                   name=name)
    return site


@pytest.fixture(scope="module")
async def site(tmp_path_factory) -> AsyncIterator[Site]:
    """A server shared by one module's tests (which must not stop it)."""
    async with serving(new_server(tmp_path_factory)) as site:
        yield site


@pytest.fixture
async def own_site(tmp_path_factory) -> AsyncIterator[Site]:
    """A server of the test's own, which the test may kill and restart."""
    async with serving(new_server(tmp_path_factory)) as site:
        yield site


@pytest.fixture
def enroll(tmp_path) -> Callable:
    """Enroll a device for a person and write its client config to a fresh client home."""
    from trygg_client import ClientConfig

    async def _enroll(site: Site, person: Person, *, room: bool = True,
                      home: Path | None = None) -> tuple[ClientConfig, Path]:
        home = home or tmp_path / f"home-{person.username}-{uuid.uuid4().hex[:4]}"
        async with site.http() as api:
            body = {"user_id": person.id, "kind": "desktop", "label": "test"}
            if room:
                body["room_id"] = site.room["id"]
            response = await api.post("/devices", json=body, headers=person.headers)
            assert response.status_code == 201, response.text
            device = response.json()
        config = ClientConfig(server_url=site.server.server_url, token=device["token"],
                              user_id=person.id, username=person.username,
                              full_name=person.full_name, office_id=person.office_id,
                              roles=person.roles, device_id=device["id"],
                              room_id=body.get("room_id"))
        config.save(home)
        return config, home

    return _enroll


def enroll_sync(site: Site, person: Person, home: Path):
    """`enroll` for tests with no running loop (the Qt tests)."""
    from trygg_client import ClientConfig

    response = httpx.post(f"{site.server.api_url}/devices", headers=person.headers, timeout=10,
                          json={"user_id": person.id, "kind": "desktop",
                                "room_id": site.room["id"], "label": "desktop test"})
    assert response.status_code == 201, response.text
    device = response.json()
    config = ClientConfig(server_url=site.server.server_url, token=device["token"],
                          user_id=person.id, username=person.username, full_name=person.full_name,
                          office_id=person.office_id, roles=person.roles, device_id=device["id"],
                          room_id=site.room["id"])
    config.save(home)
    return config


async def eventually(check: Callable[[], object], timeout: float = 15, step: float = 0.05):
    """Wait until `check()` is truthy; return its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        await asyncio.sleep(step)


class Recorder:
    """Everything a running TryggClient told its application."""

    def __init__(self) -> None:
        self.states: list = []
        self.changes: list = []
        self.raises: list = []
        self.frames: list[dict] = []

    @property
    def state(self):
        return self.states[-1][0] if self.states else None

    def events(self, alarm_id: str | None = None) -> list[dict]:
        return [f for f in self.frames if f.get("type") == "event"
                and (alarm_id is None or f["alarm"]["id"] == alarm_id)]

    def event_types(self, alarm_id: str) -> list[str]:
        return [f["event"]["type"] for f in self.events(alarm_id)]

    def new_alarms(self, alarm_id: str) -> list:
        return [c for c in self.changes if c.is_new and c.alarm["id"] == alarm_id]


@pytest.fixture
async def start_client() -> AsyncIterator[Callable]:
    """Run TryggClients on the test's loop; `stop` one to play an application exit."""
    from trygg_client import TryggClient

    running: dict[int, asyncio.Task] = {}

    async def _start(config, home, *, consumer: str = "test", live: bool = True):
        rec = Recorder()
        client = TryggClient(config, home, consumer=consumer,
                             on_state=lambda s, r: rec.states.append((s, r)),
                             on_alarm=rec.changes.append, on_raise=rec.raises.append,
                             on_frame=rec.frames.append)
        running[id(client)] = asyncio.create_task(client.run(live=live))
        await asyncio.sleep(0)
        return client, rec

    async def stop(client) -> None:
        task = running.pop(id(client))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    _start.stop = stop
    yield _start
    for task in running.values():
        task.cancel()
    await asyncio.gather(*running.values(), return_exceptions=True)


@pytest.fixture
def _need_qt():
    """Skip (or fail, under TRYGG_TEST_REQUIRE_ALL=1) without PySide6. Not autouse: the desktop
    modules ask for it (`pytestmark`), the command-line tests never need Qt."""
    try:
        import trygg_desktop.app  # noqa: F401 (PySide6 and its system libraries)
    except ImportError as exc:
        skip_or_fail(f"the desktop tests need PySide6: {exc}")


@pytest.fixture
def desktop(_need_qt, qtbot, tmp_path):
    """Start desktop applications as people of a site; all are stopped at the end."""
    from trygg_desktop.app import DesktopApp

    started: list = []

    def _start(site, who: str, language: str = "nb"):
        home = tmp_path / f"{who}-{uuid.uuid4().hex[:4]}"
        app = DesktopApp(enroll_sync(site, site[who], home), home, language=language)
        for widget in (app.window, app.button, app.visit_warning):
            qtbot.addWidget(widget)
        app.start()
        started.append(app)
        return app

    yield _start
    for app in started:
        app.stop()
