"""Several real `trygg serve` processes on one PostgreSQL and one Redis."""

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import PG_URL, create_pg_database, drop_pg_database, free_port, skip_or_fail
from tests.process import ServerProcess, wait_for_port

REDIS_URL = os.environ.get("TRYGG_TEST_REDIS_URL")
SECRET = "cluster-secret-key-" + "z" * 32
ADMIN = ("clusteradmin", "admin-password-1")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (its own, so its dispatchers are the only ones on it)."""
    if not PG_URL:
        skip_or_fail("cluster tests need PostgreSQL: set TRYGG_TEST_DATABASE_URL")
    url = await create_pg_database(PG_URL)
    yield url
    await drop_pg_database(url)


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        skip_or_fail("cluster tests need Redis: set TRYGG_TEST_REDIS_URL "
                     "(e.g. redis://127.0.0.1:6379/0)")
    separator = "&" if "?" in REDIS_URL else "?"
    return f"{REDIS_URL}{separator}channel=trygg-test-{uuid.uuid4().hex[:8]}"


class Cluster:
    def __init__(self, database_url: str, bus_url: str, tmp_path, **env: str) -> None:
        self.database_url = database_url
        self.bus_url = bus_url
        self.tmp_path = tmp_path
        self.env = env
        self.processes: list[ServerProcess] = []
        self.admin_token = ""

    async def start(self, count: int) -> list[ServerProcess]:
        started = []
        for index in range(count):
            data = self.tmp_path / f"node{len(self.processes)}"
            data.mkdir()
            proc = ServerProcess(self.database_url, data, SECRET, TRYGG_BUS_URL=self.bus_url,
                                 **self.env)
            if not self.processes and index == 0:
                await asyncio.to_thread(proc.cli, "db", "upgrade")
                await asyncio.to_thread(proc.cli, "user", "create", ADMIN[0], "--password",
                                        ADMIN[1], "--role", "admin")
            self.processes.append(proc)
            started.append(proc)
        await asyncio.gather(*(p.start() for p in started))
        if not self.admin_token:
            async with httpx.AsyncClient(base_url=started[0].api_url) as api:
                login = await api.post("/auth/login",
                                       json={"username": ADMIN[0], "password": ADMIN[1]})
                self.admin_token = login.json()["access_token"]
        return started

    def stop(self) -> None:
        for proc in self.processes:
            proc.kill()


@pytest.fixture
async def cluster_factory(tmp_path) -> AsyncIterator:
    clusters: list[Cluster] = []

    def make(database_url: str, bus_url: str, **env: str) -> Cluster:
        cluster = Cluster(database_url, bus_url, tmp_path, **env)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.stop()


class PrivateRedis:
    """A redis-server of this test's own, so the test can stop and restart it."""

    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await wait_for_port(self.port, self.proc, "redis-server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
async def private_redis(tmp_path) -> AsyncIterator[PrivateRedis]:
    if not REDIS_URL:
        skip_or_fail("cluster tests need Redis: set TRYGG_TEST_REDIS_URL")
    if shutil.which("redis-server") is None:
        skip_or_fail("the Redis restart test needs the redis-server program")
    redis = PrivateRedis(tmp_path)
    await redis.start()
    yield redis
    redis.stop()
