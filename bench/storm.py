"""Scenario e, the reconnect storm: N clients connected to `trygg serve`; the server restarts,
an alarm is raised while they are away, and all N reconnect at once with `resume`. Measured: the
time from the first reconnect to the last client holding both its `hello` and the missed
`alarm.raised`, against the time the baseline server takes to open N connections (to `hello`).

With `--servers trygg-cluster` the same storm runs against `--processes` `trygg serve`
processes on one fresh PostgreSQL database with the Redis bus: the clients are spread evenly
over the processes, all of them restart (all stopped, then all started), the alarm is raised on
the first, and every client reconnects to the process it was on. When both kinds ran, the
cluster's storm is also given as a ratio to the one-process storm of the same run.

    .venv/bin/python bench/storm.py [--clients 10000] [--concurrency 1000]
    .venv/bin/python bench/storm.py --servers trygg,trygg-cluster [--processes 2]
"""

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from servers import (
    BaselineServer,
    ServerFailed,
    TryggClusterServer,
    TryggServer,
    api,
    expect,
)
from websockets.asyncio.client import connect

STORM_TARGET_S = 15.0
BASELINE_RATIO_TARGET = 2.0
CLUSTER_RATIO_TARGET = 1.2  # the cluster's storm against the one-process storm


def spread(urls: tuple[str, ...], count: int) -> list[str]:
    """`count` URLs, the processes' in turn, so each process gets an even share."""
    return [urls[i % len(urls)] for i in range(count)]


async def open_all(urls: list[str], token: str, concurrency: int) -> tuple[float, list]:
    """Open one connection per URL (at most `concurrency` handshakes at a time) and wait for
    each one's hello. Returns the seconds taken and the (connection, hello seq) pairs."""
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> tuple:
        async with gate:
            ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                               compression=None, open_timeout=120, ping_interval=None,
                               max_queue=None)
            hello = json.loads(await ws.recv())
            return ws, hello.get("seq", 0)

    started = time.monotonic()
    conns = await asyncio.gather(*(one(url) for url in urls))
    return time.monotonic() - started, conns


async def storm(plan: list[tuple[str, int]], token: str, marker: str, concurrency: int) -> float:
    """Every client reconnects to its URL, resumes after the seq it last saw and waits for the
    missed alarm. Returns the seconds from the start to the last client having it."""
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str, after: int) -> None:
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
    await asyncio.gather(*(one(url, after) for url, after in plan))
    return time.monotonic() - started


async def baseline_opening(workdir: Path, clients: int, concurrency: int) -> float:
    server = BaselineServer(workdir)
    target = server.start()
    try:
        seconds, conns = await open_all([target.ws_url] * clients, target.recipient_token,
                                        concurrency)
        await asyncio.gather(*(ws.close() for ws, _ in conns))
    finally:
        server.stop()
    return seconds


async def restart_storm(server: TryggServer, clients: int, concurrency: int) -> tuple[float, float]:
    """Open the clients (spread over the server's processes), restart every process, raise an
    alarm on the first, and time the storm. Returns (seconds to open, seconds of the storm)."""
    target = server.start()
    try:
        urls = spread(target.ws_urls or (target.ws_url,), clients)
        open_s, conns = await open_all(urls, target.recipient_token, concurrency)
        plan = [(url, seq) for url, (_, seq) in zip(urls, conns, strict=True)]
        # SIGTERM to every process: each closes its connections on the way down. In a thread,
        # so the clients answer the close handshakes meanwhile.
        await asyncio.to_thread(server.halt)
        await asyncio.gather(*(ws.wait_closed() for ws, _ in conns))
        del conns
        server.relaunch()
        marker = str(uuid.uuid4())
        expect(api(target.http_port, "POST", "/api/v1/alarms",
                   {"id": marker, "level": "yellow"}, target.raiser_token))
        return open_s, await storm(plan, target.recipient_token, marker, concurrency)
    finally:
        server.stop()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1_000)
    parser.add_argument(
        "--servers", default="trygg",
        help="comma-separated, run in this order after the baseline: trygg (one process, "
             "SQLite), trygg-cluster (--processes processes on PostgreSQL and Redis) "
             "(default: %(default)s)")
    parser.add_argument("--processes", type=int, default=2,
                        help="for trygg-cluster (%(default)s)")
    parser.add_argument(
        "--database-url", default=os.environ.get(
            "TRYGG_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
        help="for trygg-cluster: a PostgreSQL URL whose server gets a fresh database "
             "(default: $TRYGG_BENCH_DATABASE_URL or %(default)s)")
    parser.add_argument(
        "--redis-url", default=os.environ.get("TRYGG_BENCH_REDIS_URL",
                                              "redis://127.0.0.1:6379/0"),
        help="for trygg-cluster: the Redis bus (default: $TRYGG_BENCH_REDIS_URL or %(default)s)")
    parser.add_argument("--trygg-command", default=str(Path(sys.executable).parent / "trygg"))
    args = parser.parse_args()
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(servers) - {"trygg", "trygg-cluster"}
    if unknown or not servers:
        parser.error(f"--servers takes trygg and/or trygg-cluster, not {args.servers!r}")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gc.disable()
    command = args.trygg_command.split()
    failed = False
    print(f"{args.clients} clients, {args.concurrency} handshakes at a time", flush=True)
    with tempfile.TemporaryDirectory(prefix="trygg-storm-") as tmp:
        base_s = await baseline_opening(Path(tmp), args.clients, args.concurrency)
        print(f"  baseline: opened in {base_s:.1f} s", flush=True)
        one_process_s: float | None = None
        for name in servers:
            workdir = Path(tmp) / name
            workdir.mkdir()
            server: TryggServer
            if name == "trygg-cluster":
                server = TryggClusterServer(
                    workdir, command, None, processes=args.processes,
                    database_url=args.database_url, redis_url=args.redis_url)
            else:
                server = TryggServer(workdir, command)
            label = f"{server.label}:"
            try:
                open_s, storm_s = await restart_storm(server, args.clients, args.concurrency)
            except (ServerFailed, OSError, AssertionError, TimeoutError,
                    subprocess.CalledProcessError) as exc:
                failed = True
                print(f"  {label:9} ERROR {type(exc).__name__}: {exc}", flush=True)
                continue
            line = f"  {label:9} opened in {open_s:.1f} s"
            if name == "trygg-cluster":
                line += (f" (spread over {args.processes} processes); after all "
                         f"{args.processes} restarted")
            else:
                line += "; after a restart"
            line += (f", all had hello and the missed alarm in {storm_s:.1f} s = "
                     f"{storm_s / base_s:.2f}x the baseline's opening (target <= "
                     f"{BASELINE_RATIO_TARGET:g}x and <= {STORM_TARGET_S:g} s)")
            if name == "trygg":
                one_process_s = storm_s
            elif one_process_s:
                line += (f"; {storm_s / one_process_s:.2f}x the one-process storm (target <= "
                         f"{CLUSTER_RATIO_TARGET:g}x)")
            print(line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
