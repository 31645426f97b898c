"""Rarer cyclic garbage collection while an ingest builds its graph in memory.

An ingest makes millions of small objects (records, links, row dicts) that all live to the end of the run.
With Python's default generation-0 threshold (700 allocations), the cyclic collector walks that growing heap
over and over: about a third of the CPU of a 100 k-node load (bench/ingest_profile.py). Reference counting
still frees every object as soon as it is dropped; only reference cycles wait longer to be collected.
The thresholds are process-wide, so they are restored as soon as the run ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

INGEST_THRESHOLDS = (200_000, 50, 1_000)


@contextmanager
def rare_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*INGEST_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
