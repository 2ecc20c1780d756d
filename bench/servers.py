"""The servers the fan-out benchmark measures, started as subprocesses, and what /proc says
about them (resident memory, CPU time)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
PASSWORD = "bench-password-not-secret-1"


class ServerFailed(RuntimeError):
    pass


@dataclass
class Target:
    """A running server and what the load generator needs to talk to it."""

    label: str
    pid: int
    ws_url: str
    http_port: int
    recipient_token: str
    idle_token: str
    raiser_token: str
    ws_urls: tuple[str, ...] = ()  # several processes: connections are spread over these


class ServerProcess:
    label = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.label}.log"

    def start(self) -> Target:
        raise NotImplementedError

    def _spawn(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def _wait_healthy(self, port: int, timeout_s: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.label} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                status, _ = api(port, "GET", "/api/v1/health")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise ServerFailed(f"{self.label} not healthy after {timeout_s:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        self.halt()

    def halt(self) -> None:
        """Stop the process (its whole process group), keeping its data for `relaunch`."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        # The whole group, not only the leader: under `sh` (several processes) the shell exits
        # at once while each server still shuts down, holding its port.
        deadline = time.monotonic() + 15
        try:
            proc.wait(timeout=15)
            while group_alive(proc.pid):
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(proc.args, 15)
                time.sleep(0.05)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


class BaselineServer(ServerProcess):
    label = "baseline"

    def start(self) -> Target:
        ws_port, http_port = free_port(), free_port()
        db = self.workdir / "baseline.db"
        self._spawn([
            sys.executable, str(BENCH_DIR / "baseline_server.py"), "--host", HOST,
            "--ws-port", str(ws_port), "--http-port", str(http_port), "--db", str(db),
        ])
        self._wait_healthy(http_port)
        assert self.proc is not None
        return Target(
            label=self.label, pid=self.proc.pid, ws_url=f"ws://{HOST}:{ws_port}/api/v1/ws",
            http_port=http_port, recipient_token="office-a", idle_token="office-b",
            raiser_token="office-a",
        )


