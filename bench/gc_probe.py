"""Run the `trygg` command with Python's cycle collector watched or tuned, for experiments with
bench/fanout.py:

    BENCH_GC=log .venv/bin/python bench/fanout.py --scenario b --servers trygg --keep \
        --trygg-command ".venv/bin/python bench/gc_probe.py"

`BENCH_GC` holds comma-separated options:
- `log`: print the duration of every full (generation 2) collection to the server's log
  (`gc full collection: N ms`), kept in the work directory with `--keep`;
- `no-full`: no automatic full collections (generations 0 and 1 still run). Cyclic garbage that
  reaches the old generation is then never freed: for measuring only.
"""

import gc
import os
import sys
import time

from app import cli

options = set(filter(None, os.environ.get("BENCH_GC", "").split(",")))
started: list[float] = [0.0]


def _log_full_collections(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        started[0] = time.perf_counter()
    elif info["generation"] == 2:
        took_ms = (time.perf_counter() - started[0]) * 1000
        print(f"gc full collection: {took_ms:.1f} ms, {info['collected']} collected",
              file=sys.stderr, flush=True)


if "log" in options:
    gc.callbacks.append(_log_full_collections)
if "no-full" in options:
    threshold0, threshold1, _ = gc.get_threshold()
    gc.set_threshold(threshold0, threshold1, 2**31 - 1)

if __name__ == "__main__":
    sys.argv[0] = "trygg"
    cli.main()
