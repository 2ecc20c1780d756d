"""Real databases (SQLite file, and PostgreSQL where TRYGG_TEST_DATABASE_URL points at one),
migrated through Alembic, and a real uvicorn server on a free port.

Every test makes its own offices and users, so tests share one server per database.
Set TRYGG_TEST_REQUIRE_ALL=1 (CI does) to turn a skip for a missing service into a failure.
"""

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from app import migrations
from app.cli import UVICORN_OPTIONS
from app.config import Settings
from app.main import create_app
from tests.helpers import Org, WsClient, make_org
from tests.twilio_fake import FakeTwilio

REQUIRE_ALL = os.environ.get("TRYGG_TEST_REQUIRE_ALL") == "1"
PG_URL = os.environ.get("TRYGG_TEST_DATABASE_URL")
ADMIN_PASSWORD = "admin-password-1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (TRYGG_TEST_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


async def create_pg_database(base_url: str) -> str:
    """A fresh, empty PostgreSQL database; returns its async URL."""
    url = make_url(base_url)
    name = f"trygg_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database or "postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(db_url: str) -> None:
    url = make_url(db_url)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def new_database(request, tmp_path_factory) -> AsyncIterator:
    """Makes fresh, migrated databases of one kind (each test session drops its PostgreSQL ones)."""
    created: list[str] = []
    if request.param == "postgresql" and not PG_URL:
        skip_or_fail("PostgreSQL tests need TRYGG_TEST_DATABASE_URL "
                     "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres)")

    async def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'trygg.db'}"
        else:
            try:
                url = await create_pg_database(PG_URL)
            except (OSError, asyncpg.PostgresError) as exc:
                skip_or_fail(f"PostgreSQL at TRYGG_TEST_DATABASE_URL is not reachable: {exc}")
            created.append(url)
        await migrations.upgrade_async(url)
        return url

    yield make
    for url in created:
        await drop_pg_database(url)


@pytest.fixture(scope="session")
async def database_url(new_database) -> str:
    """The database the shared test server runs on."""
    return await new_database()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, settings: Settings, port: int = 0, *,
                 ws: str = UVICORN_OPTIONS["ws"]) -> None:
        self.settings = settings
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning",
                                ws=ws, ws_per_message_deflate=False,
                                ws_max_size=UVICORN_OPTIONS["ws_max_size"],
                                lifespan="on", proxy_headers=True,
                                forwarded_allow_ips=settings.forwarded_allow_ips)
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task | None = None
        self.port = 0

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v1"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"


def server_settings(database_url: str, data_dir, **overrides) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir, bus_url="memory://",
                    secret_key="test-secret-key-" + "x" * 32, **overrides)


@pytest.fixture(scope="session")
async def server(database_url, tmp_path_factory) -> AsyncIterator[LiveServer]:
    live = LiveServer(server_settings(database_url, tmp_path_factory.mktemp("data"),
                                    heartbeat_interval_s=2))
    await live.start()
    yield live
    await live.stop()


async def create_admin_token(server: LiveServer) -> str:
    """Store a new admin in the server's database and log in as them over REST."""
    from app.auth import service as auth_service
    from app.auth.schemas import UserCreate

    username = f"admin-{uuid.uuid4().hex[:6]}"
    async with server.app.state.sessionmaker() as session:
        await auth_service.create_user(session, payload=UserCreate(
            username=username, password=ADMIN_PASSWORD, full_name="Test Admin", roles=["admin"]))
        await session.commit()
    async with httpx.AsyncClient(base_url=server.api_url) as client:
        response = await client.post("/auth/login",
                                     json={"username": username, "password": ADMIN_PASSWORD})
        response.raise_for_status()
        return response.json()["access_token"]


@pytest.fixture(scope="session")
async def admin_token(server: LiveServer) -> str:
    return await create_admin_token(server)


@pytest.fixture
async def api(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    # Generous: making an organisation hashes 14 passwords, slow on a crowded machine.
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
async def org(server: LiveServer, admin_token: str) -> Org:
    """Two offices; the first with a user of every role (and a second responder).
    Shared by the tests of one module; tests that count people online use `fresh_org`."""
    async with httpx.AsyncClient(base_url=server.api_url, timeout=60) as client:
        return await make_org(client, admin_token)


@pytest.fixture
async def fresh_org(api: httpx.AsyncClient, admin_token: str) -> Org:
    return await make_org(api, admin_token)


@pytest.fixture
async def connect(server: LiveServer) -> AsyncIterator:
    """Open real WebSocket connections; all are closed when the test ends."""
    clients: list[WsClient] = []

    async def _connect(token: str | None, *, header: bool = True, hello: bool = True,
                       heartbeat: bool = True) -> WsClient:
        client = await WsClient.connect(server.ws_url, token, header=header, heartbeat=heartbeat)
        clients.append(client)
        if hello:
            await client.wait_hello()
        return client

    yield _connect
    for client in clients:
        await client.close()


@pytest.fixture(scope="session")
def twilio() -> FakeTwilio:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def fake(twilio: FakeTwilio) -> FakeTwilio:
    """The stand-in, emptied for this test; every request must follow Twilio's API."""
    twilio.reset()
    yield twilio
    assert twilio.violations == []
