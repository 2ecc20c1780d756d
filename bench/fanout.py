"""Alarm fan-out benchmark: how fast does `alarm.raised` reach every connected responder?

The script is the load generator. For each scenario it starts a server as a subprocess (the
minimal baseline in bench/baseline_server.py, then the real `trygg serve`), opens WebSocket
connections as responders of one office (the recipients) and idle connections of another office,
raises alarms one after another and measures, per alarm:

- fan-out: from sending `POST /api/v1/alarms` to the *last* recipient connection receiving its
  `alarm.raised` event;
- POST: the request's own latency, sent on a keep-alive connection from a helper process so
  that the generator's busy event loop does not delay reading the response;
- memory: the server's resident memory (VmRSS of the server and its children) before and after
  opening the idle connections, divided by their count.

Every alarm is resolved after it has been measured (and the resolve's fan-out waited for), so
no escalation timer fires during the run. All traffic stays on 127.0.0.1 and every loop is
bounded: the run stops by itself.

    .venv/bin/python bench/fanout.py                 # scenarios a, b, c against both servers
    .venv/bin/python bench/fanout.py --quick         # smaller sizes, a couple of minutes
    .venv/bin/python bench/fanout.py --scenario c --servers trygg
    .venv/bin/python bench/fanout.py --scenario custom --recipients 500 --idle 0 --alarms 50
"""

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loadgen import Fleet, Raiser, Watch
from servers import (
    BaselineServer,
    CpuMeter,
    ServerFailed,
    ServerProcess,
    Target,
    TryggClusterServer,
    TryggServer,
    process_tree,
    rss_kib,
)


@dataclass(frozen=True)
class Scenario:
    name: str
    recipients: int
    idle: int
    title: str
    p99_ratio_target: float | None = None  # fan-out p99, real server / baseline
    p99_ms_target: float | None = None  # fan-out p99, real server, absolute


SCENARIOS = {
    "a": Scenario("a", 1_000, 2_000, "1,000 recipients + 2,000 idle", p99_ratio_target=1.3),
    "b": Scenario("b", 10_000, 0, "10,000 recipients", p99_ratio_target=1.5),
    "c": Scenario("c", 20, 5_000, "20 recipients among 5,000 idle", p99_ms_target=10.0),
    # For several processes (--servers trygg-cluster): an office of recipients and as many
    # idle clients as the machine holds, spread over the processes.
    "d": Scenario("d", 1_000, 10_000, "1,000 recipients + 10,000 idle"),
}
QUICK_SIZES = {"a": (200, 400), "b": (2_000, 0), "c": (20, 1_000), "d": (200, 1_000)}
MEMORY_TARGET_KIB = 24.0
POST_P99_TARGET_MS = 15.0


@dataclass
class Result:
    scenario: str
    server: str
    recipients: int
    idle: int
    alarms: int = 0
    fanout_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    incomplete: int = 0  # alarms not seen by every recipient within the timeout
    failed_posts: int = 0
    idle_hits: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    other_cpu: float | None = None  # cores used by other processes while alarms were raised
    open_s: float = 0.0
    rss_start_kib: int = 0
    rss_recipients_kib: int = 0
    rss_idle_kib: int = 0
    error: str | None = None

    @property
    def kib_per_idle(self) -> float | None:
        if not self.idle or not self.rss_idle_kib:
            return None
        return (self.rss_idle_kib - self.rss_recipients_kib) / self.idle

    @property
    def kib_per_recipient(self) -> float | None:
        if not self.recipients or not self.rss_recipients_kib:
            return None
        return (self.rss_recipients_kib - self.rss_start_kib) / self.recipients


async def settle_rss(pid: int, settle_s: float) -> int:
    """Wait for the server to finish the work that opening connections gave it, then read RSS."""
    await asyncio.sleep(settle_s)
    return rss_kib(pid)


