"""Opening an embedded database file: the recoveries a crash or a full disk calls for, and the clean-up of a table a
killed replacement left.

- A process killed mid-write leaves a write-ahead log whose last record is torn: the file opens with its committed
  transactions replayed up to the damage (a copy of the log kept), or without the log if even that fails.
- A reader that finds a committed write whose checkpoint did not finish (the disk was full when a load ended)
  opens the file read-write once, which completes it.
- ``replace_relationship_type`` copies a type's ties into a table beside the type's (``STAGED``), then swaps the
  two. A process killed before the swap leaves that table, and every pattern without a type matches its ties: a
  firm's edges then showed each tie twice, once under ``IN_CLUSTER__replacing``. The next write drops it
  (``setup_schema``); a read-only open drops it first, when the writers' lock on the file is free
  (graph/file_gate.py), which means no replacement is under way, and this process does not hold the file open
  read-write: it opens the file read-write for a moment, as the checkpoint's recovery does.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Collection
from pathlib import Path
from typing import Any

import ladybug

from graph.embedded_results import DISK_FULL, RECOVERY_PENDING, all_rows
from graph.embedded_writes import STAGED
from graph.errors import StoreError, led, noted
from graph.file_gate import FileGate

log = logging.getLogger(__name__)

# Files this process holds open read-write. LadybugDB's own lock keeps another process's writer from opening a file
# read-write beside one, not a second open in the same process: that replayed and deleted the first one's log.
_WRITABLE_HERE: Counter[Path] = Counter()

# ladybug picks its native library on a process's first Database(), unguarded: a thread opening another file at the
# same moment finds the choice begun but not made and fails ("Could not find lbug C API shared library": 2-3 of 4
# threads of a fresh process). The first opens take turns until one has succeeded.
_FIRST_OPEN = threading.Lock()
_LIBRARY_CHOSEN = threading.Event()


def _database(path: Path, **kwargs: Any) -> ladybug.Database:
    if not _LIBRARY_CHOSEN.is_set():
        with _FIRST_OPEN:
            if not _LIBRARY_CHOSEN.is_set():  # threads that waited here open side by side once it is made
                database = ladybug.Database(str(path), **kwargs)
                _LIBRARY_CHOSEN.set()
                return database
    return ladybug.Database(str(path), **kwargs)


def _wal_error(exc: Exception) -> bool:
    """A write-ahead log that cannot be replayed: torn by a kill mid-write, or left from another database file."""
    text = str(exc).lower()
    # a record cut short at the very end reads past the end of the file (a kill test met it once in CI)
    return "wal" in text and any(word in text for word in ("does not match", "corrupt", "checksum", "past the end"))


def open_database(path: Path, kwargs: dict[str, Any]) -> ladybug.Database:
    """The database at ``path`` opened with ``kwargs`` (``read_only`` among them), recovered as it needs."""
    try:
        return _database(path, **kwargs)
    except RuntimeError as exc:
        if "recovery is pending" in str(exc) and kwargs.get("read_only"):
            return _recover_then_open(path, kwargs)
        if "No space left on device" in str(exc):
            raise StoreError(cannot_open(path, DISK_FULL)) from exc
        wal = Path(f"{path}.wal")
        if not (_wal_error(exc) and wal.exists()):
            raise StoreError(cannot_open(path, str(exc))) from exc
        first_error = exc
    # Its committed transactions come first: replay up to the damage (the torn, uncommitted tail is dropped).
    kept = wal.with_name(f"{wal.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    shutil.copyfile(wal, kept)
    try:
        database = _database(path, throw_on_wal_replay_failure=False, **kwargs)
    except RuntimeError:
        wal.unlink()
        detail_zh, detail_en = noted(first_error)  # the detail in each half's language
        log.warning(
            "无法重放 %s%s；副本在 %s；已在不重放它的情况下打开 / "
            "could not replay %s (%s); a copy is at %s; opened without it",
            *(wal, detail_zh, kept, wal, detail_en, kept),
        )
        return _database(path, **kwargs)
    detail_zh, detail_en = noted(first_error)  # the detail in each half's language
    log.warning(
        "已重放 %s 的预写日志直至损坏处%s；副本在 %s / "
        "replayed the write-ahead log of %s up to its damage (%s); a copy is at %s",
        *(path, detail_zh, kept, path, detail_en, kept),
    )
    return database


def cannot_open(path: Path, reason: str) -> str:
    """Why the store at ``path`` cannot be opened: ``reason`` ClusterKG's own ("中文 / English") in both languages,
    or the library's words once, after the English."""
    return led(f"无法打开位于 {path} 的内嵌存储", f"cannot open the embedded store at {path}", reason)


