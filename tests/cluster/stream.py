"""A WebSocket client that, like a real one, reconnects to another server and resumes."""

import asyncio
import contextlib
import json

import websockets


class ResumingClient:
    def __init__(self, urls: list[str], token: str) -> None:
        self.urls = urls
        self.token = token
        self.frames: list[dict] = []  # every event frame, in arrival order
        self.last_seq = 0
        self.connections = 0
        self.readiness: list[dict] = []
        self._task: asyncio.Task | None = None
        self._connected = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._connected.wait(), 10)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        index = 0
        while True:
            url = self.urls[index % len(self.urls)]
            try:
                async with websockets.connect(
                    url, additional_headers={"Authorization": f"Bearer {self.token}"},
                    compression=None, open_timeout=3,
                ) as ws:
                    hello = json.loads(await ws.recv())
                    assert hello["type"] == "hello"
                    if self.connections:
                        await ws.send(json.dumps({"type": "resume", "after_seq": self.last_seq}))
                    else:
                        self.last_seq = hello["seq"]
                    self.connections += 1
                    self._connected.set()
                    beat = asyncio.create_task(self._heartbeat(ws, hello["heartbeat_interval_s"]))
                    try:
                        async for raw in ws:
                            frame = json.loads(raw)
                            if frame["type"] == "event":
                                self.frames.append(frame)
                                self.last_seq = max(self.last_seq, frame["seq"])
                            elif frame["type"] == "readiness":
                                self.readiness.append(frame)
                    finally:
                        beat.cancel()
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            index += 1
            await asyncio.sleep(0.2)

    @staticmethod
    async def _heartbeat(ws, interval: float) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.sleep(interval)
                await ws.send(json.dumps({"type": "heartbeat"}))

    def raised_ids(self) -> list[str]:
        return [f["alarm"]["id"] for f in self.frames if f["event"]["type"] == "alarm.raised"]

    def assert_in_order_without_duplicates(self) -> None:
        seqs = [f["seq"] for f in self.frames]
        assert seqs == sorted(seqs), "events out of order"
        assert len(seqs) == len(set(seqs)), "an event arrived twice"

    async def wait_for_raised(self, ids: set[str], timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while not ids <= set(self.raised_ids()):
                await asyncio.sleep(0.05)
