"""What every reader makes of a file: a table of numbered rows, the header and cell rules, and the error for a file
that cannot be read at all (ingest/readers.py reads CSV; ingest/xlsx_reader.py and ingest/json_reader.py the rest).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from graph.errors import ClusterKGError
from ingest.normalize import clean_header

MAX_CELL = 100_000  # characters; larger cells are cut and reported
# The most columns and cells a spreadsheet or JSON file may give (a 5 KB XLSX can declare a billion cells; a 500 KB
# JSON array whose objects each name another key would be 30,000 rows × 30,000 columns).
MAX_COLUMNS = 1_000
MAX_CELLS = 10_000_000


class ReadError(ClusterKGError):
    """The file as a whole cannot be read (missing, empty, undecodable, not the format it claims)."""


@dataclass(frozen=True)
class SourceRow:
    row: int
    values: dict[str, str]


@dataclass
class Table:
    path: Path
    encoding: str
    header: list[str]
    rows: Collection[SourceRow]  # a list, or for a CSV file its records read as they are asked for
    sha256: str
    row_problems: list[tuple[int, str | None, str, str]] = field(default_factory=list)  # row, column, value, reason
    notes: list[str] = field(default_factory=list)


# the encodings the readers name when they did not guess: a guess may read a mostly Chinese UTF-8 file with one stray
# byte as another script (a whole crosswalk came out Cyrillic, with every row "loaded")
SURE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "utf-16", "gb18030", "xlsx"})


def decode(data: bytes) -> tuple[str, str]:
    """Bytes → text and the encoding used: UTF-8 (with or without BOM), GB18030 (covers GBK), else a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise ReadError(
            "无法判断文本编码（试过 UTF-8、GB18030 与自动检测） / "
            "cannot tell the text encoding (tried UTF-8, GB18030 and detection)"
        )
    return str(best), best.encoding


def header_row(path: Path, raw: list[Any]) -> tuple[list[str], list[str]]:
    header = [clean_header(str(h)) if h is not None else "" for h in raw]
    notes = []
    if not any(header):
        raise ReadError(f"{path}: 表头行是空的 / the header row is empty")
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name:
            header[i] = f"column_{i + 1}"
            notes.append(f"第 {i + 1} 列没有表头，命名为 {header[i]} / column {i + 1} has no header; named {header[i]}")
        elif name in seen:
            raise ReadError(f"{path}: 表头 {name!r} 出现不止一次 / header {name!r} appears more than once")
        seen.add(header[i])
    return header, notes


def cell_text(value: Any, table: Table, row: int, column: str) -> str:
    text = "" if value is None else str(value)
    if len(text) > MAX_CELL:
        text, head = _cut(text)
        table.row_problems.append((row, column, head, _CUT))
    return text


_CUT = f"单元格超过 {MAX_CELL} 个字符，已截断 / cell longer than {MAX_CELL} characters; cut"


@functools.lru_cache(maxsize=16)
def _cut(text: str) -> tuple[str, str]:
    """A long text cut to MAX_CELL, and its first 80 characters for the report: one copy for every cell that holds
    the same text (a merged range filled from one long cell was a 100,000-character copy a cell: 800 MB from 2 KB)."""
    return text[:MAX_CELL], text[:80]
