"""deploy/nginx.conf in front of two real servers: REST, the WebSocket, and fail-over."""

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.cluster.stream import ResumingClient
from tests.cluster.test_cluster import raise_with_retry
from tests.conftest import free_port, skip_or_fail
from tests.helpers import make_org
from tests.process import wait_for_port

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


class Nginx:
    def __init__(self, tmp_path: Path, upstreams: list[int]) -> None:
        self.port = free_port()
        self.prefix = tmp_path / "nginx"
        (self.prefix / "logs").mkdir(parents=True)
        config = CONFIG.read_text()
        servers = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n"
                          for p in upstreams)
        config = re.sub(r"( +server trygg\d:8000[^\n]*\n)+", servers, config)
        config = config.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        config = config.replace("worker_processes auto;", "worker_processes 1;")
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(config)
        self.proc: subprocess.Popen | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("nginx"), "-p", str(self.prefix), "-c", str(self.conf),
             "-g", f"daemon off; pid {self.prefix / 'nginx.pid'}; error_log stderr;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await wait_for_port(self.port, self.proc, "nginx")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def nginx_available() -> None:
    if shutil.which("nginx") is None:
        skip_or_fail("the reverse-proxy test needs nginx (Debian package nginx-light)")


async def test_nginx_config_passes_rest_and_websocket_and_fails_over(
        nginx_available, pg_url, redis_url, cluster_factory, tmp_path):
    cluster = cluster_factory(pg_url, redis_url)
    procs = await cluster.start(2)
    nginx = Nginx(tmp_path, [p.port for p in procs])
    await nginx.start()
    try:
        front = f"http://127.0.0.1:{nginx.port}/api/v1"
        ws_url = f"ws://127.0.0.1:{nginx.port}/api/v1/ws"
        async with httpx.AsyncClient(base_url=front, timeout=10) as api:
            assert (await api.get("/health")).json()["database"] == "ok"
            org = await make_org(api, cluster.admin_token)
        clients = [ResumingClient([ws_url], org[name].token) for name in ("responder", "responder2")]
        for client in clients:
            await client.start()

        class Front:  # raise_with_retry takes processes; here every try goes through nginx
            api_url = front

        ids = [str(uuid.uuid4()) for _ in range(12)]
        for index, alarm_id in enumerate(ids):
            if index == 5:
                procs[0].kill()
            await raise_with_retry([Front], org["staff"], alarm_id)
        for client in clients:
            await client.wait_for_raised(set(ids), timeout=20)
            client.assert_in_order_without_duplicates()
            await client.stop()
    finally:
        nginx.stop()


async def test_a_client_cannot_choose_its_address_through_the_proxy(
        nginx_available, pg_url, redis_url, cluster_factory, tmp_path):
    """nginx says who the client is; a made-up X-Forwarded-For per guess gives no fresh
    address for the login throttle."""
    cluster = cluster_factory(pg_url, redis_url, TRYGG_LOGIN_MAX_FAILURES_PER_ADDRESS="3")
    procs = await cluster.start(1)
    nginx = Nginx(tmp_path, [p.port for p in procs])
    await nginx.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{nginx.port}/api/v1",
                                     timeout=10) as api:
            statuses = []
            for i in range(4):
                response = await api.post(
                    "/auth/login", json={"username": f"nobody-{i}", "password": "wrong-guess-1"},
                    headers={"X-Forwarded-For": f"10.0.0.{i + 1}"})
                statuses.append(response.status_code)
        assert statuses == [401, 401, 401, 429]
    finally:
        nginx.stop()