async def open_spread(fleet: Fleet, target: Target, token: str, count: int,
                      recipient: bool) -> None:
    """Open `count` connections, spread evenly over the target's processes."""
    urls = target.ws_urls or (target.ws_url,)
    for index, url in enumerate(urls):
        share = count // len(urls) + (1 if index < count % len(urls) else 0)
        await fleet.open(url, token, share, recipient=recipient)


async def measure(target: Target, scenario: Scenario, args: argparse.Namespace,
                  raiser: Raiser) -> Result:
    result = Result(scenario.name, target.label, scenario.recipients, scenario.idle)
    fleet = Fleet(args.concurrency, args.open_timeout, tap=args.receive == "tap")
    heartbeat: asyncio.Task[None] | None = None
    gc_was_enabled = gc.isenabled()
    try:
        result.rss_start_kib = rss_kib(target.pid)
        if args.heartbeat:
            heartbeat = asyncio.create_task(fleet.heartbeat())
        started = time.monotonic()
        await open_spread(fleet, target, target.recipient_token, scenario.recipients, True)
        result.open_s = time.monotonic() - started
        result.rss_recipients_kib = await settle_rss(target.pid, args.settle)
        if scenario.idle:
            started = time.monotonic()
            await open_spread(fleet, target, target.idle_token, scenario.idle, False)
            result.open_s += time.monotonic() - started
            result.rss_idle_kib = await settle_rss(target.pid, args.settle)

        # The collector's pauses would otherwise dominate the tail of the receive times.
        gc.collect()
        gc.freeze()
        gc.disable()
        meter = CpuMeter(process_tree(target.pid) + [os.getpid(), raiser.proc.pid])

        raiser.set_target(target.http_port, target.raiser_token)
        for n in range(args.warmup + args.alarms):
            alarm_id = str(uuid.uuid4())
            marker = alarm_id.encode()
            raised = await fan_out(fleet, raiser, args, marker, b"alarm.raised",
                                   "/api/v1/alarms", {"id": alarm_id, "level": "yellow"})
            if raised is None:
                result.failed_posts += 1
                if result.failed_posts >= 3:
                    raise RuntimeError("three POST /alarms failed; giving up")
                continue
            resolved = await fan_out(fleet, raiser, args, marker, b"alarm.resolved",
                                     f"/api/v1/alarms/{alarm_id}/resolve", {})
            if n >= args.warmup:
                post_ms, first_ms, last_ms = raised
                result.alarms += 1
                result.post_ms.append(post_ms)
                if last_ms is None:
                    result.incomplete += 1
                else:
                    result.fanout_ms.append(last_ms)
                    result.first_ms.append(first_ms)
            if resolved is None:
                result.failed_posts += 1
            await asyncio.sleep(args.gap_ms / 1000)
        result.other_cpu = meter.others_cores()
    except Exception as exc:  # noqa: BLE001 - one failed run must not hide the others' figures
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        result.idle_hits = fleet.idle_hits
        result.dropped = dict(fleet.dropped)
        if heartbeat is not None:
            heartbeat.cancel()
        await fleet.close()
        gc.unfreeze()
        if gc_was_enabled:
            gc.enable()
        gc.collect()
    return result


