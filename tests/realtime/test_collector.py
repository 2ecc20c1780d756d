"""Full garbage collections run when nothing is being routed, not in the middle of it."""

import asyncio
import gc
import time
import weakref

from app.realtime.collector import NEVER, Collector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cycle collector frees it


def _old_cyclic_garbage() -> weakref.ref:
    node = Node()
    ref = weakref.ref(node)
    for generation in (0, 1):  # promoted to the oldest generation, as long-lived objects are
        gc.collect(generation)
    del node
    return ref


async def _freed(ref: weakref.ref) -> None:
    async with asyncio.timeout(5):
        while ref() is not None:
            await asyncio.sleep(0.05)


async def test_full_collections_wait_for_a_quiet_moment_and_then_run():
    busy_until = [time.monotonic() + 1.0]
    collector = Collector(lambda: busy_until[0] if time.monotonic() < busy_until[0]
                          else busy_until[0], every_s=0.1, quiet_s=0.3, longest_s=60)
    before = gc.get_threshold()
    collector.start()
    try:
        assert gc.get_threshold()[2] == NEVER  # no automatic full collection
        ref = _old_cyclic_garbage()
        await asyncio.sleep(0.8)  # still routing: no full collection yet
        assert collector.collections == 0
        await _freed(ref)
        assert collector.collections >= 1
    finally:
        await collector.stop()
    assert gc.get_threshold() == before


async def test_a_full_collection_runs_at_the_latest_after_the_longest_wait():
    collector = Collector(time.monotonic, every_s=0.1, quiet_s=0.1, longest_s=0.5)  # always busy
    collector.start()
    try:
        ref = _old_cyclic_garbage()
        await _freed(ref)
        assert collector.collections >= 1
    finally:
        await collector.stop()
