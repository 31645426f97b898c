"""Reading a JSON or GeoJSON file of records as a table: its keys are the header, each object a row (a GeoJSON
feature's properties, flattened); refused past MAX_COLUMNS keys or MAX_CELLS cells (ingest/readers.py: ``read_table``
calls ``read_json``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ingest.normalize import clean_header
from ingest.source_table import MAX_CELLS, MAX_COLUMNS, ReadError, SourceRow, Table, cell_text, decode, header_row

MAX_JSON_COLUMNS = MAX_COLUMNS  # distinct keys over all records
MAX_JSON_CELLS = MAX_CELLS  # records × distinct keys


def _feature_row(feature: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature as a flat row: its properties, nested keys joined (``parent_adcode``), and
    ``[lon, lat]`` pairs split into ``*_lon`` / ``*_lat``. The geometry stays in the file (maps read it)."""
    row: dict[str, Any] = {}
    for key, value in (feature.get("properties") or {}).items():
        if isinstance(value, dict):
            row.update({f"{key}_{k}": v for k, v in value.items()})
        elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
            row[f"{key}_lon"], row[f"{key}_lat"] = value
        else:
            row[key] = value
    return row


def read_json(path: Path, data: bytes, digest: str) -> Table:
    text, encoding = decode(data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ReadError(
            f"{path}: JSON 格式有误（第 {exc.lineno} 行第 {exc.colno} 列） / malformed JSON at {where}: {exc.msg}"
        ) from exc
    except RecursionError:
        raise ReadError(f"{path}: JSON 嵌套过深，无法读取 / JSON nested too deeply to read") from None
    records: Any
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        records = [_feature_row(f) for f in doc.get("features", []) if isinstance(f, dict)]
    else:
        records = doc.get("rows", doc.get("data")) if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise ReadError(
            f"{path}: 应为对象列表（或带 'rows' 的对象） / expected a list of objects (or an object with 'rows')"
        )
    header, notes = header_row(path, _json_keys(path, records))
    kept: list[SourceRow] = []
    table = Table(path=path, encoding=encoding, header=header, rows=kept, sha256=digest, notes=notes)
    for index, record in enumerate(records, start=2):  # record i is "row i+1", as if a header came first
        if not isinstance(record, dict):
            table.row_problems.append((index, None, str(record)[:80], "不是对象 / is not an object"))
            continue
        values = {clean_header(str(k)): v for k, v in record.items()}
        row = {}
        for h in header:
            value = values.get(h)
            if isinstance(value, (dict, list)):
                value = _json_cell(value)
            row[h] = _whole_characters(cell_text(value, table, index, h), table, index, h)
        kept.append(SourceRow(index, row))
    return table


# Half of a UTF-16 pair, alone: a JSON text may write one (``"\ud800"``), no other reader's text holds one
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_REPLACED = (
    "单元格含孤立的代理码位（不是字符），已替换为 U+FFFD / "
    "the cell holds a lone surrogate (not a character); replaced by U+FFFD"
)


def _whole_characters(text: str, table: Table, row: int, column: str) -> str:
    """The cell with each lone surrogate replaced, and noted: kept, it stopped the run where the row was hashed."""
    if _LONE_SURROGATE.search(text) is None:
        return text
    replaced = _LONE_SURROGATE.sub("\ufffd", text)
    problems = table.row_problems
    if problems and problems[-1][:2] == (row, column):  # the cell was also cut: one problem with both reasons
        zh, en = problems[-1][3].split(" / ", 1)
        zh_more, en_more = _SURROGATE_REPLACED.split(" / ", 1)
        problems[-1] = (row, column, replaced[:80], f"{zh}；{zh_more} / {en}; {en_more}")
    else:
        problems.append((row, column, replaced[:80], _SURROGATE_REPLACED))
    return replaced


def _json_keys(path: Path, records: list[Any]) -> list[str]:
    """Every record's keys, in the order first met: refused past MAX_JSON_COLUMNS of them, or past MAX_JSON_CELLS
    cells in all (each record becomes a row with a cell for every key)."""
    keys: dict[str, None] = {}  # ordered, and a key looked up at once: a list made this quadratic in the keys
    for record in records:
        if isinstance(record, dict):
            keys.update(dict.fromkeys(record))
            if len(keys) > MAX_JSON_COLUMNS:
                raise ReadError(
                    f"{path}: 记录中不同的键超过 {MAX_JSON_COLUMNS:,} 个 / "
                    f"the records name more than {MAX_JSON_COLUMNS:,} different keys; this reader takes at "
                    f"most {MAX_JSON_COLUMNS:,} columns"
                )
    if len(records) * len(keys) > MAX_JSON_CELLS:
        raise ReadError(
            f"{path}: {len(records):,} 条记录 × {len(keys):,} 个键，超出上限 {MAX_JSON_CELLS:,} 个单元格 / "
            f"{len(records):,} records × {len(keys):,} keys; this reader takes at most {MAX_JSON_CELLS:,} cells"
        )
    return list(keys)


def _json_cell(value: dict[str, Any] | list[Any]) -> str:
    """A nested value as one cell: a list's items joined by ``;``, an object as its JSON text."""
    try:
        return json.dumps(value, ensure_ascii=False) if not isinstance(value, list) else ";".join(map(str, value))
    except RecursionError:  # read, but too deep to write again: as much as a cell shows
        return "(nested too deeply)"