async def fan_out(fleet: Fleet, raiser: Raiser, args: argparse.Namespace, marker: bytes,
                  kind: bytes, path: str, body: dict[str, Any]
                  ) -> tuple[float, float | None, float | None] | None:
    """Send one request and wait for its event at every recipient. Returns the request's latency
    and the first and last arrival after the send (None if some recipient missed it), in ms;
    None if the request failed."""
    # A recipient the server has closed cannot receive: it is reported, not waited for.
    watch = Watch(marker, kind, len(fleet.recipients), len(fleet.recipients_open))
    fleet.watch = watch
    try:
        t0, t1, status, detail = await raiser.request("POST", path, body, args.timeout)
        if status not in (200, 201):
            print(f"  {path} -> {status} {detail}", file=sys.stderr, flush=True)
            return None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watch.done.wait(), args.timeout)
    finally:
        fleet.watch = None
    post_ms = (t1 - t0) / 1e6
    if watch.count < watch.expected:
        return post_ms, None, None
    return post_ms, (watch.first - t0) / 1e6, (watch.last - t0) / 1e6


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(results: list[Result]) -> None:
    header = (
        f"{'':2} {'server':9} {'recip':>6} {'idle':>6} {'alarms':>6} "
        f"{'fan-out p50':>11} {'p99':>7} {'max':>7} {'first p50':>9} "
        f"{'POST p50':>8} {'p99':>6} {'KiB/idle':>8} {'KiB/recip':>9}  notes"
    )
    print()
    print("Times in ms. fan-out: POST sent -> last recipient has alarm.raised.")
    print(header)
    print("-" * len(header))
    for r in results:
        notes = []
        if r.error:
            notes.append(r.error)
        if r.incomplete:
            notes.append(f"{r.incomplete} incomplete")
        if r.failed_posts:
            notes.append(f"{r.failed_posts} failed POSTs")
        if r.idle_hits:
            notes.append(f"{r.idle_hits} frames leaked to idle office")
        if r.dropped:
            codes = ", ".join(f"{n} x {code}" for code, n in sorted(r.dropped.items()))
            notes.append(f"connections lost (close code): {codes}")
        if r.open_s:
            notes.append(f"opened in {r.open_s:.1f} s")
        if r.other_cpu is not None and r.other_cpu >= 0.1:
            notes.append(f"BUSY MACHINE: others used {r.other_cpu:.1f} cores")
        print(
            f"{r.scenario:2} {r.server:9} {r.recipients:>6} {r.idle:>6} {r.alarms:>6} "
            f"{fmt(percentile(r.fanout_ms, 50)):>11} {fmt(percentile(r.fanout_ms, 99)):>7} "
            f"{fmt(max(r.fanout_ms) if r.fanout_ms else None):>7} "
            f"{fmt(percentile(r.first_ms, 50)):>9} "
            f"{fmt(percentile(r.post_ms, 50)):>8} {fmt(percentile(r.post_ms, 99)):>6} "
            f"{fmt(r.kib_per_idle):>8} {fmt(r.kib_per_recipient):>9}  {'; '.join(notes)}"
        )


