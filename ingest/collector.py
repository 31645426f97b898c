"""The memory of an ingest: Python's cyclic garbage collector off while the run reads, resolves and makes its rows,
rarer while it talks to a store, and giving back what the reading and resolving held before it writes.

An ingest makes millions of small objects (records, links, row dicts) that live until their step ends. The
cyclic collector walks every container object once it has been allocated (generation 0) and again when it is
promoted (generation 1). With the default thresholds (700, 10, 10) that was about a third of the CPU of a
100 k-node load; with the rarer ones below, still 9.3 s of a 97 s collect at scale 150, in 233 pauses (one of
3.7 s). The walks find nothing: the ingest's own steps make no reference cycles (none unreachable after reading
and resolving every source of a synthetic scale-50 folder, nor from a firms' file whose 275,000 rows each raised
problems; ``tests/test_collector.py`` checks that the number does not grow with the rows). A store's driver does: the
Neo4j driver's cycles hold each batch it sent until its session ends, and a whole write without collections peaked
at 10 GB at scale 150 (2.3 GB with them). So the collector is off only around the steps that read files and
build rows (``no_cyclic_collections``), and rare around the rest of the run (``rare_collections``). Reference
counting still frees every object as soon as it is dropped. Both settings are process-wide, and turned back as
they were when the block ends.
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
    """The collector's thresholds raised while the block runs (a run's talk with its store), as they were after."""
    before = gc.get_threshold()
    try:  # set inside, so that an interrupt between the two lines still restores them
        gc.set_threshold(*INGEST_THRESHOLDS)
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def no_cyclic_collections() -> Iterator[None]:
    """The collector off while the block runs (nested blocks leave it off), as it was after. Only for steps that
    make no reference cycles: reading files and building rows, not a store's driver."""
    was_enabled = gc.isenabled()
    try:  # turned off inside, so that an interrupt between the two lines still turns it back
        gc.disable()
        yield
    finally:
        if was_enabled:
            gc.enable()


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
