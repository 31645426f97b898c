"""Reading an XLSX workbook without trusting it: the zip's directory, the workbook's sheet list and the sheet's
extent are checked before openpyxl loads any cell (ingest/readers.py: ``read_table`` calls ``read_xlsx``)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ingest.source_table import MAX_CELLS, MAX_COLUMNS, ReadError, SourceRow, Table, cell_text, header_row

# Checked before anything is loaded (a 5 KB file can declare a billion cells).
MAX_XLSX_ROWS = 1_048_576 // 4  # a quarter of Excel's limit: far past any curator's list
MAX_XLSX_COLUMNS = MAX_COLUMNS
MAX_XLSX_CELLS = MAX_CELLS  # the rectangle rows × columns that gets read
MAX_XLSX_SHEETS = 256  # sheets the workbook lists: openpyxl reads each listed sheet's part as it opens the workbook
MAX_UNPACKED = 256 * 1024 * 1024  # bytes, all parts of the zip together, as its directory declares
MAX_RATIO = 200  # unpacked : packed, for a part over 10 MB: spreadsheets pack 5–30 : 1; bombs 1000 : 1


def read_xlsx(path: Path, data: bytes, digest: str, sheet: str | None) -> Table:
    """Checked before loaded: the zip's declared sizes, then the sheet's declared and real extent (one
    streaming pass), then the cells through openpyxl's read-only reader. A 5 KB file with one cell at
    XFD1048576, or a zip bomb, is refused in well under a second instead of filling the memory."""
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_archive(path, archive)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError) as exc:
        raise ReadError(
            f"{path}: 不是可读的 XLSX 工作簿 / not a readable XLSX workbook ({type(exc).__name__})"
        ) from exc
    try:
        names = workbook.sheetnames
        if sheet is not None and sheet not in names:
            raise ReadError(
                f"{path}: 没有名为 {sheet!r} 的工作表 / no sheet named {sheet!r} (sheets: {', '.join(names)})"
            )
        ws = workbook[sheet or names[0]]
        declared_rows, declared_cols = ws.max_row or 0, ws.max_column or 0  # the sheet's <dimension>, if any
        if declared_rows > MAX_XLSX_ROWS or declared_cols > MAX_XLSX_COLUMNS:
            raise ReadError(
                f"{path}: 工作表 {ws.title!r} 声明有 {declared_rows:,} 行 × {declared_cols:,} 列，"
                f"本读取器最多读 {MAX_XLSX_ROWS:,} × {MAX_XLSX_COLUMNS:,} / "
                f"sheet {ws.title!r} declares {declared_rows:,} rows × {declared_cols:,} columns; "
                f"this reader takes at most {MAX_XLSX_ROWS:,} × {MAX_XLSX_COLUMNS:,}"
            )
        # read-only sheets know their part's path only privately; openpyxl has no public name for it
        scan = _scan_sheet(path, archive, str(ws._worksheet_path), ws.title)
        if scan.rows == 0:
            raise ReadError(f"{path}: 工作表 {ws.title!r} 是空的 / sheet {ws.title!r} is empty")
        _check_merged_area(path, ws.title, scan)
        rows = ws.iter_rows(min_row=1, max_row=scan.rows, max_col=scan.columns, values_only=True)
        filled = _fill_merged(rows, scan.merged)  # a merged range's cells take its anchor's value, as a reader sees
        header, notes = header_row(path, next(filled)[1])
        if len(names) > 1:
            ignored = ", ".join(n for n in names if n != ws.title)
            notes.append(f"读取了工作表 {ws.title!r}，略过 {ignored} / read sheet {ws.title!r}; ignored {ignored}")
        if scan.merged:
            notes.append(
                f"{len(scan.merged)} 个合并区域按其首格填充 / "
                f"{len(scan.merged)} merged ranges filled from their first cell"
            )
        kept: list[SourceRow] = []
        table = Table(path=path, encoding="xlsx", header=header, rows=kept, sha256=digest, notes=notes)
        for row, column, formula in scan.uncached_formulas:
            name = header[column - 1] if column <= len(header) else f"column_{column}"
            table.row_problems.append(
                (
                    row,
                    name,
                    "=" + formula[:79],
                    "公式没有保存的结果（请在 Excel 中打开并保存该文件） / "
                    "a formula without a saved result (open and save the file in Excel)",
                )
            )
        for index, record in filled:
            if all(v is None or str(v).strip() == "" for v in record):
                continue
            values = {h: cell_text(_xlsx_text(v), table, index, h) for h, v in zip(header, record, strict=False)}
            kept.append(SourceRow(index, values))
        return table
    finally:
        workbook.close()
        # the workbook and its sheets refer to each other: without them, what the sheets hold (the file's shared
        # strings) goes as the reading ends, not at the next cyclic collection, which an ingest puts off until its
        # rows are made (ingest/collector.py)
        for each in workbook.worksheets:
            workbook.remove(each)


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
        raise ReadError(
            f"{path}: 工作簿的 zip 中有 {len(infos):,} 个部件，拒收 / "
            f"{len(infos):,} parts in the workbook's zip; refusing"
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise ReadError(
            f"{path}: 解压后达 {total / 2**20:,.0f} MB（据 zip 目录），本读取器最多 {MAX_UNPACKED / 2**20:,.0f} MB / "
            f"unpacks to {total / 2**20:,.0f} MB (the zip's directory says); this reader takes at most "
            f"{MAX_UNPACKED / 2**20:,.0f} MB"
        )
    for info in infos:
        if info.file_size > 10 * 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReadError(
                f"{path}: 部件 {info.filename} 压缩比超过 {MAX_RATIO}:1（zip 炸弹？），拒收 / "
                f"part {info.filename} packs {info.file_size / 2**20:,.0f} MB into "
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
                f"{path}: 工作簿列出 {len(sheets):,} 个工作表，本读取器最多 {MAX_XLSX_SHEETS} 个 / "
                f"the workbook lists {len(sheets):,} sheets; this reader takes at most {MAX_XLSX_SHEETS}"
            )
        parts = [value for attributes in sheets for key, value in attributes.items() if key == _RELATIONSHIP_ID]
        if len(set(parts)) < len(parts):
            raise ReadError(
                f"{path}: 工作簿把同一工作表部件列了不止一次，拒收 / "
                "the workbook lists one sheet's part more than once; refusing"
            )


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
        raise ReadError(
            f"{path}: 工作表 {title!r} 不是可读的 XML / sheet {title!r} is not readable XML ({type(exc).__name__})"
        ) from exc
    return scan


def _grow(path: Path, title: str, scan: _SheetScan, row: int, column: int) -> None:
    scan.rows, scan.columns = max(scan.rows, row), max(scan.columns, column)
    if scan.rows > MAX_XLSX_ROWS or scan.columns > MAX_XLSX_COLUMNS or scan.rows * scan.columns > MAX_XLSX_CELLS:
        raise ReadError(
            f"{path}: 工作表 {title!r} 在第 {row:,} 行第 {column:,} 列有单元格，超出本读取器的上限 / "
            f"sheet {title!r} has a cell at row {row:,}, column {column:,}: more than this reader takes "
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
            f"{path}: 工作表 {title!r} 的合并区域覆盖 {area:,} 个单元格，本读取器最多填充 {MAX_XLSX_CELLS:,} 个 / "
            f"the merged ranges of sheet {title!r} cover {area:,} cells; this reader fills at most "
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
