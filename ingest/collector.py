"""The memory of an ingest: rarer cyclic garbage collection while it builds its graph, and giving back what the
reading and resolving held before it writes.

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

from graph import ids
from graph.native_memory import trim_heap
from ingest import normalize, records

INGEST_THRESHOLDS = (200_000, 50, 1_000)


@contextmanager
def rare_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*INGEST_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def give_back() -> None:
    """Once the rows are made: empty the caches of matching keys and cleaned values, collect, and hand freed heap
    pages back to the system, so that the write (the embedded store's buffer pool fills as it writes) starts from
    less. A cached string made during the reading keeps its whole 1 MiB arena of Python's allocator alive with
    it: at 320,000 firms the caches pinned 400 MB, and glibc kept another 160 MB of freed pages."""
    ids.clear_caches()
    normalize.clear_caches()
    records.clear_caches()
    gc.collect()
    trim_heap()
