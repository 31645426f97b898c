"""A table a killed replacement left (``STAGED``), dropped when a read-only store opens the file and no one writes it.

``replace_relationship_type`` copies a type's ties into a table beside the type's, then swaps the two. A process
killed before the swap leaves that table, and every pattern without a type matches its ties: a firm's edges then
showed each tie twice, once under ``IN_CLUSTER__replacing``. The next write drops it (``setup_schema``); a read-only
open now drops it first, when the writers' lock on the file is free (graph/file_gate.py), which means no
replacement is under way, and this process does not hold the file open read-write: it opens the file read-write for
a moment, as a reader completes a pending checkpoint.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import ladybug

from graph.embedded_results import all_rows
from graph.embedded_writes import STAGED
from graph.file_gate import FileGate

log = logging.getLogger(__name__)

# Files this process holds open read-write. LadybugDB's own lock keeps another process's writer from opening a file
# read-write beside one, not a second open in the same process: that replayed and deleted the first one's log.
_WRITABLE_HERE: Counter[Path] = Counter()


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
    database: ladybug.Database,
    path: Path,
    kwargs: dict[str, Any],
    rel_types: Collection[str],
    gate: FileGate,
    reopen: Callable[[], ladybug.Database],
) -> ladybug.Database:
    """The read-only ``database``, or, where it held a table a killed replacement left and no process writes the
    file, the database opened again (``reopen``: with the store's recoveries) without it. Left as it is while a
    writer holds the file (its replacement may be under way), while this process has it open read-write, or when
    the file cannot be opened read-write (logged)."""
    staged = staged_tables(database, rel_types)
    if not staged or path.resolve() in _WRITABLE_HERE:
        return database
    with gate.writing_if_free() as free:
        if not free:
            log.info("left %s in %s: a writer holds the file", ", ".join(staged), path)
            return database
        database.close()
        try:
            writer = ladybug.Database(str(path), **{**kwargs, "read_only": False})
            try:
                conn = ladybug.Connection(writer)
                try:
                    for name in staged:  # names from the schema's relationship types, not from the file
                        conn.execute(f"DROP TABLE IF EXISTS {name}")
                finally:
                    conn.close()
            finally:
                writer.close()
            log.warning("dropped %s from %s: a replacement killed before its swap had left it", ", ".join(staged), path)
        except RuntimeError as exc:  # another process holds the file open in a way that refuses a writer
            log.warning("could not drop %s from %s (%s); the next write drops it", ", ".join(staged), path, exc)
        return reopen()  # a torn log or a pending checkpoint is met as at the first open
