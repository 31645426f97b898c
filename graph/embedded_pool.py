"""Connections to one LadybugDB database, each lent to one read at a time.

A LadybugDB query timeout is a setting of the connection, applied to the next query run on it: reads that share
one connection across threads ran with each other's limit, or with none (8 threads, limits of 0.2 s: reads ran
to completion for seconds). A read here borrows a connection of its own for its whole length, sets its own limit
on it and gives it back. A pool rather than one connection per thread: Streamlit runs every script run of every
session in a new thread, so per-thread connections would pile up; the pool keeps a few idle ones and makes more
when more reads run at once.

LadybugDB runs the work of every query on one pool of worker threads per database, first come first served. With
as many workers as cores (its default) a long read holds them all, and a read queued behind it cannot even stop
at its time limit (measured: 4.8 s past a 0.25 s limit). So the database gets more workers than cores
(``QUERY_WORKERS``) and each query at most ``CORES`` of them: a lone query still uses every core, and many reads
run at once, each stopped at its own limit (bench/concurrency.py measures it against one lock).

At most ``MAX_RUNNING`` reads (one per core) execute at once; the others wait for a slot, within their own time
limit. A read that a thread makes while it still consumes one of its own streamed reads uses that read's slot: two
threads doing so with one slot each would otherwise wait for each other forever. Every running query holds its
intermediate results in the one buffer pool: at a million nodes, eight threads reading whole clusters filled a
6 GB pool with four reads running at once ("buffer pool is full", 42 of 50 reads), and with two at once none
failed; on two cores more queries at once would only share the CPU more thinly.

An idle connection holds buffer-pool memory of the reads it ran until it is closed (its driver keeps every statement
it prepared, with its plan): after a re-run read the stored graph page by page at scale 150, the idle connections
held so much of a 3 GiB pool that the write that followed could not checkpoint ("the buffer pool is full"); with
them closed it passed (tests/test_pool_memory.py shows it small). So a read of a whole table's page is not kept
(``lend(keep=False)``), and a write starts by closing the idle connections (``let_go_of_idle``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import ladybug

from graph.errors import QueryRejectedError, StoreError

KEEP_IDLE = 8  # idle connections kept for the next reads; more are made while more reads run at once
CORES = os.cpu_count() or 2
QUERY_WORKERS = max(32, 4 * CORES)  # the database's worker threads (they sleep when idle)
MAX_RUNNING = max(2, CORES)  # reads executing at once
WAITED = (
    "查询在排队等待同时最多运行的 {n} 个读取之一结束时超过了时间上限，已停止；请稍后重试 / "
    "the query ran past its time limit and was stopped (timeout) while it waited for one of the {n} reads that may "
    "run at once to finish"
)


class ConnectionPool:
    def __init__(
        self, database: ladybug.Database, *, keep_idle: int = KEEP_IDLE, max_running: int | None = None
    ) -> None:
        max_running = MAX_RUNNING if max_running is None else max_running
        self._database = database
        self._keep_idle = keep_idle
        self._slots = threading.BoundedSemaphore(max_running)
        self._held: dict[int, int] = {}  # thread → its reads running now: a nested read reuses its thread's slot
        self._max_running = max_running
        self._idle: list[ladybug.Connection] = []
        self._lent: set[ladybug.Connection] = set()
        self._lending = 0  # connections being taken from the idle ones or made, not lent yet
        self._lock = threading.RLock()  # a stream closed by the garbage collector may run its finally inside it
        self._closed = False

    @contextmanager
    def lend(self, timeout_s: float | None, *, keep: bool = True) -> Iterator[ladybug.Connection]:
        """A connection for one read, with its time limit set (None: no limit), back in the pool afterwards (closed
        instead unless ``keep``); the wait for a free slot counts against the limit."""
        started = time.monotonic()
        thread = threading.get_ident()  # kept: an abandoned stream may be closed later by another thread
        with self._lock:
            nested = self._held.get(thread, 0) > 0  # a read inside this thread's own streamed read: no new slot
        if not nested and not self._slots.acquire(timeout=timeout_s):  # None: as long as it takes (a whole pull)
            raise QueryRejectedError(WAITED.format(n=self._max_running))
        with self._lock:
            self._held[thread] = self._held.get(thread, 0) + 1
        try:
            remaining = None if timeout_s is None else max(0.001, timeout_s - (time.monotonic() - started))
            with self._lent_connection(remaining, keep) as conn:
                yield conn
        finally:
            with self._lock:
                self._held[thread] -= 1
                if not self._held[thread]:
                    del self._held[thread]
            if not nested:
                self._slots.release()

    @contextmanager
    def _lent_connection(self, timeout_s: float | None, keep: bool) -> Iterator[ladybug.Connection]:
        with self._lock:
            if self._closed:
                raise StoreError("内嵌存储已关闭 / the embedded store is closed")
            conn = self._idle.pop() if self._idle else None
            self._lending += 1  # counted from here: the database is not replaced under a connection being made
        try:
            if conn is None:
                conn = ladybug.Connection(self._database, num_threads=CORES)
            with self._lock:
                self._lent.add(conn)
        finally:
            with self._lock:
                self._lending -= 1
        # Applied by LadybugDB before the next query on this connection, which only this read uses.
        conn.set_query_timeout(0 if timeout_s is None else max(1, round(timeout_s * 1000)))
        try:
            yield conn
        finally:
            with self._lock:
                self._lent.discard(conn)
                keep = keep and not self._closed and len(self._idle) < self._keep_idle
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def let_go_of_idle(self) -> None:
        """Close the idle connections (the next reads make new ones): each holds buffer-pool memory of the statements
        it ran (the module's docstring)."""
        with self._lock:
            connections, self._idle = self._idle, []
        for conn in connections:
            conn.close()

    def reopen_if_unused(self, reopen: Callable[[], ladybug.Database]) -> bool:
        """Close the idle connections and lend from the database ``reopen`` gives (it closes this one) from then on,
        only if no connection is lent or being made; whether it did. Reads that start meanwhile wait for it."""
        with self._lock:
            if self._lent or self._lending:
                return False
            connections, self._idle = self._idle, []
            for conn in connections:
                conn.close()
            self._database = reopen()
            return True

    def close(self) -> None:
        """Close every connection, idle or lent (a query running on a lent one is interrupted)."""
        with self._lock:
            self._closed = True
            connections = self._idle + list(self._lent)
            self._idle, self._lent = [], set()
        for conn in connections:
            conn.close()
