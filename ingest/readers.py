"""Reading a source file as a table: CSV here, XLSX and JSON in their own modules; encodings detected, headers
normalised, rows numbered.

Row numbers are those a person sees in a spreadsheet: the header is row 1, the first record row 2.
A file that cannot be read at all raises ReadError with the reason; a malformed record becomes an
issue for that row, and the other rows still come through.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import re
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path

from ingest.json_reader import read_json
from ingest.source_table import MAX_CELL, ReadError, SourceRow, Table, cell_text, decode, header_row
from ingest.xlsx_reader import read_xlsx

__all__ = ["ReadError", "SourceRow", "Table", "decode", "read_table"]

# A line as io.StringIO(text, newline="") gives it to the csv module (ended by \r\n, \r or \n), without the copy of
# the whole text it makes, at four bytes a character: 534 MB for the scale-150 firms' file.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def read_table(path: Path, *, sheet: str | None = None, fmt: str | None = None) -> Table:
    if not path.exists():
        raise ReadError(f"{path}: 没有这个文件 / no such file")
    data = path.read_bytes()
    if not data or data.isspace():  # not data.strip(): a copy of the file
        raise ReadError(f"{path}: 文件是空的 / the file is empty")
    digest = hashlib.sha256(data).hexdigest()
    kind = (fmt or path.suffix.lstrip(".")).lower()
    try:
        if kind in ("csv", "tsv", "txt"):
            return _read_csv(path, data, digest, delimiter="\t" if kind == "tsv" else ",")
        if kind in ("xlsx", "xlsm"):
            return read_xlsx(path, data, digest, sheet)
        if kind in ("json", "geojson"):
            return read_json(path, data, digest)
    except _UNREADABLE as exc:
        # what a parser raises on a file that is not what it claims to be: a cell openpyxl cannot convert, a part
        # cut short, a 5,000-digit number, GeoJSON features that are not a list. The file is refused, not the run
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        raise ReadError(f"{path}: 无法按 {kind.upper()} 读取 / not readable as {kind.upper()} ({detail})") from exc
    raise ReadError(
        f"{path}: 不支持的格式 {kind!r}（可用 CSV、XLSX 或 JSON） / unsupported format {kind!r} (CSV, XLSX or JSON)"
    )


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


def _read_csv(path: Path, data: bytes, digest: str, delimiter: str) -> Table:
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: 无法解码 / cannot be decoded: {exc}") from exc
    try:
        table = _csv_table(path, text, encoding, digest, delimiter, strict=True)
    except csv.Error as exc:
        # e.g. a quote left open by a truncated file: the records before it are read (the row-count bounds of the
        # mapping catch a file cut short)
        table = _csv_table(path, text, encoding, digest, delimiter, strict=False)
        if table is None:
            raise ReadError(f"{path}: 无法按 CSV 读取 / not readable as CSV ({exc})") from exc
    if table is None:
        raise ReadError(f"{path}: 文件是空的 / the file is empty")
    return table


def _csv_table(path: Path, text: str, encoding: str, digest: str, delimiter: str, strict: bool) -> Table | None:
    """The table, its records read once to find the header, count the rows and note the malformed ones; its rows
    are read again when asked for (``CsvRows``). None when the text holds no record at all."""
    records = _csv_records(text, delimiter, strict)
    first = next(records, None)
    if first is None:
        return None
    header, notes = header_row(path, first)
    table = Table(path=path, encoding=encoding, header=header, rows=[], sha256=digest, notes=notes)
    count = 0
    for index, record in enumerate(records, start=2):
        if _blank(record):
            continue  # blank lines are not records
        if len(record) != len(header):
            fields, heads = len(record), len(header)
            problem = f"有 {fields} 个字段，而表头有 {heads} 个 / has {fields} fields where the header has {heads}"
            table.row_problems.append((index, None, delimiter.join(record)[:80], problem))
            continue
        if max(map(len, record)) > MAX_CELL:
            for column, value in zip(header, record, strict=True):
                cell_text(value, table, index, column)  # a cell too long is noted here, and cut as the rows are read
        count += 1
    table.rows = CsvRows(text, delimiter, header, count, strict)
    return table


def _csv_records(text: str, delimiter: str, strict: bool) -> Iterator[list[str]]:
    """The text's records; when not ``strict``, those before the first that cannot be parsed. The field size limit
    is the csv module's, for the whole process: it is set each time, so that a later read parses as the first."""
    csv.field_size_limit(10 * MAX_CELL)
    lines = map(re.Match.group, _LINE.finditer(text))
    reader = csv.reader(lines, delimiter=delimiter, strict=strict)
    if strict:
        yield from reader
        return
    with contextlib.suppress(csv.Error):
        yield from reader


def _blank(record: list[str]) -> bool:
    """Whether every cell is empty or white space (joined and stripped in C: a generator over the cells was a
    tenth of reading and mapping the firms' file)."""
    return not "".join(record).strip()


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
            if len(record) != width or _blank(record):
                continue
            cells = [cell[:MAX_CELL] for cell in record] if max(map(len, record)) > MAX_CELL else record
            yield SourceRow(index, dict(zip(self._header, cells, strict=True)))

    def __contains__(self, item: object) -> bool:
        return any(row == item for row in self)