def print_targets(results: list[Result], scenarios: list[Scenario]) -> None:
    by_key = {(r.scenario, r.server): r for r in results}
    lines = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for sc in scenarios:
        trygg, base = by_key.get((sc.name, "trygg")), by_key.get((sc.name, "baseline"))
        if trygg is None or not trygg.fanout_ms:
            continue
        p99 = percentile(trygg.fanout_ms, 99)
        assert p99 is not None
        if sc.p99_ratio_target and base is not None and base.fanout_ms:
            base_p99 = percentile(base.fanout_ms, 99)
            assert base_p99 is not None
            ratio = p99 / base_p99
            lines.append(f"{sc.name}: fan-out p99 {p99:.1f} ms = {ratio:.2f}x baseline "
                         f"{base_p99:.1f} ms (target <= {sc.p99_ratio_target}x): "
                         f"{verdict(ratio <= sc.p99_ratio_target)}")
        if sc.p99_ms_target:
            lines.append(f"{sc.name}: fan-out p99 {p99:.1f} ms (target < {sc.p99_ms_target:.0f} ms): "
                         f"{verdict(p99 < sc.p99_ms_target)}")
        if trygg.kib_per_idle is not None:
            lines.append(f"{sc.name}: {trygg.kib_per_idle:.1f} KiB per idle connection "
                         f"(target <= {MEMORY_TARGET_KIB:.0f}): "
                         f"{verdict(trygg.kib_per_idle <= MEMORY_TARGET_KIB)}")
        post_p99 = percentile(trygg.post_ms, 99)
        if post_p99 is not None:
            lines.append(f"{sc.name}: POST /alarms p99 {post_p99:.1f} ms "
                         f"(target < {POST_P99_TARGET_MS:.0f}): "
                         f"{verdict(post_p99 < POST_P99_TARGET_MS)}")
    if lines:
        print()
        print("Targets (trygg):")
        for line in lines:
            print("  " + line)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Alarm fan-out benchmark: trygg against a minimal baseline server."
    )
    arg = parser.add_argument
    arg("--scenario", choices=("all", "a", "b", "c", "d", "custom"), default="all",
        help="a: 1,000 recipients + 2,000 idle; b: 10,000 recipients; c: 20 recipients among "
             "5,000 idle; d: 1,000 recipients + 10,000 idle (for trygg-cluster); custom: "
             "--recipients/--idle (default: %(default)s)")
    arg("--quick", action="store_true",
        help="smaller sizes (a: 200+400, b: 2,000, c: 20+1,000) and 50 alarms per run")
    arg("--recipients", type=int, default=100, help="for --scenario custom (%(default)s)")
    arg("--idle", type=int, default=0, help="for --scenario custom (%(default)s)")
    arg("--servers", default="baseline,trygg",
        help="comma-separated, run in this order: baseline, trygg (one process, SQLite), "
             "trygg-cluster (--processes processes on PostgreSQL and Redis) "
             "(default: %(default)s)")
    arg("--processes", type=int, default=2, help="for trygg-cluster (%(default)s)")
    arg("--database-url", default=os.environ.get(
        "TRYGG_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
        help="for trygg-cluster: a PostgreSQL URL whose server gets a fresh database")
    arg("--redis-url", default=os.environ.get("TRYGG_BENCH_REDIS_URL",
                                              "redis://127.0.0.1:6379/0"),
        help="for trygg-cluster: the Redis bus")
    arg("--alarms", type=int, default=None,
        help="measured alarms per run (default: 200, or 50 with --quick)")
    arg("--warmup", type=int, default=5, help="unmeasured alarms first (%(default)s)")
    arg("--gap-ms", type=float, default=20.0,
        help="pause after each alarm's resolve has reached every recipient (%(default)s)")
    arg("--concurrency", type=int, default=200,
        help="WebSocket handshakes in flight at once (%(default)s)")
    arg("--timeout", type=float, default=10.0,
        help="seconds to wait for a response or a fan-out (%(default)s)")
    arg("--open-timeout", type=float, default=60.0,
        help="seconds to wait for a connection's handshake and hello (%(default)s)")
    arg("--settle", type=float, default=2.0,
        help="seconds to wait before reading the server's memory (%(default)s)")
    arg("--no-heartbeat", dest="heartbeat", action="store_false",
        help="send no heartbeats (trygg closes connections silent for two intervals)")
    arg("--receive", choices=("tap", "recv"), default="tap",
        help="tap: take each frame as the connection parses it; recv: one task per "
             "connection awaiting recv(), slower (default: %(default)s)")
    arg("--trygg-command", default=None,
        help="how to run the trygg CLI (default: the trygg script next to this Python)")
    arg("--trygg-env", action="append", default=[], metavar="NAME=VALUE",
        help="extra environment for trygg, e.g. TRYGG_HEARTBEAT_INTERVAL_S=30 (repeatable)")
    arg("--loop", choices=("auto", "asyncio", "uvloop"), default="auto",
        help="the generator's event loop; auto: uvloop when installed (%(default)s)")
    arg("--json", metavar="PATH", help="also write every sample to this file")
    arg("--keep", action="store_true", help="keep the servers' work directory and logs")
    args = parser.parse_args(argv)
    try:
        args.trygg_env = dict(item.split("=", 1) for item in args.trygg_env)
    except ValueError:
        parser.error("--trygg-env takes NAME=VALUE")
    if args.alarms is None:
        args.alarms = 50 if args.quick else 200
    return args


def chosen_scenarios(args: argparse.Namespace) -> list[Scenario]:
    if args.scenario == "custom":
        return [Scenario("x", args.recipients, args.idle,
                         f"{args.recipients} recipients + {args.idle} idle")]
    names = ["a", "b", "c"] if args.scenario == "all" else [args.scenario]
    scenarios = [SCENARIOS[n] for n in names]
    if args.quick:
        scenarios = [
            Scenario(sc.name, *QUICK_SIZES[sc.name], sc.title + " (quick sizes)",
                     sc.p99_ratio_target, sc.p99_ms_target)
            for sc in scenarios
        ]
    return scenarios


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        sys.exit(f"need {needed} file descriptors, the hard limit is {hard}: lower the sizes")
    # Raised for this process and inherited by the servers it starts, which need as many.
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed if hard == resource.RLIM_INFINITY
                                                else hard, hard))


