"""Rows kept as Arrow columns and made into dicts only when read.

A big city's yearly report lists 300,000 key-product rows at scale 150. As Python dicts they took 0.9 s to make and
about 300 MB to keep (the app keeps a report until the graph changes: queries/answer_cache.py); as columns they are
tens of MB, and the report's preview and Word file read only the first 200 (reports/sections.py). The Excel file
reads them all, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import pyarrow as pa

Row = dict[str, Any]
BATCH = 10_000  # rows made into dicts at a time when iterating


class ArrowRows(Sequence[Row]):
    """A read-only sequence of row dicts over an Arrow table (equal to a list holding the same dicts)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            rows: list[Row] = self.table.slice(start, max(stop - start, 0)).to_pylist()
            return rows
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        row: Row = self.table.slice(position, 1).to_pylist()[0]
        return row

    def __iter__(self) -> Iterator[Row]:
        for batch in self.table.to_batches(max_chunksize=BATCH):
            yield from batch.to_pylist()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArrowRows | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by value, like the list it stands for

    def __repr__(self) -> str:
        return f"ArrowRows({len(self)} rows: {', '.join(self.table.column_names)})"
