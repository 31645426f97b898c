"""Readers for CSV, XLSX and JSON: detect the encoding, normalise headers, number the rows.

Row numbers are those a person sees in a spreadsheet: the header is row 1, the first record row 2.
A file that cannot be read at all raises ReadError with the reason; a malformed record becomes an
issue for that row, and the other rows still come through.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from charset_normalizer import from_bytes

from graph.errors import ClusterKGError
from ingest.normalize import clean_header

MAX_CELL = 100_000  # characters; larger cells are cut and reported
# A line as io.StringIO(text, newline="") gives it to the csv module (ended by \r\n, \r or \n), without the copy of
# the whole text it makes, at four bytes a character: 534 MB for the scale-150 firms' file.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# XLSX limits, checked before anything is loaded (a 5 KB file can declare a billion cells).
MAX_XLSX_ROWS = 1_048_576 // 4  # a quarter of Excel's limit: far past any curator's list
MAX_XLSX_COLUMNS = 1_000
MAX_XLSX_CELLS = 10_000_000  # the rectangle rows × columns that gets read
# JSON limits, checked before any row is made: a 500 KB array of objects that each name another key would otherwise
# be 30,000 rows × 30,000 columns.
MAX_JSON_COLUMNS = MAX_XLSX_COLUMNS  # distinct keys over all records
MAX_JSON_CELLS = MAX_XLSX_CELLS  # records × distinct keys
MAX_XLSX_SHEETS = 256  # sheets the workbook lists: openpyxl reads each listed sheet's part as it opens the workbook
MAX_UNPACKED = 256 * 1024 * 1024  # bytes, all parts of the zip together, as its directory declares
MAX_RATIO = 200  # unpacked : packed, for a part over 10 MB: spreadsheets pack 5–30 : 1; bombs 1000 : 1


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
    if not data or data.isspace():  # not data.strip(): a copy of the file
        raise ReadError(f"{path}: the file is empty")
    digest = hashlib.sha256(data).hexdigest()
    kind = (fmt or path.suffix.lstrip(".")).lower()
    try:
        if kind in ("csv", "tsv", "txt"):
            return _read_csv(path, data, digest, delimiter="\t" if kind == "tsv" else ",")
        if kind in ("xlsx", "xlsm"):
            return _read_xlsx(path, data, digest, sheet)
        if kind in ("json", "geojson"):
            return _read_json(path, data, digest)
    except _UNREADABLE as exc:
        # what a parser raises on a file that is not what it claims to be: a cell openpyxl cannot convert, a part
        # cut short, a 5,000-digit number, GeoJSON features that are not a list. The file is refused, not the run
        raise ReadError(f"{path}: not readable as {kind.upper()} ({type(exc).__name__}: {str(exc)[:200]})") from exc
    raise ReadError(f"{path}: unsupported format {kind!r} (CSV, XLSX or JSON)")


# SyntaxError: the XML parsers' (xml.etree's ParseError and lxml's XMLSyntaxError derive from it); zlib.error: a
# corrupted compressed part; RuntimeError: an encrypted part, and NotImplementedError (a compression zipfile lacks)
# and RecursionError, which derive from it; ValueError covers UnicodeDecodeError
_UNREADABLE = (
    ValueError,
    TypeError,
    AttributeError,
    LookupError,
    ArithmeticError,
    RuntimeError,
    SyntaxError,
    zlib.error,
)


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
        text, head = _cut(text)
        table.row_problems.append((row, column, head, _CUT))
    return text


_CUT = f"cell longer than {MAX_CELL} characters; cut"


@functools.lru_cache(maxsize=16)
def _cut(text: str) -> tuple[str, str]:
    """A long text cut to MAX_CELL, and its first 80 characters for the report: one copy for every cell that holds
    the same text (a merged range filled from one long cell was a 100,000-character copy a cell: 800 MB from 2 KB)."""
    return text[:MAX_CELL], text[:80]


def _read_csv(path: Path, data: bytes, digest: str, delimiter: str) -> Table:
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: {exc}") from exc
    try:
        table = _csv_table(path, text, encoding, digest, delimiter, strict=True)
    except csv.Error as exc:
        # e.g. a quote left open by a truncated file: the records before it are read (the row-count bounds of the
        # mapping catch a file cut short)
        table = _csv_table(path, text, encoding, digest, delimiter, strict=False)
        if table is None:
            raise ReadError(f"{path}: not readable as CSV ({exc})") from exc
    if table is None:
        raise ReadError(f"{path}: the file is empty")
    return table


def _csv_table(path: Path, text: str, encoding: str, digest: str, delimiter: str, strict: bool) -> Table | None:
    """The table, its records read once to find the header, count the rows and note the malformed ones; its rows
    are read again when asked for (``CsvRows``). None when the text holds no record at all."""
    records = _csv_records(text, delimiter, strict)
    first = next(records, None)
    if first is None:
        return None
    header, notes = _header(path, first)
    table = Table(path=path, encoding=encoding, header=header, rows=[], sha256=digest, notes=notes)
    count = 0
    for index, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines are not records
        if len(record) != len(header):
            problem = f"has {len(record)} fields where the header has {len(header)}"
            table.row_problems.append((index, None, delimiter.join(record)[:80], problem))
            continue
        for column, value in zip(header, record, strict=True):
            _cell(value, table, index, column)  # a cell too long is noted here, and cut as the rows are read
        count += 1
    table.rows = CsvRows(text, delimiter, header, count, strict)
    return table


def _csv_records(text: str, delimiter: str, strict: bool) -> Iterator[list[str]]:
    """The text's records; when not ``strict``, those before the first that cannot be parsed. The field size limit
    is the csv module's, for the whole process: it is set each time, so that a later read parses as the first."""
    csv.field_size_limit(10 * MAX_CELL)
    lines = (match.group() for match in _LINE.finditer(text))
    reader = csv.reader(lines, delimiter=delimiter, strict=strict)
    if strict:
        yield from reader
        return
    with contextlib.suppress(csv.Error):
        yield from reader