class TryggServer(ServerProcess):
    """`trygg serve` on a fresh SQLite database, with two offices and three users made by REST."""

    label = "trygg"

    def __init__(self, workdir: Path, command: Sequence[str],
                 extra_env: dict[str, str] | None = None) -> None:
        super().__init__(workdir)
        self.command = list(command)
        self.extra_env = extra_env or {}
        self.env: dict[str, str] = {}
        self.ports: list[int] = []

    def start(self) -> Target:
        data_dir = self.workdir / "trygg-data"
        data_dir.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
        env.update(
            TRYGG_DATA_DIR=str(data_dir),
            TRYGG_DATABASE_URL=f"sqlite+aiosqlite:///{data_dir / 'trygg.db'}",
        )
        env.update(self.extra_env)
        self._cli(["db", "upgrade"], env)
        self._cli(
            ["user", "create", "bench-admin", "--password", PASSWORD, "--role", "admin",
             "--name", "Bench Admin"],
            env,
        )
        self.env = env
        self.ports = [free_port()]
        self.relaunch()
        return self._setup(self.ports[0])

    def relaunch(self) -> None:
        """Start the serving process(es) on `self.ports` with `self.env` and wait until each
        answers: on the first start, and again after `halt` (a restart on the same data)."""
        self._spawn(self.command + ["serve", "--host", HOST, "--port", str(self.ports[0])],
                    self.env)
        self._wait_healthy(self.ports[0])

    def _setup(self, port: int) -> Target:
        """Two offices and three users, made through the REST API of the server at `port`."""
        assert self.proc is not None
        admin = login(port, "bench-admin")
        office_a = expect(api(port, "POST", "/api/v1/offices", {"name": "Bench recipients"}, admin))
        office_b = expect(api(port, "POST", "/api/v1/offices", {"name": "Bench idle"}, admin))
        users = [
            ("bench-responder-a", office_a["id"], ["responder"]),
            ("bench-responder-b", office_b["id"], ["responder"]),
            ("bench-raiser", office_a["id"], ["staff"]),
        ]
        for username, office_id, roles in users:
            body = {"username": username, "password": PASSWORD, "full_name": username.title(),
                    "office_id": office_id, "roles": roles}
            expect(api(port, "POST", "/api/v1/users", body, admin))
        return Target(
            label=self.label, pid=self.proc.pid, ws_url=f"ws://{HOST}:{port}/api/v1/ws",
            http_port=port, recipient_token=login(port, "bench-responder-a"),
            idle_token=login(port, "bench-responder-b"), raiser_token=login(port, "bench-raiser"),
        )

    def _cli(self, args: list[str], env: dict[str, str]) -> None:
        done = subprocess.run(
            self.command + args, env=env, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise ServerFailed(f"trygg {' '.join(args[:2])} failed: {done.stderr.strip()[-800:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def api(
    port: int, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """One blocking REST call, for setup only (never timed)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode(errors="replace")
    finally:
        conn.close()


def expect(result: tuple[int, Any]) -> Any:
    status, payload = result
    if not 200 <= status < 300:
        raise ServerFailed(f"setup request failed: {status} {payload}")
    return payload


def login(port: int, username: str) -> str:
    body = {"username": username, "password": PASSWORD}
    return expect(api(port, "POST", "/api/v1/auth/login", body))["access_token"]


def _proc_stat(pid: int | str) -> list[bytes] | None:
    """Fields of /proc/PID/stat after the command name (field 3 onwards)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(b")") + 2 :].split()


def group_alive(pgid: int) -> bool:
    """Whether a process of process group `pgid` still runs (zombies aside)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _proc_stat(entry)) is not None:
            if int(fields[2]) == pgid and fields[0] != b"Z":
                return True
    return False


def process_tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _proc_stat(entry)) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, ()))
    return tree


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (from /proc)."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


class CpuMeter:
    """How much CPU the rest of the machine used while we measured: a busy machine (2 cores
    shared with the server and the generator) makes every figure worse."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = self._sample()
        self.started = time.monotonic()

    def _sample(self) -> tuple[int, int]:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        busy = cpu[0] + cpu[1] + cpu[2] + cpu[7]  # user, nice, system, steal
        ours = 0
        for pid in self.pids:
            if (fields := _proc_stat(pid)) is not None:
                ours += int(fields[11]) + int(fields[12])  # utime, stime
        return busy, ours

    def others_cores(self) -> float:
        """Cores' worth of CPU used by processes other than ours since the meter started."""
        busy, ours = self._sample()
        elapsed = time.monotonic() - self.started
        ticks = os.sysconf("SC_CLK_TCK")
        other = (busy - self.start[0]) - (ours - self.start[1])
        return max(0.0, other / ticks / elapsed) if elapsed > 0 else 0.0


class TryggClusterServer(TryggServer):
    """Several `trygg serve` processes on one fresh PostgreSQL database and one Redis bus,
    under one parent process (so /proc sums their memory and CPU). The alarms are raised on the
    first process; the connections are spread evenly over all of them."""

    label = "trygg-2p"

    def __init__(self, workdir: Path, command: Sequence[str], extra_env: dict[str, str] | None,
                 *, processes: int, database_url: str, redis_url: str) -> None:
        super().__init__(workdir, command, extra_env)
        self.processes = processes
        self.label = f"trygg-{processes}p"
        self.admin_url = database_url
        self.database = f"trygg_bench_{os.getpid()}_{int(time.time())}"
        self.redis_url = redis_url

    def _psql(self, sql: str) -> None:
        url = self.admin_url.replace("postgresql+asyncpg://", "postgresql://")
        subprocess.run(["psql", url, "-q", "-c", sql], check=True, capture_output=True,
                       timeout=60)

    def start(self) -> Target:
        self._psql(f'CREATE DATABASE "{self.database}"')
        base = self.admin_url.rsplit("/", 1)[0]
        separator = "&" if "?" in self.redis_url else "?"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
        env.update(
            TRYGG_DATA_DIR=str(self.workdir),
            TRYGG_DATABASE_URL=f"{base}/{self.database}",
            TRYGG_BUS_URL=f"{self.redis_url}{separator}channel={self.database}",
            TRYGG_SECRET_KEY="bench-secret-key-" + "b" * 32,
        )
        env.update(self.extra_env)
        self._cli(["db", "upgrade"], env)
        self._cli(["user", "create", "bench-admin", "--password", PASSWORD, "--role", "admin",
                   "--name", "Bench Admin"], env)
        self.env = env
        self.ports = [free_port() for _ in range(self.processes)]
        self.relaunch()
        single = self._setup(self.ports[0])
        return Target(
            label=self.label, pid=single.pid, ws_url=single.ws_url, http_port=self.ports[0],
            recipient_token=single.recipient_token, idle_token=single.idle_token,
            raiser_token=single.raiser_token,
            ws_urls=tuple(f"ws://{HOST}:{port}/api/v1/ws" for port in self.ports),
        )

    def relaunch(self) -> None:
        """All the processes, under one `sh` (one process group: `halt` stops them all)."""
        trygg = " ".join(self.command)
        script = " ".join(f"{trygg} serve --host {HOST} --port {port} &" for port in self.ports)
        self._spawn(["sh", "-c", f"{script} wait"], self.env)
        for port in self.ports:
            self._wait_healthy(port)

    def stop(self) -> None:
        super().stop()
        with contextlib.suppress(Exception):
            self._psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
