"""The rows of a ``COPY`` handed to LadybugDB as a Parquet file, not as an Arrow table.

Given an Arrow table, LadybugDB's ``COPY`` needs every row resident at once: at scale 150 the firms' 2.27 M
``IN_CLUSTER`` ties are a 516 MB table (its repeated texts written out row by row), on top of what the copy itself
holds; the large copies are the load's peak. The same rows as a Parquet file are 25 MB (each column's repeated values
kept once), which LadybugDB reads a row group at a time: alone, that copy peaked 710 MB lower and took no longer,
with about 0.5 s to write the file; in the whole load the peak fell by about 260 MB (docs/SCALE.md). Row groups are
small (LadybugDB holds more of a large one), and the pages of a table mapped from the run's spilled files are let go
of as they are written.

LadybugDB takes a file only as a literal in the statement (a parameter must be a table), so the file's path is put
in the text: it is a temporary file's, and one with a character that would need quoting is not used (the rows then
go as an Arrow table, as before). A run killed during a copy leaves its file behind: the next copy removes the files
of processes that are gone.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from graph import leftovers
from graph.errors import noted
from graph.mapped_tables import let_go_of_read_pages

log = logging.getLogger(__name__)

PREFIX = "clusterkg-copy-"  # then the process's tag (graph/leftovers.py), a dash and a random part
ROW_GROUP = 8_192  # rows a row group at most; LadybugDB reads the file a row group at a time
LET_GO_ROWS = 65_536  # rows written between two lets-go of the table's read pages
# the characters a path may hold to be written into a statement as it is (no quote, backslash, space or glob)
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./+-]+")


@contextmanager
def parquet_for_copy(table: pa.Table, folder: Path | None = None) -> Iterator[str | None]:
    """The table as a temporary Parquet file, whose path is yielded for a ``COPY … FROM '<path>'`` and which is
    removed afterwards; None when no such file could be written (a folder that is full, read-only, or whose path
    would need quoting), and the caller copies the table itself."""
    where = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    leftovers.sweep(where, PREFIX)
    try:
        handle, name = tempfile.mkstemp(prefix=f"{PREFIX}{leftovers.tag()}-", suffix=".parquet", dir=where)
    except OSError as exc:
        detail_zh, detail_en = noted(exc)  # the detail in each half's language
        log.warning(
            "无法在 %s 建立 COPY 用的 Parquet 文件%s，各行改以 Arrow 表传入 / "
            "no Parquet file for a COPY in %s (%s): the rows go as an Arrow table",
            *(where, detail_zh, where, detail_en),
        )
        yield None
        return
    os.close(handle)
    path = Path(name)
    try:
        yield name if _plain(name) and _written(table, path) else None
    finally:
        path.unlink(missing_ok=True)


def path_literal(name: str) -> str:
    """The file's path as a literal for a ``COPY`` statement, where LadybugDB takes a file no other way (a parameter
    must be a table): only a path of plain characters, which needs no quoting and is no pattern."""
    if not _PLAIN_PATH.fullmatch(name):
        raise ValueError(f"a path that would need quoting in a statement: {name!r}")
    return f"'{name}'"


def _plain(name: str) -> bool:
    if _PLAIN_PATH.fullmatch(name):
        return True
    log.info("the temporary folder's path %r needs quoting: a COPY's rows go as an Arrow table", name)
    return False


def _written(table: pa.Table, path: Path) -> bool:
    """Whether the table's rows are now in the file (snappy: smaller than none, and as quick to write and read)."""
    try:
        with pq.ParquetWriter(path, table.schema, compression="snappy") as writer:
            since_let_go = 0
            for batch in table.to_batches():
                for start in range(0, batch.num_rows, ROW_GROUP):
                    writer.write_batch(batch.slice(start, ROW_GROUP))
                since_let_go += batch.num_rows
                if since_let_go >= LET_GO_ROWS:  # a look at every buffer of the table: not after each batch
                    let_go_of_read_pages(table)
                    since_let_go = 0
    except OSError as exc:
        detail_zh, detail_en = noted(exc)  # the detail in each half's language
        log.warning(
            "无法写入 %s%s，各行改以 Arrow 表传入 / could not write %s (%s): the rows go as an Arrow table",
            *(path, detail_zh, path, detail_en),
        )
        return False
    return True
