"""What one raise and one resolve cost over REST: `trygg serve` on a fresh SQLite database,
alarms raised and resolved one after another on one keep-alive HTTP connection.

The requests are sent by the same helper process as in fanout.py (blocking I/O, one
keep-alive connection, `CLOCK_MONOTONIC`), so a response is read the moment it arrives. With
`--recipients K`, K WebSocket connections of a responder of the alarm's office are opened
first and every request waits until all K have its event, so the fan-out runs as well (and
the next request never overlaps it). Percentiles are nearest-rank. The server's CPU time per
alarm (raise and resolve, every thread, from /proc) is printed too: on a busy machine it
moves far less than the latencies do. Figures only, no verdict.

    .venv/bin/python bench/raise_cost.py                        # 200 alarms, no connections
    .venv/bin/python bench/raise_cost.py --alarms 500 --recipients 1000
"""

import argparse
import asyncio
import gc
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from fanout import fan_out, fmt, loop_factory, percentile, raise_fd_limit
from loadgen import Fleet, Raiser
from servers import CpuMeter, TryggServer, _proc_stat, process_tree


def cpu_ticks(pid: int) -> int:
    """User and system time of the process (all its threads) and its children, in ticks."""
    total = 0
    for p in process_tree(pid):
        if (fields := _proc_stat(p)) is not None:
            total += int(fields[11]) + int(fields[12])
    return total


async def run(target, args: argparse.Namespace, raiser: Raiser) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    fleet = Fleet(args.concurrency, open_timeout_s=60.0, tap=True)
    heartbeat = None
    times: dict[str, list[float]] = {"raise": [], "resolve": [], "fan-out": [], "cpu": []}
    try:
        if args.recipients:
            heartbeat = asyncio.create_task(fleet.heartbeat())
            await fleet.open(target.ws_url, target.recipient_token, args.recipients,
                             recipient=True)
            await asyncio.sleep(1.0)
        gc.collect()
        gc.freeze()
        gc.disable()
        meter = CpuMeter(process_tree(target.pid) + [os.getpid(), raiser.proc.pid])
        raiser.set_target(target.http_port, target.raiser_token)
        ticks = 0
        for n in range(args.warmup + args.alarms):
            if n == args.warmup:
                ticks = cpu_ticks(target.pid)
            alarm_id = str(uuid.uuid4())
            marker = alarm_id.encode()
            raised = await fan_out(fleet, raiser, args, marker, b"alarm.raised",
                                   "/api/v1/alarms", {"id": alarm_id, "level": "yellow"})
            resolved = await fan_out(fleet, raiser, args, marker, b"alarm.resolved",
                                     f"/api/v1/alarms/{alarm_id}/resolve", {})
            if raised is None or resolved is None:
                raise RuntimeError("a request failed")
            if n >= args.warmup:
                times["raise"].append(raised[0])
                times["resolve"].append(resolved[0])
                if args.recipients and raised[2] is not None:
                    times["fan-out"].append(raised[2])
            if args.gap_ms:
                await asyncio.sleep(args.gap_ms / 1000)
        used_ms = (cpu_ticks(target.pid) - ticks) * 1000 / os.sysconf("SC_CLK_TCK")
        times["cpu"] = [used_ms / max(1, args.alarms)]
        others = meter.others_cores()
        if others >= 0.1:
            print(f"BUSY MACHINE: other processes used {others:.1f} cores", flush=True)
    finally:
        if heartbeat is not None:
            heartbeat.cancel()
        await fleet.close()
        gc.unfreeze()
        gc.enable()
    return times


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Latency of POST /alarms and its resolve.")
    arg = parser.add_argument
    arg("--alarms", type=int, default=200, help="measured alarms (%(default)s)")
    arg("--warmup", type=int, default=10, help="unmeasured alarms first (%(default)s)")
    arg("--recipients", type=int, default=0,
        help="WebSocket connections that receive every event (%(default)s)")
    arg("--gap-ms", type=float, default=20.0,
        help="pause after each resolve (%(default)s); the dispatcher polls every 250 ms")
    arg("--concurrency", type=int, default=200, help="handshakes in flight at once")
    arg("--timeout", type=float, default=10.0, help="seconds per request or fan-out")
    arg("--trygg-command", default=None,
        help="how to run the trygg CLI (default: the trygg script next to this Python)")
    arg("--keep", action="store_true", help="keep the work directory and the server's log")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raiser = Raiser()
    raise_fd_limit(args.recipients + 256)
    command = (args.trygg_command.split() if args.trygg_command
               else [str(Path(sys.executable).parent / "trygg")])
    workdir = Path(tempfile.mkdtemp(prefix="trygg-raise-"))
    server = TryggServer(workdir, command)
    started = time.monotonic()
    try:
        target = server.start()
        with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
            times = runner.run(run(target, args, raiser))
    finally:
        server.stop()
        raiser.close()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{args.alarms} alarms (+{args.warmup} warm-up), {args.recipients} recipients, "
          f"{time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.2f}")
    print(f"{'ms':10} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    cpu = times.pop("cpu")
    for name, values in times.items():
        if values:
            print(f"{name:10} {fmt(percentile(values, 50), 2):>7} "
                  f"{fmt(percentile(values, 90), 2):>7} {fmt(percentile(values, 99), 2):>7} "
                  f"{fmt(max(values), 2):>7}")
    if cpu:
        print(f"server CPU time per raise and resolve, whole process: {cpu[0]:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
