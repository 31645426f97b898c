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
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import ladybug

from graph.errors import StoreError

KEEP_IDLE = 8  # idle connections kept for the next reads; more are made while more reads run at once
CORES = os.cpu_count() or 2
QUERY_WORKERS = max(32, 4 * CORES)  # the database's worker threads (they sleep when idle)


class ConnectionPool:
    def __init__(self, database: ladybug.Database, *, keep_idle: int = KEEP_IDLE) -> None:
        self._database = database
        self._keep_idle = keep_idle
        self._idle: list[ladybug.Connection] = []
        self._lent: set[ladybug.Connection] = set()
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def lend(self, timeout_s: float | None) -> Iterator[ladybug.Connection]:
        """A connection for one read, with its time limit set (None: no limit), back in the pool afterwards."""
        with self._lock:
            if self._closed:
                raise StoreError("the embedded store is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = ladybug.Connection(self._database, num_threads=CORES)
        with self._lock:
            self._lent.add(conn)
        # Applied by LadybugDB before the next query on this connection, which only this read uses.
        conn.set_query_timeout(0 if timeout_s is None else max(1, round(timeout_s * 1000)))
        try:
            yield conn
        finally:
            with self._lock:
                self._lent.discard(conn)
                keep = not self._closed and len(self._idle) < self._keep_idle
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def close(self) -> None:
        """Close every connection, idle or lent (a query running on a lent one is interrupted)."""
        with self._lock:
            self._closed = True
            connections = self._idle + list(self._lent)
            self._idle, self._lent = [], set()
        for conn in connections:
            conn.close()
