"""Full garbage collections at quiet moments, never in the middle of an alarm's fan-out.

A full collection walks every object the cycle collector tracks, and with thousands of open
connections that stops the event loop for milliseconds to tens of milliseconds. What start-up
made is frozen out of the collector's sight; automatic full collections are then turned off,
and this runs them instead: every `every_s`, once nothing has been routed for `quiet_s`, and
at the latest after `longest_s`. The young generations are collected automatically as usual.
"""

import asyncio
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

NEVER = 1_000_000  # generation-1 collections before an automatic full one
_saved: list[tuple[int, int, int]] = []  # the thresholds before the first running collector
_running = 0


class Collector:
    def __init__(self, last_busy: Callable[[], float], *, every_s: float = 30,
                 quiet_s: float = 1.0, longest_s: float = 300) -> None:
        self.last_busy = last_busy  # monotonic time something was last routed
        self.every_s, self.quiet_s, self.longest_s = every_s, quiet_s, longest_s
        self.collections = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        global _running
        gc.collect()
        gc.freeze()
        if _running == 0:
            _saved.append(gc.get_threshold())
            young, middle, _ = _saved[-1]
            gc.set_threshold(young, middle, NEVER)
        _running += 1
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gc-collector")

    async def stop(self) -> None:
        global _running
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        _running -= 1
        if _running == 0:
            gc.set_threshold(*_saved.pop())

    async def _run(self) -> None:
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(self.every_s)
            while (time.monotonic() - self.last_busy() < self.quiet_s
                   and time.monotonic() - last_full < self.longest_s):
                await asyncio.sleep(self.quiet_s)
            started = time.monotonic()
            gc.collect()
            self.collections += 1
            last_full = time.monotonic()
            log.debug("full garbage collection took %.1f ms", (last_full - started) * 1000)
