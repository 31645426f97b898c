"""The memory of an ingest: no cyclic garbage collection while it runs, and giving back what the reading and
resolving held before it writes.

An ingest makes millions of small objects (records, links, row dicts) that live until their step ends. Python's
cyclic collector walks every container object once it has been allocated (generation 0) and again when it is
promoted (generation 1): at scale 150 that was 9.3 s of a 97 s collect in 221 pauses, one of 3.7 s, with the
rarer thresholds (200,000, 50, 1,000) of the runs before; with the default thresholds (700, 10, 10), about a
third of the CPU of a 100 k-node load. The walks find nothing: the ingest makes no reference cycles to collect
(none unreachable after reading and resolving every bundled source at scale 50, nor from a file whose 275,000 rows
each raised problems; none after writing to either store; ``tests/test_collector.py`` checks that the number does
not grow with the rows). Reference counting still frees every object as soon as it is dropped, and ``give_back``
collects once. The collector is off for the whole process while a run lasts, and turned back as it was after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from graph import ids
from graph.native_memory import trim_heap
from ingest import normalize, records


@contextmanager
def no_cyclic_collections() -> Iterator[None]:
    """The cyclic collector off while the block runs (nested blocks leave it off), as it was after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
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
