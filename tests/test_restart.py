"""A real `trygg serve` process, killed with SIGKILL and started again."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import WsClient, make_org, raise_alarm

TRYGG = str(Path(sys.executable).with_name("trygg"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(self, database_url: str, data_dir: Path, secret: str) -> None:
        self.port = free_port()
        self.env = {**os.environ, "TRYGG_DATABASE_URL": database_url,
                    "TRYGG_DATA_DIR": str(data_dir), "TRYGG_SECRET_KEY": secret,
                    "TRYGG_HEARTBEAT_INTERVAL_S": "2"}
        self.log = data_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([TRYGG, "serve", "--port", str(self.port)],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
                try:
                    if (await client.get(f"{self.api_url}/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
async def process(server, database_url, tmp_path):
    proc = ServerProcess(database_url, tmp_path, server.settings.secret_key)
    await proc.start()
    yield proc
    proc.kill()


async def test_alarm_acknowledged_with_201_survives_sigkill(process, admin_token):
    async with httpx.AsyncClient(base_url=process.api_url, timeout=10) as api:
        org = await make_org(api, admin_token)
        response = await raise_alarm(api, org["staff"], level="red", room_id=org.room["id"])
        assert response.status_code == 201
        process.kill()
        await process.start()
        stored = await api.get(f"/alarms/{response.json()['id']}", headers=org["staff"].headers)
        assert stored.status_code == 200
        assert stored.json()["level"] == "red"
        assert [e["type"] for e in stored.json()["events"]] == ["alarm.raised"]


async def test_listener_resumes_across_a_server_restart_with_no_gap(process, admin_token):
    async with httpx.AsyncClient(base_url=process.api_url, timeout=10) as api:
        org = await make_org(api, admin_token)
        listener = await WsClient.connect(process.ws_url, org["responder"].token)
        await listener.wait_hello()
        first = (await raise_alarm(api, org["staff"])).json()
        last_seen = (await listener.event("alarm.raised"))["seq"]

        process.kill()
        assert await listener.closed_code(timeout=5) is not None
        await process.start()
        # Missed while the listener was away:
        await api.post(f"/alarms/{first['id']}/acknowledge", json={},
                       headers=org["responder2"].headers)
        second = (await raise_alarm(api, org["staff"], level="red")).json()

        again = await WsClient.connect(process.ws_url, org["responder"].token)
        await again.wait_hello()
        await again.send({"type": "resume", "after_seq": last_seen})
        frames = await again.events_for(1.5)
        got = [(f["alarm"]["id"], f["event"]["type"]) for f in frames]
        assert got == [(first["id"], "alarm.acknowledged"), (second["id"], "alarm.raised")]
        await again.close()