def _recover_then_open(path: Path, kwargs: dict[str, Any]) -> ladybug.Database:
    try:
        _database(path, **{**kwargs, "read_only": False}).close()
        database = _database(path, **kwargs)
    except RuntimeError as exc:
        # closing does not say that its checkpoint failed for want of space: the disk's free space does
        pending = any(word in str(exc).lower() for word in ("recovery", "checkpoint"))
        full = "No space left on device" in str(exc) or (pending and _too_little_space_to_recover(path))
        reason = DISK_FULL if full else RECOVERY_PENDING
        raise StoreError(cannot_open(path, f"{reason} ({exc})")) from exc
    log.warning(
        "读取 %s 之前，先完成了它未完成的检查点 / completed the pending checkpoint of %s before reading it", path, path
    )
    return database


def _too_little_space_to_recover(path: Path) -> bool:
    """Less free space than the pending checkpoint writes (the logs and shadow pages it copies in)."""
    pending = 0
    for suffix in (".wal", ".wal.checkpoint", ".shadow", ".tmp"):
        try:
            pending += Path(f"{path}{suffix}").stat().st_size
        except OSError:  # absent, or gone since
            continue
    return shutil.disk_usage(path.parent).free < max(pending, 1 << 20)


def opened_writable(path: Path) -> None:
    _WRITABLE_HERE[path.resolve()] += 1


def closed_writable(path: Path) -> None:
    key = path.resolve()
    _WRITABLE_HERE[key] -= 1
    if _WRITABLE_HERE[key] <= 0:
        del _WRITABLE_HERE[key]


def staged_tables(database: ladybug.Database, rel_types: Collection[str]) -> list[str]:
    """The tables a replacement of one of ``rel_types`` was filling, in the open database."""
    conn = ladybug.Connection(database)
    try:
        tables = {row[0] for row in all_rows(conn.execute("CALL show_tables() RETURN name"))}
    finally:
        conn.close()
    return sorted(f"{rel_type}{STAGED}" for rel_type in rel_types if f"{rel_type}{STAGED}" in tables)


def without_stale_staging(
    database: ladybug.Database, path: Path, kwargs: dict[str, Any], rel_types: Collection[str], gate: FileGate
) -> ladybug.Database:
    """The read-only ``database``, or, where it held a table a killed replacement left and no process writes the
    file, the database opened again (with the recoveries above) without it. Left as it is while a writer holds the
    file (its replacement may be under way), while this process has it open read-write, or when the file cannot be
    opened read-write (logged)."""
    staged = staged_tables(database, rel_types)
    if not staged or path.resolve() in _WRITABLE_HERE:
        return database
    with gate.writing_if_free() as free:
        if not free:
            log.info("left %s in %s: a writer holds the file", ", ".join(staged), path)
            return database
        database.close()
        try:
            _drop_tables(path, kwargs, staged)
            log.warning(
                "已从 %s 删除 %s：它是一次在替换前被终止的重写留下的 / "
                "dropped %s from %s: a replacement killed before its swap had left it",
                *(path, ", ".join(staged), ", ".join(staged), path),
            )
        except RuntimeError as exc:  # another process holds the file open in a way that refuses a writer
            detail_zh, detail_en = noted(exc)  # the detail in each half's language
            log.warning(
                "无法从 %s 删除 %s%s；下一次写入会删除它 / could not drop %s from %s (%s); the next write drops it",
                *(path, ", ".join(staged), detail_zh, ", ".join(staged), path, detail_en),
            )
        return open_database(path, kwargs)  # a torn log or a pending checkpoint is met as at the first open


def _drop_tables(path: Path, kwargs: dict[str, Any], names: list[str]) -> None:
    """The tables dropped through a read-write open of the file (names from the schema's types, not the file)."""
    writer = _database(path, **{**kwargs, "read_only": False})
    conn = ladybug.Connection(writer)
    try:
        for name in names:
            conn.execute(f"DROP TABLE IF EXISTS {name}")
    finally:
        conn.close()
        writer.close()
