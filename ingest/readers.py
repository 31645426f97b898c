"""Readers for CSV, XLSX and JSON: detect the encoding, normalise headers, number the rows.

Row numbers are those a person sees in a spreadsheet: the header is row 1, the first record row 2.
A file that cannot be read at all raises ReadError with the reason; a malformed record becomes an
issue for that row, and the other rows still come through.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from graph.errors import ClusterKGError
from ingest.normalize import clean_header

MAX_CELL = 100_000  # characters; larger cells are cut and reported


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
    rows: list[SourceRow]
    sha256: str
    row_problems: list[tuple[int, str | None, str, str]] = field(default_factory=list)  # row, column, value, reason
    notes: list[str] = field(default_factory=list)


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
        raise ReadError("cannot tell the text encoding (tried UTF-8, GB18030 and detection)")
    return str(best), best.encoding


def read_table(path: Path, *, sheet: str | None = None, fmt: str | None = None) -> Table:
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    data = path.read_bytes()
    if not data.strip():
        raise ReadError(f"{path}: the file is empty")
    digest = hashlib.sha256(data).hexdigest()
    kind = (fmt or path.suffix.lstrip(".")).lower()
    if kind in ("csv", "tsv", "txt"):
        return _read_csv(path, data, digest, delimiter="\t" if kind == "tsv" else ",")
    if kind in ("xlsx", "xlsm"):
        return _read_xlsx(path, data, digest, sheet)
    if kind in ("json", "geojson"):
        return _read_json(path, data, digest)
    raise ReadError(f"{path}: unsupported format {kind!r} (CSV, XLSX or JSON)")


def _header(path: Path, raw: list[Any]) -> tuple[list[str], list[str]]:
    header = [clean_header(str(h)) if h is not None else "" for h in raw]
    notes = []
    if not any(header):
        raise ReadError(f"{path}: the header row is empty")
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name:
            header[i] = f"column_{i + 1}"
            notes.append(f"column {i + 1} has no header; named {header[i]}")
        elif name in seen:
            raise ReadError(f"{path}: header {name!r} appears more than once")
        seen.add(header[i])
    return header, notes


def _cell(value: Any, table: Table, row: int, column: str) -> str:
    text = "" if value is None else str(value)
    if len(text) > MAX_CELL:
        table.row_problems.append((row, column, text[:80], f"cell longer than {MAX_CELL} characters; cut"))
        text = text[:MAX_CELL]
    return text


def _read_csv(path: Path, data: bytes, digest: str, delimiter: str) -> Table:
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: {exc}") from exc
    csv.field_size_limit(10 * MAX_CELL)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        # e.g. a quote left open by a truncated file: read what can be read, report the rest
        records = _lenient_records(text, delimiter)
        if not records:
            raise ReadError(f"{path}: not readable as CSV ({exc})") from exc
    header, notes = _header(path, records[0])
    table = Table(path=path, encoding=encoding, header=header, rows=[], sha256=digest, notes=notes)
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines are not records
        if len(record) != len(header):
            table.row_problems.append(
                (
                    index,
                    None,
                    delimiter.join(record)[:80],
                    f"has {len(record)} fields where the header has {len(header)}",
                )
            )
            continue
        table.rows.append(SourceRow(index, {h: _cell(v, table, index, h) for h, v in zip(header, record, strict=True)}))
    return table


def _lenient_records(text: str, delimiter: str) -> list[list[str]]:
    out: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    with contextlib.suppress(csv.Error):
        out.extend(reader)  # keeps the records before the one that broke
    return out


def _read_xlsx(path: Path, data: bytes, digest: str, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ReadError(f"{path}: not a readable XLSX workbook ({type(exc).__name__})") from exc
    names = workbook.sheetnames
    if sheet is not None and sheet not in names:
        raise ReadError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
    ws = workbook[sheet or names[0]]
    # Merged cells: every cell of the range takes the anchor's value, as a reader of the sheet would.
    merged_values: dict[tuple[int, int], Any] = {}
    for merged in list(ws.merged_cells.ranges):
        anchor = ws.cell(merged.min_row, merged.min_col).value
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                merged_values[(r, c)] = anchor
    grid = [
        [merged_values.get((r, c), ws.cell(r, c).value) for c in range(1, ws.max_column + 1)]
        for r in range(1, ws.max_row + 1)
    ]
    if not grid:
        raise ReadError(f"{path}: sheet {ws.title!r} is empty")
    header, notes = _header(path, grid[0])
    if len(names) > 1:
        notes.append(f"read sheet {ws.title!r}; ignored {', '.join(n for n in names if n != ws.title)}")
    if ws.merged_cells.ranges:
        notes.append(f"{len(ws.merged_cells.ranges)} merged ranges filled from their first cell")
    table = Table(path=path, encoding="xlsx", header=header, rows=[], sha256=digest, notes=notes)
    for index, record in enumerate(grid[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in record):
            continue
        table.rows.append(
            SourceRow(index, {h: _cell(_xlsx_text(v), table, index, h) for h, v in zip(header, record, strict=True)})
        )
    return table


def _xlsx_text(value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2018 as 2018.0
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return None if value is None else str(value)


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


def _read_json(path: Path, data: bytes, digest: str) -> Table:
    text, encoding = decode(data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    records: Any
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        records = [_feature_row(f) for f in doc.get("features", []) if isinstance(f, dict)]
    else:
        records = doc.get("rows", doc.get("data")) if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise ReadError(f"{path}: expected a list of objects (or an object with 'rows')")
    keys: list[str] = []
    for record in records:
        if isinstance(record, dict):
            keys.extend(k for k in record if k not in keys)
    header, notes = _header(path, keys)
    table = Table(path=path, encoding=encoding, header=header, rows=[], sha256=digest, notes=notes)
    for index, record in enumerate(records, start=2):  # record i is "row i+1", as if a header came first
        if not isinstance(record, dict):
            table.row_problems.append((index, None, str(record)[:80], "is not an object"))
            continue
        values = {clean_header(str(k)): v for k, v in record.items()}
        row = {}
        for h in header:
            value = values.get(h)
            if isinstance(value, (dict, list)):
                value = (
                    json.dumps(value, ensure_ascii=False) if not isinstance(value, list) else ";".join(map(str, value))
                )
            row[h] = _cell(value, table, index, h)
        table.rows.append(SourceRow(index, row))
    return table
