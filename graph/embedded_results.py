"""What LadybugDB answers, as plain Python: result rows, values in the Neo4j store's shape, and errors in
words a user can act on. Shared by the embedded store's reads and writes (graph/embedded_store.py,
graph/embedded_writes.py)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import ladybug

DISK_FULL = (
    "存放内嵌存储的磁盘已满；已提交的内容不会丢失：请腾出空间后再次运行同一条 `ckg ingest`，它会完成中断的写入 / "
    "the disk holding the embedded store is full (No space left on device). Nothing committed is lost: free "
    "some space, then run the same `ckg ingest` again — it finishes the interrupted write"
)
RECOVERY_PENDING = (
    "内嵌存储有一次已提交、但检查点未完成的写入（磁盘已满或进程被终止）；"
    "请在磁盘有空间时运行一次 `ckg ingest` 完成它 / "
    "the embedded store has a committed write whose checkpoint did not finish (a full disk or a killed "
    "process); run `ckg ingest` once (with space on the disk) to complete it"
)
POOL_TOO_SMALL = (
    "缓冲池太小：请调大 CLUSTERKG_BUFFER_POOL_MB（默认为内存的四分之一，1–8 GiB）后再次运行，已提交的内容不会丢失 / "
    "the buffer pool is too small for this step: raise CLUSTERKG_BUFFER_POOL_MB (by default a quarter of the "
    "memory, 1–8 GiB) and run it again; nothing committed is lost"
)


def plain_error(exc: Exception) -> str:
    text = str(exc)
    if text.strip() == "Interrupted.":
        return "the query ran past its time limit and was stopped (timeout)"
    if "No space left on device" in text:
        return DISK_FULL
    if "buffer pool is full" in text:
        return f"{text} {POOL_TOO_SMALL}"
    return text


# Column types whose values Arrow hands over exactly as ``get_next`` does (strings, numbers, booleans, lists of
# them): a result of only these is read column by column through Arrow, 3-4x faster than row by row.
PLAIN_TYPE = re.compile(r"(STRING|BOOL|DOUBLE|FLOAT|U?INT(8|16|32|64))(\[\])*")
# Arrow converts every row of a result, the row path stops at the cap: Arrow is faster while a result has at
# most this many times the rows kept (measured: 5,000 rows of 6 columns, 7 ms by Arrow, 30 ms row by row).
ARROW_ROWS_PER_KEPT_ROW = 4


def fetch_rows(
    result: ladybug.QueryResult, columns: list[str], row_cap: int | None
) -> tuple[list[dict[str, Any]], bool]:
    """A read's rows as dicts (at most ``row_cap``; None: all) and whether the cap cut them."""
    count = result.get_num_tuples()
    kept = count if row_cap is None else min(count, row_cap)
    if count and count <= ARROW_ROWS_PER_KEPT_ROW * max(kept, 1) and _plain(result.get_column_data_types()):
        table = result.get_as_arrow(count).slice(0, kept)
        values = [column.to_pylist() for column in table.columns]
        return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)], kept < count
    rows: list[dict[str, Any]] = []
    while result.has_next():
        if row_cap is not None and len(rows) >= row_cap:
            return rows, True
        rows.append({c: to_python(v) for c, v in zip(columns, result.get_next(), strict=True)})
    return rows, False


def _plain(types: list[str]) -> bool:
    return all(PLAIN_TYPE.fullmatch(t) for t in types)


def all_rows(result: Any) -> list[list[Any]]:
    rows = []
    while result.has_next():
        rows.append(result.get_next())
    return rows


def to_python(value: Any) -> Any:
    """Nodes, relationships and paths as plain dicts, the same shape the Neo4j store returns."""
    if isinstance(value, dict):
        keys = {k.upper() for k in value if k.startswith("_")}
        props = {k: to_python(v) for k, v in value.items() if not k.startswith("_") and v is not None}
        label = value.get("_LABEL", value.get("_label"))
        if {"_SRC", "_DST", "_LABEL"} <= keys:
            return {"_type": label, **props}
        if {"_ID", "_LABEL"} <= keys:
            return {"_label": label, **props}
        if {"_NODES", "_RELS"} <= keys:
            nodes = value.get("_NODES", value.get("_nodes")) or []
            rels = value.get("_RELS", value.get("_rels")) or []
            return {"nodes": [to_python(n) for n in nodes], "relationships": [to_python(r) for r in rels]}
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, Decimal):  # sum() of integers comes back as DECIMAL; Neo4j gives an int
        return int(value) if value == value.to_integral_value() else float(value)
    return value
