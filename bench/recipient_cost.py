"""CPU time one recipient costs the fan-out, trygg's path against what `websockets.broadcast`
does per connection (the baseline server), with the socket write itself replaced by a no-op,
so only the Python work in between is measured.

    .venv/bin/python bench/recipient_cost.py [--recipients 10000] [--rounds 20]
"""

import argparse
import asyncio
import json
import time
import uuid

from websockets.protocol import State
from websockets.server import ServerProtocol

from app.alarm.policy import Viewer
from app.realtime import frames, wire
from app.realtime.access import Grant
from app.realtime.connection import Connection


class NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def is_closing(self) -> bool:
        return False


class NullSocket:
    """Trygg's own protocol's `write` (app/realtime/server.py), with a no-op transport."""

    def __init__(self) -> None:
        self.paused = self.closing = False
        self.transport = NullTransport()

    def write(self, data: bytes) -> bool:
        if self.paused or self.closing:
            return False
        self.transport.write(data)
        return True


class FakeUvicornProtocol:
    """The state websockets.broadcast looks at, with a no-op transport."""

    def __init__(self) -> None:
        self.transport = NullTransport()
        self.conn = ServerProtocol()
        self.conn.state = State.OPEN
        self.writable = asyncio.Event()
        self.writable.set()
        self.close_sent = False


def record(seq: int) -> dict:
    alarm = {"id": str(uuid.uuid4()), "office_id": str(uuid.uuid4()), "mode": "real",
             "status": "active", "raised_by": {"id": str(uuid.uuid4()), "full_name": "X"},
             "level": "yellow", "responders": [], "deliveries": [], "note": "x" * 400}
    return {"seq": seq, "event": {"seq": seq, "type": "alarm.raised", "data": {}},
            "alarm": alarm}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    n = args.recipients
    viewer = Viewer(uuid.uuid4(), uuid.uuid4(), frozenset({"responder"}))
    grant = Grant(viewer=viewer, full_name="R", roles=["responder"], device_id=None,
                  token_id=None, expires_at=None)
    conns = []
    for _ in range(n):
        conn = Connection(grant, NullSocket(), maxsize=256)
        conn.holding = False
        conns.append(conn)
    protocols = [FakeUvicornProtocol() for _ in range(n)]

    trygg, encode_once, baseline = [], [], []
    for seq in range(1, args.rounds + 1):
        rec = record(seq)
        t0 = time.perf_counter_ns()
        text = frames.event_frame(rec)
        data = wire.frame_bytes(text)
        t1 = time.perf_counter_ns()
        for conn in conns:
            conn.push(seq, text, data)
        t2 = time.perf_counter_ns()
        encode_once.append((t1 - t0) / 1000)
        trygg.append((t2 - t1) / n / 1000)
        # websockets.broadcast: per connection, protocol.send_text + data_to_send + write.
        message = json.dumps(rec).encode()
        t3 = time.perf_counter_ns()
        for proto in protocols:
            if proto.conn.state is not State.OPEN:
                continue
            proto.conn.send_text(message)
            proto.transport.write(b"".join(proto.conn.data_to_send()))
        t4 = time.perf_counter_ns()
        baseline.append((t4 - t3) / n / 1000)
    trygg.sort()
    baseline.sort()
    mid = len(trygg) // 2
    print(f"{n} recipients, {args.rounds} events, median per recipient (socket write excluded):")
    print(f"  trygg push (checks + write of the shared bytes): {trygg[mid]:.2f} us")
    print(f"  websockets.broadcast's per-connection work:      {baseline[mid]:.2f} us")
    print(f"  trygg's encoding, once per event:                {sorted(encode_once)[mid]:.0f} us")


if __name__ == "__main__":
    asyncio.run(main())
