"""How long from raising an alarm to its push request leaving the server.

    .venv/bin/python bench/push.py                      # 1 and 200 subscriptions, 50 alarms each
    .venv/bin/python bench/push.py --subscriptions 1,20 --alarms 20

Starts `trygg serve` (SQLite, fresh data dir) with TRYGG_PUSH_ENDPOINTS set to a local push
service stand-in in this process, which answers every push 201 at once and notes when its
request line arrived. One responder holds N subscriptions (N browsers); a staff user raises
`--alarms` alarms one after another: POST /api/v1/alarms, then waits until all N pushes have
arrived (by their Topic), then resolves it, waits for those N pushes too and `--pause` seconds
more (the server is still recording the outcomes as `push.*` events), then raises the next.
Times are from sending the POST to the push request arriving, on one monotonic clock: the
first push (p50/p99) and the last of the N (p50/p99). Percentiles are nearest-rank. Prints
figures; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import HOST, TryggServer, api, expect  # noqa: E402

DEFAULT_ENDPOINTS = ("https://fcm.googleapis.com,https://updates.push.services.mozilla.com,"
                     "https://web.push.apple.com,https://*.notify.windows.com")


class Backlogged(ThreadingHTTPServer):
    """Listens with room for a round's connections: the default backlog of 5, full, drops
    connection attempts, which then wait for TCP's one-second retransmission."""

    request_queue_size = 512
    daemon_threads = True


class StandIn:
    """Answers 201 to every POST and records (topic, arrival time)."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.cond = threading.Condition()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                at = time.monotonic()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with stand_in.cond:
                    stand_in.arrivals[self.headers.get("Topic", "")].append(at)
                    stand_in.cond.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.server = Backlogged((HOST, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait(self, topic: str, count: int, timeout: float = 60) -> list[float]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.arrivals[topic]) >= count, timeout)
            return list(self.arrivals[topic])

    def forget(self, topic: str) -> None:
        with self.cond:
            self.arrivals.pop(topic, None)


def browser_keys() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")  # noqa: E731
    return {"p256dh": b64(key), "auth": b64(os.urandom(16))}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def timed_post(port: int, path: str, body: dict, token: str) -> float:
    """Send one POST on a fresh connection; returns the monotonic time it was sent."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        data = json.dumps(body).encode()
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(data)))
        conn.putheader("Authorization", f"Bearer {token}")
        conn.endheaders()
        sent = time.monotonic()
        conn.send(data)
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201):
            raise RuntimeError(f"POST {path}: {response.status}")
        return sent
    finally:
        conn.close()


def run(subscriptions: int, alarms: int, warmup: int, pause: float, workdir: Path,
        trygg: list[str]) -> dict:
    stand_in = StandIn()
    server = TryggServer(workdir, trygg, {
        "TRYGG_PUSH_ENDPOINTS": f"{DEFAULT_ENDPOINTS},{stand_in.origin}"})
    target = server.start()
    try:
        port, responder = target.http_port, target.recipient_token
        for _ in range(subscriptions):
            expect(api(port, "POST", "/api/v1/push/subscriptions", {
                "endpoint": f"{stand_in.origin}/push/{uuid.uuid4().hex}",
                "keys": browser_keys()}, responder))
        first, last = [], []
        for n in range(warmup + alarms):
            alarm_id = uuid.uuid4()
            topic = alarm_id.hex
            sent = timed_post(port, "/api/v1/alarms", {"id": str(alarm_id), "level": "yellow"},
                              target.raiser_token)
            arrived = stand_in.wait(topic, subscriptions)
            if len(arrived) < subscriptions:
                raise RuntimeError(f"only {len(arrived)} of {subscriptions} pushes arrived")
            if n >= warmup:
                first.append(min(arrived) - sent)
                last.append(max(arrived) - sent)
            stand_in.forget(topic)
            timed_post(port, f"/api/v1/alarms/{alarm_id}/resolve", {}, target.raiser_token)
            stand_in.wait(topic, subscriptions)
            time.sleep(pause)  # the outcomes of its pushes are recorded before the next alarm
            stand_in.forget(topic)
    finally:
        server.stop()
        stand_in.server.shutdown()
    ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
    return {"subscriptions": subscriptions, "alarms": alarms,
            "first_p50_ms": ms(percentile(first, 0.5)), "first_p99_ms": ms(percentile(first, 0.99)),
            "last_p50_ms": ms(percentile(last, 0.5)), "last_p99_ms": ms(percentile(last, 0.99)),
            "last_max_ms": ms(max(last))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", default="1,200",
                        help="comma-separated numbers of subscriptions (default 1,200)")
    parser.add_argument("--alarms", type=int, default=50, help="measured alarms per size")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured alarms first")
    parser.add_argument("--pause", type=float, default=0.2,
                        help="seconds between one alarm's last push and the next raise")
    args = parser.parse_args()
    trygg = [str(Path(sys.executable).parent / "trygg")]
    print(f"{'subs':>5} {'alarms':>6} {'first p50':>10} {'first p99':>10} "
          f"{'last p50':>9} {'last p99':>9} {'last max':>9}   (ms, POST sent to push arrived)")
    for size in (int(s) for s in args.subscriptions.split(",")):
        workdir = Path(tempfile.mkdtemp(prefix="trygg-push-bench-"))
        try:
            r = run(size, args.alarms, args.warmup, args.pause, workdir, trygg)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"{r['subscriptions']:>5} {r['alarms']:>6} {r['first_p50_ms']:>10} "
              f"{r['first_p99_ms']:>10} {r['last_p50_ms']:>9} {r['last_p99_ms']:>9} "
              f"{r['last_max_ms']:>9}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
