"""A first load's name index (graph/name_index.py), built from the run's own node tables while the run goes on.

After a write, an index not in step with the graph is rebuilt whole, read back from the store: at scale 150, 28 s
after the commit of a first load, with one of the two cores idle. Into a store that holds no entity yet, a run
writes every row of its node tables and drops nothing, so those tables are exactly what the index will hold. A
thread builds it from them while the run makes its tie rows and writes (SQLite lets go of the GIL while it
inserts). After the commit the file gets the new epoch and is renamed into place; if the run stops or fails
first, the file is deleted. A store that holds entities is followed as before (``name_index.follow_write``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph import name_index
from graph.errors import noted
from graph.schema import Schema
from graph.store import GraphStore

log = logging.getLogger(__name__)

_NAMES = ("id", "name_zh", "name_en", "aliases")  # the columns the index reads (``name_index._entity_names``)
_BATCH = 20_000


class _StoppedError(Exception):
    """The run ended before the index was built: the thread stops at its next batch."""


def table_rows(table: pa.Table, stop: threading.Event | None = None) -> Iterator[dict[str, Any]]:
    """A node table's rows as the index reads them from the store: id, names, aliases and ``size`` of ``name_zh``
    (the store's size() of a string counts its characters, as ``len`` does; a test compares the two files)."""
    names = [name for name in _NAMES if name in table.column_names]
    for batch in table.select(names).to_batches(max_chunksize=_BATCH):
        if stop is not None and stop.is_set():
            raise _StoppedError
        for row in batch.to_pylist():
            name_zh = row.get("name_zh")
            row["size"] = None if name_zh is None else len(name_zh)
            yield row


class IndexAhead:
    """The index of these tables, being built in a thread into a file beside ``path``: ``install`` puts it in place
    after the write committed, ``discard`` deletes it (and is a no-op after ``install``)."""

    def __init__(self, path: Path, tables: Mapping[str, pa.Table]) -> None:
        self.path = path
        self._tables = dict(tables)  # the same columns, kept alive (their mappings) until the thread is done
        self._stop = threading.Event()
        self._built: Path | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, name="name-index-ahead", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            entities = ((label, table_rows(table, self._stop)) for label, table in self._tables.items())
            self._built, count = name_index.build_file(self.path, entities)
            log.info("name index of %d entities built beside the run", count)
        except _StoppedError:
            pass
        except Exception as exc:  # told by ``install``, which then leaves the index to ``follow_write``
            self._error = exc
        finally:
            self._tables = {}

    def install(self, epoch: str) -> bool:
        """Wait for the build and put the index in place at ``epoch``; False when it failed (the caller rebuilds
        it from the store)."""
        self._thread.join()
        if self._built is None:
            log.warning(
                "与导入同时构建的名称索引失败%s：改从存储重建 / "
                "the name index built beside the run failed (%s): rebuilt from the store",
                *noted(self._error),
            )
            return False
        name_index.install(self._built, self.path, epoch)
        self._built = None  # in its place: nothing for ``discard`` to delete (kept till here, it is if this failed)
        log.info("name index %s in place at epoch %s", self.path, epoch)
        return True

    def discard(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._built is not None:
            self._built.unlink(missing_ok=True)
            self._built = None


def start(store: GraphStore, tables: Mapping[str, pa.Table]) -> IndexAhead | None:
    """The index built ahead from a run's node tables (label → table), when the store keeps an index file and
    holds no entity yet; None otherwise."""
    path = ahead_path(store)
    return None if path is None else start_at(path, store.schema, tables)


def ahead_path(store: GraphStore) -> Path | None:
    """The store's index file, when a run's node tables are what it will hold: the store keeps one and holds no
    entity yet; None otherwise."""
    path = name_index.sidecar_path(store)
    if path is None:
        return None
    labels = [cls.name for cls in store.schema.entity_classes]  # schema names, pasted as labels
    if any(store.read_in_write(f"MATCH (n:{label}) RETURN n.id AS id LIMIT 1") for label in labels):
        return None
    return path


def start_at(path: Path, schema: Schema, tables: Mapping[str, pa.Table]) -> IndexAhead:
    """The index of these node tables, built ahead for the index file ``path`` (``ahead_path``)."""
    labels = [cls.name for cls in schema.entity_classes]
    return IndexAhead(path, {label: tables[label] for label in labels if label in tables})
