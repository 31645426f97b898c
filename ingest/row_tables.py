"""The rows an ingest writes, gathered into Arrow tables as they are made: one per node label, one per relationship
type and its two ends' labels (graph/arrow_rows.py says why).

A row is a dict only while it is made (and its hash taken); ``ROW_BATCH`` of them at a time become Arrow columns.
Most ties' rows are made as columns straight away (ingest/build.py: ``relationship_rows``) and added as a batch.
Given a file to spill to, a builder writes each batch there as it is made and gives its table back mapped from that
file: the tables (2.3 GB at scale 150) then wait for the write in the page cache, which the system can drop and read
again, rather than in the process's own memory beside the records they are made from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc

from graph.errors import ClusterKGError, apart
from graph.mapped_tables import mapped_table

# A firm's row waits with its claims' JSON and its checked copy: at scale 50 the node rows' step peaked at 1,279 MB
# with batches of 20,000 rows and at 1,188 MB with 5,000 (one run each, the whole pipeline sampled).
ROW_BATCH = 5_000

RelGroup = tuple[str, str, str]  # type, from label, to label
NodeTables = dict[str, pa.Table]  # label → every property of the class, one row per node
RelTables = dict[RelGroup, pa.Table]  # group → from_id, to_id, every relationship property


# Checks a batch of rows and gives them back with their values in the store's types, or raises SchemaError
# (graph/row_checks.py: ``prepare_node_rows``): Arrow's own conversion would take a string for a list as its characters.
RowCheck = Callable[[list[Mapping[str, Any]]], list[dict[str, Any]]]


class SpillError(ClusterKGError):
    """The folder a run's tables wait in cannot take them (full, read-only): TMPDIR names another."""


class TableBuilder:
    """Rows in, one Arrow table out: rows wait as dicts until ``ROW_BATCH`` of them are checked and become a record
    batch, kept in memory or written to ``spill`` (an Arrow IPC file, read back memory-mapped). A batch made as
    columns (``add_batch``) goes the same way, after the rows added before it."""

    def __init__(self, schema: pa.Schema, check: RowCheck, spill: Path | None = None) -> None:
        self.schema = schema
        self.check = check
        self.spill = spill
        self._rows: list[Mapping[str, Any]] = []
        self._batches: list[pa.RecordBatch] = []
        self._writer: pa.ipc.RecordBatchFileWriter | None = None

    def add(self, row: Mapping[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= ROW_BATCH:
            self._flush()

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """Rows made as columns, checked as ``check`` checks rows (each value of its column's type, no key twice),
        after the rows added before them."""
        self._flush()
        self._put(batch)

    def _flush(self) -> None:
        if not self._rows:
            return
        batch = pa.RecordBatch.from_pylist(self.check(self._rows), schema=self.schema)
        self._rows = []
        self._put(batch)

    def _put(self, batch: pa.RecordBatch) -> None:
        if self.spill is None:
            self._batches.append(batch)
            return
        try:
            if self._writer is None:
                self._writer = pa.ipc.new_file(str(self.spill), self.schema)
            self._writer.write_batch(batch)
        except OSError as exc:
            raise _no_room(self.spill, exc) from exc

    def table(self) -> pa.Table:
        self._flush()
        if self._writer is not None and self.spill is not None:
            try:
                self._writer.close()
            except OSError as exc:
                raise _no_room(self.spill, exc) from exc
            self._writer = None
            return mapped_table(self.spill)  # zero-copy: its pages are loaded as they are read
        table = pa.Table.from_batches(self._batches, schema=self.schema)
        self._batches = []
        return table


def _no_room(spill: Path, exc: OSError) -> SpillError:
    zh, en = apart(exc)
    detail_zh = f"（{zh}）" if zh else ""
    return SpillError(
        f"本次导入的行表无法写入 {spill.parent}{detail_zh}；未作任何更改。请把 TMPDIR 设为一个空间足够的磁盘上的文件夹"
        f"（约与存储一样大） / the run's tables cannot be written to {spill.parent} ({en}); nothing was changed. "
        "Set TMPDIR to a folder on a disk with room: about as much as the store takes"
    )


def node_file(spill: Path, label: str) -> Path:
    """The file a label's node table is spilled to, in a run's folder."""
    return spill / f"nodes-{label}.arrow"


def tie_file(spill: Path, group: RelGroup) -> Path:
    """The file a relationship group's table is spilled to, in a run's folder."""
    return spill / f"ties-{'-'.join(group)}.arrow"


def spilled_again(spill: Path, labels: list[str], groups: list[RelGroup]) -> tuple[NodeTables, RelTables]:
    """The node and tie tables another process spilled to ``spill`` (ingest/collect_apart.py), mapped here."""
    return (
        {label: mapped_table(node_file(spill, label)) for label in labels},
        {group: mapped_table(tie_file(spill, group)) for group in groups},
    )


def tables(builders: Mapping[Any, TableBuilder]) -> Iterator[tuple[Any, pa.Table]]:
    """Each builder's table, leaving out those that got no row."""
    for key, builder in builders.items():
        table = builder.table()
        if table.num_rows:
            yield key, table


def stamped(table: pa.Table, run_id: str) -> pa.Table:
    """The table with every row's ``ingest_run`` set to this run (one repeated value, not a list of them), added
    where the table lacks the column (a changed tie's part holds only its differing columns)."""
    stamp = pa.repeat(pa.scalar(run_id, pa.string()), table.num_rows)
    where = table.schema.get_field_index("ingest_run")
    return table.set_column(where, "ingest_run", stamp) if where >= 0 else table.append_column("ingest_run", stamp)


def row_count(tables: Mapping[Any, pa.Table]) -> int:
    return sum(int(t.num_rows) for t in tables.values())