def loop_factory(choice: str) -> Any:
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raiser = Raiser()
    scenarios = chosen_scenarios(args)
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(servers) - {"baseline", "trygg", "trygg-cluster"}
    if unknown:
        sys.exit(f"unknown servers: {', '.join(sorted(unknown))}")
    raise_fd_limit(max(sc.recipients + sc.idle for sc in scenarios) + 256)
    trygg_command = (args.trygg_command.split() if args.trygg_command
                     else [str(Path(sys.executable).parent / "trygg")])

    workdir = Path(tempfile.mkdtemp(prefix="trygg-fanout-"))
    results: list[Result] = []
    interrupted = False
    print(f"fan-out benchmark: {args.alarms} alarms (+{args.warmup} warm-up) per run, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}", flush=True)
    try:
        with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
            for sc in scenarios:
                print(f"scenario {sc.name}: {sc.title}", flush=True)
                for name in servers:
                    rundir = workdir / f"{sc.name}-{name}"
                    rundir.mkdir()
                    server: ServerProcess
                    if name == "baseline":
                        server = BaselineServer(rundir)
                    elif name == "trygg-cluster":
                        server = TryggClusterServer(
                            rundir, trygg_command, args.trygg_env, processes=args.processes,
                            database_url=args.database_url, redis_url=args.redis_url)
                    else:
                        server = TryggServer(rundir, trygg_command, args.trygg_env)
                    try:
                        target = server.start()
                        result = runner.run(measure(target, sc, args, raiser))
                    except ServerFailed as exc:
                        result = Result(sc.name, name, sc.recipients, sc.idle, error=str(exc))
                    finally:
                        server.stop()
                    results.append(result)
                    print(f"  {name:9} fan-out p50 {fmt(percentile(result.fanout_ms, 50))} ms, "
                          f"p99 {fmt(percentile(result.fanout_ms, 99))} ms; "
                          f"POST p99 {fmt(percentile(result.post_ms, 99))} ms"
                          + (f"; {result.incomplete} incomplete" if result.incomplete else "")
                          + (f"; lost {result.dropped}" if result.dropped else "")
                          + (f"; ERROR {result.error}" if result.error else ""), flush=True)
                    if args.json:
                        write_json(args.json, results)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: figures of the finished runs follow", flush=True)
    finally:
        raiser.close()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print_table(results)
    print_targets(results, scenarios)
    if args.quick and any(r.server == "trygg" and r.fanout_ms for r in results):
        print("  (the targets are set for the full sizes: at --quick sizes they only hint)")
    if args.json:
        write_json(args.json, results)
    return 1 if interrupted or any(r.error for r in results) else 0


def write_json(path: str, results: list[Result]) -> None:
    payload = [asdict(r) | {"kib_per_idle": r.kib_per_idle,
                            "kib_per_recipient": r.kib_per_recipient} for r in results]
    Path(path).write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    sys.exit(main())
