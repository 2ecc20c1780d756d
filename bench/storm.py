"""Scenario e, the reconnect storm: N clients connected to `trygg serve`; the server restarts,
an alarm is raised while they are away, and all N reconnect at once with `resume`. Measured: the
time from the first reconnect to the last client holding both its `hello` and the missed
`alarm.raised`, against the time the baseline server takes to open N connections (to `hello`).

    .venv/bin/python bench/storm.py [--clients 10000] [--concurrency 1000]
"""

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

from servers import BaselineServer, TryggServer, api, expect
from websockets.asyncio.client import connect


async def open_all(url: str, token: str, count: int, concurrency: int) -> tuple[float, list]:
    """Open `count` connections (at most `concurrency` handshakes at a time) and wait for each
    one's hello. Returns the seconds taken and the (connection, hello seq) pairs."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> tuple:
        async with gate:
            ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                               compression=None, open_timeout=120, ping_interval=None,
                               max_queue=None)
            hello = json.loads(await ws.recv())
            return ws, hello.get("seq", 0)

    started = time.monotonic()
    conns = await asyncio.gather(*(one() for _ in range(count)))
    return time.monotonic() - started, conns


async def storm(url: str, token: str, seqs: list[int], marker: str, concurrency: int) -> float:
    """Every client reconnects, resumes after the seq it last saw and waits for the missed
    alarm. Returns the seconds from the start to the last client having it."""
    gate = asyncio.Semaphore(concurrency)

    async def one(after: int) -> None:
        async with gate:
            ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                               compression=None, open_timeout=120, ping_interval=None)
        try:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            await ws.send(json.dumps({"type": "resume", "after_seq": after}))
            async with asyncio.timeout(120):
                while marker not in await ws.recv():
                    pass
        finally:
            await ws.close()

    started = time.monotonic()
    await asyncio.gather(*(one(s) for s in seqs))
    return time.monotonic() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1_000)
    parser.add_argument("--trygg-command", default=str(Path(sys.executable).parent / "trygg"))
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gc.disable()
    with tempfile.TemporaryDirectory(prefix="trygg-storm-") as tmp:
        base = BaselineServer(Path(tmp))
        target = base.start()
        try:
            base_s, conns = await open_all(target.ws_url, target.recipient_token, args.clients,
                                           args.concurrency)
            await asyncio.gather(*(ws.close() for ws, _ in conns))
        finally:
            base.stop()
        del conns

        server = TryggServer(Path(tmp), args.trygg_command.split())
        target = server.start()
        port = target.http_port
        open_s, conns = await open_all(target.ws_url, target.recipient_token, args.clients,
                                       args.concurrency)
        seqs = [seq for _, seq in conns]
        server.stop()  # SIGTERM: the server closes every connection on its way down
        await asyncio.gather(*(ws.wait_closed() for ws, _ in conns))
        del conns
        server._spawn(server.command + ["serve", "--host", "127.0.0.1", "--port", str(port)],
                      server_env(server, tmp))
        server._wait_healthy(port)
        marker = str(uuid.uuid4())
        expect(api(port, "POST", "/api/v1/alarms", {"id": marker, "level": "yellow"},
                   target.raiser_token))
        try:
            storm_s = await storm(target.ws_url, target.recipient_token, seqs, marker,
                                  args.concurrency)
        finally:
            server.stop()
    print(f"{args.clients} clients, {args.concurrency} handshakes at a time")
    print(f"  baseline: opened in {base_s:.1f} s")
    print(f"  trygg:    opened in {open_s:.1f} s; after a restart, all had hello and the missed "
          f"alarm in {storm_s:.1f} s = {storm_s / base_s:.2f}x the baseline's opening "
          f"(target <= 2x and <= 15 s)")


def server_env(server: TryggServer, tmp: str) -> dict[str, str]:
    data_dir = Path(tmp) / "trygg-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
    env.update(TRYGG_DATA_DIR=str(data_dir),
               TRYGG_DATABASE_URL=f"sqlite+aiosqlite:///{data_dir / 'trygg.db'}")
    env.update(server.extra_env)
    return env


if __name__ == "__main__":
    asyncio.run(main())