class CsvRows(Collection[SourceRow]):
    """A CSV file's well-formed records as rows, parsed again each time they are read rather than held: at scale
    150, reading the firms' 825,000 rows as dicts of strings peaked at 1,676 MB and held 1,213 MB until the mapping
    had read them; now 452 and 279 MB, the file's text. The rows are those ``_csv_table`` counted, in order; a cell
    over ``MAX_CELL`` characters is cut as it noted."""

    def __init__(self, text: str, delimiter: str, header: list[str], count: int, strict: bool) -> None:
        self._text, self._delimiter, self._header, self._count, self._strict = text, delimiter, header, count, strict

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[SourceRow]:
        records = _csv_records(self._text, self._delimiter, self._strict)
        next(records, None)  # the header
        width = len(self._header)
        for index, record in enumerate(records, start=2):
            if len(record) == width and any(cell.strip() for cell in record):
                yield SourceRow(index, {h: v[:MAX_CELL] for h, v in zip(self._header, record, strict=True)})

    def __contains__(self, item: object) -> bool:
        return any(row == item for row in self)


def _read_xlsx(path: Path, data: bytes, digest: str, sheet: str | None) -> Table:
    """Checked before loaded: the zip's declared sizes, then the sheet's declared and real extent (one
    streaming pass), then the cells through openpyxl's read-only reader. A 5 KB file with one cell at
    XFD1048576, or a zip bomb, is refused in well under a second instead of filling the memory."""
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_archive(path, archive)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError) as exc:
        raise ReadError(f"{path}: not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        names = workbook.sheetnames
        if sheet is not None and sheet not in names:
            raise ReadError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
        ws = workbook[sheet or names[0]]
        declared_rows, declared_cols = ws.max_row or 0, ws.max_column or 0  # the sheet's <dimension>, if any
        if declared_rows > MAX_XLSX_ROWS or declared_cols > MAX_XLSX_COLUMNS:
            raise ReadError(
                f"{path}: sheet {ws.title!r} declares {declared_rows:,} rows × {declared_cols:,} columns; "
                f"this reader takes at most {MAX_XLSX_ROWS:,} × {MAX_XLSX_COLUMNS:,}"
            )
        # read-only sheets know their part's path only privately; openpyxl has no public name for it
        scan = _scan_sheet(path, archive, str(ws._worksheet_path), ws.title)
        if scan.rows == 0:
            raise ReadError(f"{path}: sheet {ws.title!r} is empty")
        _check_merged_area(path, ws.title, scan)
        rows = ws.iter_rows(min_row=1, max_row=scan.rows, max_col=scan.columns, values_only=True)
        filled = _fill_merged(rows, scan.merged)  # a merged range's cells take its anchor's value, as a reader sees
        header, notes = _header(path, next(filled)[1])
        if len(names) > 1:
            notes.append(f"read sheet {ws.title!r}; ignored {', '.join(n for n in names if n != ws.title)}")
        if scan.merged:
            notes.append(f"{len(scan.merged)} merged ranges filled from their first cell")
        kept: list[SourceRow] = []
        table = Table(path=path, encoding="xlsx", header=header, rows=kept, sha256=digest, notes=notes)
        for row, column, formula in scan.uncached_formulas:
            name = header[column - 1] if column <= len(header) else f"column_{column}"
            table.row_problems.append(
                (row, name, "=" + formula[:79], "a formula without a saved result (open and save the file in Excel)")
            )
        for index, record in filled:
            if all(v is None or str(v).strip() == "" for v in record):
                continue
            values = {h: _cell(_xlsx_text(v), table, index, h) for h, v in zip(header, record, strict=False)}
            kept.append(SourceRow(index, values))
        return table
    finally:
        workbook.close()


@dataclass
class _SheetScan:
    rows: int = 0
    columns: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min row, min col, max row, max col
    uncached_formulas: list[tuple[int, int, str]] = field(default_factory=list)  # row, column, formula


def _check_archive(path: Path, archive: Any) -> None:
    """Refuse from the zip's directory alone (nothing decompressed): too many parts, too large, a bomb.
    zipfile stops at the declared size, so a part that lies about it fails its CRC instead of growing."""
    infos = archive.infolist()
    if len(infos) > 10_000:
        raise ReadError(f"{path}: {len(infos):,} parts in the workbook's zip; refusing")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise ReadError(
            f"{path}: unpacks to {total / 2**20:,.0f} MB (the zip's directory says); this reader takes at most "
            f"{MAX_UNPACKED / 2**20:,.0f} MB"
        )
    for info in infos:
        if info.file_size > 10 * 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReadError(
                f"{path}: part {info.filename} packs {info.file_size / 2**20:,.0f} MB into "
                f"{info.compress_size / 2**20:,.1f} MB (more than {MAX_RATIO}:1, a zip bomb?); refusing"
            )
    _check_sheet_list(path, archive, [i for i in infos if i.filename.lower().endswith("workbook.xml")])


def _check_sheet_list(path: Path, archive: Any, workbooks: list[Any]) -> None:
    """Refuse a workbook that lists more than MAX_XLSX_SHEETS sheets, or one sheet part twice, before openpyxl
    opens it: it reads every listed sheet's part first (21 KB listing one part 100 times ran past 20 s; 200,000
    sheet names in 500 KB took 13 s). The list is read by an XML parser, in one pass (a pattern over the part's
    text was quadratic in a run of ``<sheet `` with no end, and found ``id=`` inside a sheet's name)."""
    for info in workbooks:
        with archive.open(info) as part:
            sheets = [
                element.attrib
                for _, element in ElementTree.iterparse(part)
                if element.tag == "sheet" or element.tag.endswith("}sheet")
            ]
        if len(sheets) > MAX_XLSX_SHEETS:
            raise ReadError(
                f"{path}: the workbook lists {len(sheets):,} sheets; this reader takes at most {MAX_XLSX_SHEETS}"
            )
        parts = [value for attributes in sheets for key, value in attributes.items() if key == _RELATIONSHIP_ID]
        if len(set(parts)) < len(parts):
            raise ReadError(f"{path}: the workbook lists one sheet's part more than once; refusing")


# a sheet's part, as the workbook names it (``r:id``)
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _column_index(ref: str) -> int:
    number = 0
    for ch in ref:
        if not "A" <= ch <= "Z":
            break
        number = number * 26 + ord(ch) - 64
    return number


def _ref(ref: str) -> tuple[int, int]:
    column = _column_index(ref)
    digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").lstrip("$")
    return (int(digits) if digits.isdigit() else 0), column


def _scan_sheet(path: Path, archive: Any, member: str, title: str) -> _SheetScan:
    """One streaming pass over the sheet's XML: its real extent (refused past the caps as soon as it
    shows), its merged ranges, and formula cells that carry no cached result (data_only reads them as
    empty, which would drop a value without a word)."""
    from xml.etree.ElementTree import ParseError, iterparse

    scan = _SheetScan()
    row = column = 0
    formula: str | None = None
    has_value = False
    try:
        with archive.open(member.lstrip("/")) as source:
            for event, element in iterparse(source, events=("start", "end")):
                tag = element.tag.rpartition("}")[2]
                if event == "start":
                    if tag == "row":
                        r = element.get("r")
                        row, column = (int(r) if r and r.isdigit() else row + 1), 0
                    elif tag == "c":
                        ref = element.get("r")
                        column = _ref(ref)[1] if ref else column + 1
                        formula, has_value = None, False
                        _grow(path, title, scan, row, column)
                    continue
                if tag == "f":
                    formula = element.text or ""
                elif tag == "v":
                    has_value = element.text is not None
                elif tag == "c":
                    if formula is not None and not has_value:
                        scan.uncached_formulas.append((row, column, formula))
                    element.clear()
                elif tag == "row":
                    element.clear()
                elif tag == "mergeCell" and element.get("ref"):
                    first, _, last = str(element.get("ref")).partition(":")
                    (r1, c1), (r2, c2) = _ref(first), _ref(last or first)
                    scan.merged.append((r1, c1, min(r2, MAX_XLSX_ROWS), min(c2, MAX_XLSX_COLUMNS)))
    except (ParseError, KeyError, zipfile.BadZipFile) as exc:
        raise ReadError(f"{path}: sheet {title!r} is not readable XML ({type(exc).__name__})") from exc
    return scan


def _grow(path: Path, title: str, scan: _SheetScan, row: int, column: int) -> None:
    scan.rows, scan.columns = max(scan.rows, row), max(scan.columns, column)
    if scan.rows > MAX_XLSX_ROWS or scan.columns > MAX_XLSX_COLUMNS or scan.rows * scan.columns > MAX_XLSX_CELLS:
        raise ReadError(
            f"{path}: sheet {title!r} has a cell at row {row:,}, column {column:,}: more than this reader takes "
            f"({MAX_XLSX_ROWS:,} rows, {MAX_XLSX_COLUMNS:,} columns, {MAX_XLSX_CELLS:,} cells)"
        )


def _check_merged_area(path: Path, title: str, scan: _SheetScan) -> None:
    """Refuse merged ranges that together cover more than MAX_XLSX_CELLS cells: each covered cell is filled from its
    range's anchor, and ranges that overlap (Excel makes none) fill cells again (100 copies of one range over a
    1,000-column sheet ran past 20 s)."""
    area = sum(
        max(0, min(r2, scan.rows) - r1 + 1) * max(0, min(c2, scan.columns) - c1 + 1) for r1, c1, r2, c2 in scan.merged
    )
    if area > MAX_XLSX_CELLS:
        raise ReadError(
            f"{path}: the merged ranges of sheet {title!r} cover {area:,} cells; this reader fills at most "
            f"{MAX_XLSX_CELLS:,}"
        )


def _fill_merged(
    rows: Iterator[tuple[Any, ...]], merged: list[tuple[int, int, int, int]]
) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) with every cell of a merged range holding the anchor's value; streamed, so a
    range as large as the sheet costs no more memory than one row."""
    starts: dict[int, list[tuple[int, int, int, int]]] = {}
    for merge in merged:
        starts.setdefault(merge[0], []).append(merge)
    active: list[tuple[int, int, int, Any]] = []  # last row, first column, last column, anchor value
    for index, raw in enumerate(rows, start=1):
        record = list(raw)
        for _r1, c1, r2, c2 in starts.pop(index, []):
            if 1 <= c1 <= len(record):
                active.append((r2, c1, c2, record[c1 - 1]))
        active = [a for a in active if a[0] >= index]
        for _r2, c1, c2, anchor in active:
            for c in range(c1, min(c2, len(record)) + 1):
                record[c - 1] = anchor
        yield index, record


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
    except RecursionError:
        raise ReadError(f"{path}: JSON nested too deeply to read") from None
    records: Any
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        records = [_feature_row(f) for f in doc.get("features", []) if isinstance(f, dict)]
    else:
        records = doc.get("rows", doc.get("data")) if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise ReadError(f"{path}: expected a list of objects (or an object with 'rows')")
    header, notes = _header(path, _json_keys(path, records))
    kept: list[SourceRow] = []
    table = Table(path=path, encoding=encoding, header=header, rows=kept, sha256=digest, notes=notes)
    for index, record in enumerate(records, start=2):  # record i is "row i+1", as if a header came first
        if not isinstance(record, dict):
            table.row_problems.append((index, None, str(record)[:80], "is not an object"))
            continue
        values = {clean_header(str(k)): v for k, v in record.items()}
        row = {}
        for h in header:
            value = values.get(h)
            if isinstance(value, (dict, list)):
                value = _json_cell(value)
            row[h] = _cell(value, table, index, h)
        kept.append(SourceRow(index, row))
    return table


def _json_keys(path: Path, records: list[Any]) -> list[str]:
    """Every record's keys, in the order first met: refused past MAX_JSON_COLUMNS of them, or past MAX_JSON_CELLS
    cells in all (each record becomes a row with a cell for every key)."""
    keys: dict[str, None] = {}  # ordered, and a key looked up at once: a list made this quadratic in the keys
    for record in records:
        if isinstance(record, dict):
            keys.update(dict.fromkeys(record))
            if len(keys) > MAX_JSON_COLUMNS:
                raise ReadError(
                    f"{path}: the records name more than {MAX_JSON_COLUMNS:,} different keys; this reader takes at "
                    f"most {MAX_JSON_COLUMNS:,} columns"
                )
    if len(records) * len(keys) > MAX_JSON_CELLS:
        raise ReadError(
            f"{path}: {len(records):,} records × {len(keys):,} keys; this reader takes at most {MAX_JSON_CELLS:,} cells"
        )
    return list(keys)


def _json_cell(value: dict[str, Any] | list[Any]) -> str:
    """A nested value as one cell: a list's items joined by ``;``, an object as its JSON text."""
    try:
        return json.dumps(value, ensure_ascii=False) if not isinstance(value, list) else ";".join(map(str, value))
    except RecursionError:  # read, but too deep to write again: as much as a cell shows
        return "(nested too deeply)"
