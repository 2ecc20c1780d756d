"""A real `trygg serve` process that tests can kill with SIGKILL and start again."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import free_port

TRYGG = str(Path(sys.executable).with_name("trygg"))


class ServerProcess:
    def __init__(self, database_url: str, data_dir: Path, secret: str, **env: str) -> None:
        self.port = free_port()
        self.env = {**os.environ, "TRYGG_DATABASE_URL": database_url,
                    "TRYGG_DATA_DIR": str(data_dir), "TRYGG_SECRET_KEY": secret,
                    "TRYGG_HEARTBEAT_INTERVAL_S": "2", **env}
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
            for _ in range(600):  # a minute: start-up is slow on a crowded machine
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



    def cli(self, *args: str) -> str:
        """Run a `trygg` command against this server's database."""
        done = subprocess.run([TRYGG, *args], env=self.env, capture_output=True, text=True,
                              timeout=60, check=True)
        return done.stdout.strip()


async def wait_for_port(port: int, proc: subprocess.Popen, what: str) -> None:
    """Wait until `proc` listens on 127.0.0.1:`port`; fail if it exits or takes over 5 s."""
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}") from None
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{what} did not start")
