"""One writer or many readers on an embedded database file, across processes and threads.

LadybugDB has no isolation between processes: a reader that keeps the file open while another process
writes it sees the old state forever (its cached pages), or, where its cache misses, a mix of old and new
pages. The gate closes both holes: a writer holds an exclusive ``flock`` on the file while it writes (a
whole ingest's write phase, through ``EmbeddedStore.transaction``); a reader holds a shared one while it
reads, and before reading reopens its database when the file changed since it opened it. So a reader sees
the graph before an ingest or after it, never a third state; while the write lasts it waits (up to
``timeout_s``).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from graph.errors import StoreError

Version = tuple[int, ...]


class FileGate:
    def __init__(self, path: Path, timeout_s: float = 120.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._fd: int | None = None
        self._state = threading.Condition()
        self._readers = 0  # threads of this process reading under the shared lock
        self._acquire = threading.Lock()
        self._shared_held = False
        self._write_depth = 0
        self._writer: int | None = None  # the thread holding the write lock
        self._write_lock = threading.Lock()  # one writing thread of this process at a time

    def version(self) -> Version:
        """What a reader compares to tell that a writer changed the database since it opened it."""
        parts: list[int] = []
        for path in (self.path, Path(f"{self.path}.wal")):
            try:
                st = path.stat()
            except FileNotFoundError:
                parts.extend((0, 0, 0))
                continue
            parts.extend((st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(parts)

    def _descriptor(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        return self._fd

    def _flock(self, mode: int, what: tuple[str, str]) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(self._descriptor(), mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    zh, en = what
                    # a writer waits for readers and writers; a reader for a writer only
                    doing_zh, doing_en = (
                        ("读取或写入", "reading or writing") if mode == fcntl.LOCK_EX else ("写入", "writing")
                    )
                    raise StoreError(
                        f"{zh}：另一个进程（也许是 ingest）{doing_zh} {self.path.name} 已超过 {self.timeout_s:.0f} 秒，"
                        f"请等它结束后再试 / {en}: another process is {doing_en} {self.path.name} (an ingest?) for "
                        f"over {self.timeout_s:.0f} s; try again when it has finished"
                    ) from None
                time.sleep(0.05)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Exclusive for the block (re-entrant in the thread that holds it)."""
        me = threading.get_ident()
        with self._state:
            if self._writer == me:
                self._write_depth += 1
                nested = True
            else:
                nested = False
        if nested:
            try:
                yield
            finally:
                with self._state:
                    self._write_depth -= 1
            return
        # another thread of this process first: a flock on the one descriptor is granted to every thread at once
        if not self._write_lock.acquire(timeout=self.timeout_s):
            raise StoreError(
                f"无法写入内嵌存储 {self.path.name}：本进程的另一线程写入它已超过 {self.timeout_s:.0f} 秒 / "
                f"cannot write the embedded store {self.path.name}: "
                f"another thread of this process kept writing it for over {self.timeout_s:.0f} s"
            )
        try:
            self._flock(fcntl.LOCK_EX, ("无法写入内嵌存储", "cannot write the embedded store"))
            with self._state:
                self._writer, self._write_depth = me, 1
            try:
                yield
            finally:
                with self._state:
                    self._writer, self._write_depth = None, 0
                fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
        finally:
            self._write_lock.release()

    @contextmanager
    def writing_if_free(self) -> Iterator[bool]:
        """Exclusive for the block if no thread or process holds the file now (True); otherwise no lock (False),
        without waiting."""
        if not self._write_lock.acquire(blocking=False):
            yield False
            return
        try:
            try:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
        finally:
            self._write_lock.release()

    @contextmanager
    def reading(self, stale: Callable[[], bool], reopen: Callable[[], None]) -> Iterator[None]:
        """Shared for the block; reopens the database first when it is stale and no other thread reads."""
        with self._state:
            self._readers += 1
        try:
            with self._acquire:  # one thread takes the shared lock for all the readers of this process
                if not self._shared_held:
                    self._flock(fcntl.LOCK_SH, ("无法读取内嵌存储", "cannot read the embedded store"))
                    self._shared_held = True
            with self._state:
                if stale():
                    while self._readers > 1:  # the others finish on the old database, then it is replaced
                        self._state.wait(0.05)
                    if stale():
                        reopen()
            yield
        finally:
            with self._acquire, self._state:
                self._readers -= 1
                if self._readers == 0 and self._shared_held:
                    fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
                    self._shared_held = False
                self._state.notify_all()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
