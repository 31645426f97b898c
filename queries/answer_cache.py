"""Answers of named queries kept until the graph changes: many readers, rare writes.

The facts change only by a write that recounts the tallies — an ingest or retraction that changed something, an
edition restored, an initial load — and each such write stamps a new tally epoch (graph/aggregates.py). An answer
read at epoch E stays the answer while the epoch is E, so a reader checks the epoch (one indexed row) and reuses
the answer another session read. Several sessions asking for one missing answer at once wait for the first read
instead of all running it. The cache is bounded (answers and rows; least recently used dropped first), lives per
store object and per process, and forgets a store's answers as soon as it sees a new epoch.

Not cached: a store with no epoch (never tallied: an old store opened read-only), the data-quality queries, which
read or count the bookkeeping every run writes (a run that changed no fact still writes its IngestRun), and the
paths, which answer from their own snapshot. An answer read while a write landed is not kept.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from graph import aggregates
from graph.errors import ClusterKGError
from graph.store import GraphStore, QueryResult

# Never kept: the data-quality queries (some read the bookkeeping every run writes, IngestRun and Edition nodes among
# them, without a new epoch; tests/test_answer_cache.py keeps this true; the three that read tallies are milliseconds
# anyway, so all dq_ queries are left out alike), and the paths, which answer
# from the topology snapshot (graph/topology.py: its own epoch check, at most a second old; milliseconds anyway).
UNCACHED_PREFIXES = ("dq_",)
UNCACHED = frozenset({"entity_neighbourhood", "shortest_path"})
MAX_ANSWERS = 512
MAX_ROWS = 400_000  # all answers of one store together (a page's answer is at most the row cap)

Key = tuple[Any, ...]  # what was asked: a query's name, its bound parameters as JSON, the row cap asked for
T = TypeVar("T")


@dataclass
class _StoreAnswers:
    epoch: str | None = None
    answers: OrderedDict[Key, tuple[Any, int]] = field(default_factory=OrderedDict)  # answer, its rows
    rows: int = 0
    reading: dict[Key, threading.Lock] = field(default_factory=dict)  # one lock per answer being read
    hits: int = 0
    misses: int = 0


_lock = threading.Lock()
_stores: weakref.WeakKeyDictionary[GraphStore, _StoreAnswers] = weakref.WeakKeyDictionary()


def answer(
    store: GraphStore,
    name: str,
    params: Mapping[str, Any] | None,
    row_cap: int | None,
    read: Callable[[], QueryResult],
) -> QueryResult:
    """The answer of ``read()`` — the named query ``name`` with ``params`` — from the cache when the graph has not
    changed since it was read. The row dicts are copies (nested values are shared: not to be changed)."""
    if name in UNCACHED or name.startswith(UNCACHED_PREFIXES):
        return read()
    key: Key = (name, json.dumps(params or {}, sort_keys=True, default=str), row_cap)
    kept = remember(store, key, read, rows=lambda result: len(result.rows))
    return QueryResult(kept.columns, [dict(row) for row in kept.rows], kept.truncated)


def remember(store: GraphStore, key: Key, compute: Callable[[], T], rows: Callable[[T], int] = lambda _: 1) -> T:
    """``compute()``'s value, computed once per graph epoch of ``store`` for ``key`` (anything hashable that says
    what was asked). The value is shared: callers must not change it. ``rows`` weighs it against MAX_ROWS."""
    epoch = _epoch(store)
    if epoch is None:
        return compute()
    found = _lookup(store, epoch, key)
    if found is None:
        with _lock:
            flight = _entry(store, epoch).reading.setdefault(key, threading.Lock())
        with flight:  # a second reader of the same answer waits here for the first
            found = _lookup(store, epoch, key)
            if found is None:
                try:
                    value = compute()
                    if _epoch(store) == epoch:  # a write that landed meanwhile: the answer may be either side's
                        _keep(store, epoch, key, value, rows(value))
                    return value
                finally:
                    with _lock:
                        entry = _stores.get(store)
                        if entry is not None and entry.reading.get(key) is flight:
                            del entry.reading[key]
    return cast(T, found[0])


def _epoch(store: GraphStore) -> str | None:
    """The store's tally epoch; None when it has none or cannot say (an old store without the Tally table). (On the
    app's embedded store, read from the database only after the file changed: graph/aggregates.py read_epoch.)"""
    try:
        return aggregates.read_epoch(store)
    except ClusterKGError:
        return None


def statistics(store: GraphStore) -> dict[str, int]:
    """Hits, misses, answers and rows kept for one store (benchmarks, tests)."""
    with _lock:
        entry = _stores.get(store) or _StoreAnswers()
        return {"hits": entry.hits, "misses": entry.misses, "answers": len(entry.answers), "rows": entry.rows}


def forget(store: GraphStore | None = None) -> None:
    """Drop the answers kept for one store, or for all."""
    with _lock:
        if store is None:
            _stores.clear()
        else:
            _stores.pop(store, None)


def _entry(store: GraphStore, epoch: str) -> _StoreAnswers:
    """The store's answers at this epoch (callers hold ``_lock``); a new epoch starts afresh."""
    entry = _stores.get(store)
    if entry is None or entry.epoch != epoch:
        entry = _stores[store] = _StoreAnswers(epoch=epoch)
    return entry


def _lookup(store: GraphStore, epoch: str, key: Key) -> tuple[Any, int] | None:
    with _lock:
        entry = _entry(store, epoch)
        found = entry.answers.get(key)
        if found is not None:
            entry.answers.move_to_end(key)
            entry.hits += 1
        return found


def _keep(store: GraphStore, epoch: str, key: Key, value: Any, rows: int) -> None:
    with _lock:
        entry = _stores.get(store)
        if entry is None or entry.epoch != epoch:  # another reader saw a newer graph: keep nothing of this one
            return
        entry.misses += 1
        if rows > MAX_ROWS:
            return
        entry.answers[key] = (value, rows)
        entry.rows += rows
        while len(entry.answers) > MAX_ANSWERS or entry.rows > MAX_ROWS:
            _, (_, dropped) = entry.answers.popitem(last=False)
            entry.rows -= dropped
