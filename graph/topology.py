"""An in-memory snapshot of a store's topology, for paths, neighbourhoods, listings and reports at in-memory speed.

What a snapshot holds is graph/topology_model.py (``Topology``); how it is read from a store, graph/topology_read.py
(``build``). This module keeps them: one snapshot per store per process (``current``), keyed by the store's tally
epoch (graph/aggregates.py), which every ClusterKG write changes:

- only a store someone ``warm``ed gets snapshots (the app's; a command that reads once and exits does not);
- a caller never waits for a build: the first request starts one in a background thread and gets None (it runs
  its Cypher instead), as does every request until the build is done;
- the epoch is re-read at most once per ``FRESH_S`` second per store: an answer is never older than that. When the
  epoch changed the old snapshot is dropped at once (callers get None, not an older graph) and a new one is built;
- a store without an epoch (never written by ClusterKG: nothing would say when it changed) gets no snapshot;
- above ``max_elements`` nodes + relationships the build is refused (logged once), so memory stays bounded.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref

from graph.aggregates import read_epoch
from graph.errors import ClusterKGError, noted
from graph.store import STORE_ZH, GraphStore
from graph.topology_model import KEPT_PROPERTIES, Ints, NodeReads, StringReads, Topology
from graph.topology_read import MAX_ELEMENTS, TopologyTooLargeError, build

__all__ = [
    "KEPT_PROPERTIES",
    "MAX_ELEMENTS",
    "Ints",
    "NodeReads",
    "StringReads",
    "Topology",
    "TopologyTooLargeError",
    "build",
    "current",
    "kept",
    "ready",
    "warm",
]

log = logging.getLogger(__name__)

FRESH_S = 1.0  # the staleness bound: the epoch is re-read at most this often
RETRY_S = 30.0  # after a failed build, wait this long before another (unless the epoch changes)
EXIT_WAIT_S = 60.0  # how long an ending process waits for the builds still running


class _Holder:
    """One store's snapshot, the epoch last read and the build under way."""

    def __init__(self, max_elements: int) -> None:
        self.lock = threading.Lock()
        self.max_elements = max_elements
        self.snapshot: Topology | None = None
        self.epoch: str | None = None
        self.checked = -float("inf")  # monotonic time of the last epoch read
        self.building: threading.Thread | None = None
        self.refused = False  # too large: never built
        self.failed: tuple[str | None, float] | None = None  # (epoch, when) of the last failed build
        self.wanted = False  # warm() asked for snapshots: only then are builds started (the app, benches, tests)


_holders: weakref.WeakKeyDictionary[GraphStore, _Holder] = weakref.WeakKeyDictionary()
_holders_lock = threading.Lock()


def _holder(store: GraphStore, max_elements: int | None = None) -> _Holder:
    with _holders_lock:
        holder = _holders.get(store)
        if holder is None:
            holder = _holders[store] = _Holder(MAX_ELEMENTS if max_elements is None else max_elements)
        elif max_elements is not None:
            holder.max_elements = max_elements
        return holder


def current(store: GraphStore) -> Topology | None:
    """The store's snapshot if it is ready and of the current epoch (read at most FRESH_S ago); else None, after
    starting a build where one is due. Never waits for a build."""
    holder = _holder(store)
    if time.monotonic() - holder.checked >= FRESH_S:
        with holder.lock:
            if time.monotonic() - holder.checked >= FRESH_S:
                try:
                    holder.epoch = read_epoch(store)
                except ClusterKGError:
                    return None  # the caller's own read reports what is wrong
                holder.checked = time.monotonic()
                if holder.snapshot is not None and holder.snapshot.epoch != holder.epoch:
                    holder.snapshot = None  # a changed graph: never answer from the old one
    snapshot = holder.snapshot
    if snapshot is not None and snapshot.epoch == holder.epoch:
        return snapshot
    _start(store, holder)
    return None


def warm(store: GraphStore, *, max_elements: int | None = None) -> None:
    """Keep a snapshot of this store from now on (the app, when it opens its store), bounded by ``max_elements``;
    the first build starts now. A store never warmed gets none: a command that reads once and exits answers with
    Cypher and starts no whole-graph read behind it."""
    _holder(store, max_elements).wanted = True
    current(store)


def kept(store: GraphStore) -> bool:
    """Whether snapshots of this store are kept (it was ``warm``ed)."""
    return _holder(store).wanted


def ready(store: GraphStore, timeout_s: float) -> Topology | None:
    """Wait up to ``timeout_s`` for the store's snapshot, warming it first (tests and benchmarks; never a page)."""
    _holder(store).wanted = True
    deadline = time.monotonic() + timeout_s
    while True:
        snapshot = current(store)
        if snapshot is not None or time.monotonic() >= deadline:
            return snapshot
        holder = _holder(store)
        thread = holder.building
        if thread is not None:
            thread.join(max(0.0, min(deadline - time.monotonic(), FRESH_S)))
        elif holder.refused or holder.epoch is None:
            return None
        else:
            time.sleep(0.01)


@atexit.register
def _let_builds_finish() -> None:
    """A build reads the embedded store in LadybugDB's own threads: a process that ended under it aborted
    (``terminate called without an active exception``, exit 134; tests whose last step opened the app). An ending
    process waits for the running builds, up to ``EXIT_WAIT_S``."""
    deadline = time.monotonic() + EXIT_WAIT_S
    with _holders_lock:
        running = [holder.building for holder in _holders.values() if holder.building is not None]
    for thread in running:
        thread.join(max(0.0, deadline - time.monotonic()))


def _start(store: GraphStore, holder: _Holder) -> None:
    with holder.lock:
        if not holder.wanted or holder.building is not None or holder.refused or holder.epoch is None:
            return
        if holder.failed and holder.failed[0] == holder.epoch and time.monotonic() - holder.failed[1] < RETRY_S:
            return
        thread = threading.Thread(target=_build_into, args=(store, holder), name="ckg-topology", daemon=True)
        holder.building = thread
    thread.start()


def _build_into(store: GraphStore, holder: _Holder) -> None:
    try:
        snapshot = build(store, holder.max_elements)
    except TopologyTooLargeError as exc:
        detail_zh, detail_en = noted(exc)  # the detail in each half's language
        log.warning(
            "%s不建拓扑快照（路径查询改用 Cypher）%s / no topology snapshot for %s (paths run as Cypher): %s",
            *(STORE_ZH.get(store.backend, store.backend), detail_zh, store.backend, detail_en),
        )
        with holder.lock:
            holder.refused = True
    except Exception as exc:  # a build is an optimisation: any failure leaves the Cypher answering
        detail_zh, detail_en = noted(exc)  # the detail in each half's language
        log.warning(
            "%s的拓扑快照构建失败（路径查询改用 Cypher）%s / topology build failed for %s (paths run as Cypher): %s",
            *(STORE_ZH.get(store.backend, store.backend), detail_zh, store.backend, detail_en),
        )
        with holder.lock:
            holder.failed = (holder.epoch, time.monotonic())
    else:
        with holder.lock:
            holder.snapshot = snapshot
    finally:
        with holder.lock:
            holder.building = None
