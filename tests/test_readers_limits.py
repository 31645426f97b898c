"""Small hostile XLSX and JSON files that once took minutes and gigabytes: refused in seconds, within 500 MB.

Every file is made here (openpyxl, zipfile); each read runs in a child process so that its time and peak
memory are its own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from ingest.json_reader import MAX_JSON_CELLS, MAX_JSON_COLUMNS
from ingest.readers import ReadError, read_table
from ingest.xlsx_reader import MAX_UNPACKED
from tests.conftest import REPO

SHEET = "xl/worksheets/sheet1.xml"
PROBE = """
import json, sys, time
from pathlib import Path
from ingest.readers import ReadError, read_table
start = time.perf_counter()
try:
    read_table(Path(sys.argv[1]))
    outcome = "read"
except ReadError as exc:
    outcome = "ReadError: " + str(exc)
elapsed = time.perf_counter() - start
# VmHWM: this program's own peak (ru_maxrss would include the forking parent's, kept across exec)
status = Path("/proc/self/status").read_text()
peak_mb = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024
print(json.dumps({"outcome": outcome, "seconds": elapsed, "peak_mb": peak_mb}))
"""


def _probe(path: Path) -> dict[str, object]:
    """Read ``path`` in a child process limited to 2 GB of address space; its outcome, time and peak memory."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2**30 * 2, 2**30 * 2))\n"
    done = subprocess.run(
        [sys.executable, "-c", limit + PROBE, str(path)],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _one_cell(path: Path, ref: str) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "名称"
    sheet[ref] = "远处"
    workbook.save(path)
    return path


def _rewrite(path: Path, member: str, edit: object) -> None:
    """Rewrite one part of a zip (``edit`` maps its bytes to new bytes)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[member] = edit(parts[member])  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def _bomb(path: Path, unpacked_mb: int) -> Path:
    """A workbook whose sheet unpacks to ``unpacked_mb`` MB of empty rows (a thousand-to-one ratio)."""
    _one_cell(path, "B2")
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist() if info.filename != SHEET}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for name, data in parts.items():
            target.writestr(name, data)
        with target.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            block = b"<row/>" * (2**20 // 6)
            for _ in range(unpacked_mb):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def _measured(path: Path, expected: str) -> dict[str, object]:
    probe = _probe(path)
    print(f"{path.name}: {path.stat().st_size:,} bytes, {probe}")  # the figures, for the record (pytest -s)
    assert str(probe["outcome"]).startswith("ReadError"), probe
    assert re.search(expected, str(probe["outcome"])), probe
    assert float(str(probe["seconds"])) < 5 and float(str(probe["peak_mb"])) < 500, probe
    return probe


def test_a_cell_at_xfd1048576_is_refused_from_the_declared_dimension(tmp_path: Path) -> None:
    path = _one_cell(tmp_path / "xfd.xlsx", "XFD1048576")
    assert path.stat().st_size < 10_000
    _measured(path, r"declares 1,048,576 rows × 16,384 columns")


def test_a_cell_at_f1048576_is_refused(tmp_path: Path) -> None:
    _measured(_one_cell(tmp_path / "f.xlsx", "F1048576"), r"declares 1,048,576 rows")


@pytest.mark.parametrize("dimension", [b'<dimension ref="A1"/>', b""])
def test_a_far_cell_behind_a_lying_or_missing_dimension_is_refused_from_the_real_extent(
    tmp_path: Path, dimension: bytes
) -> None:
    path = _one_cell(tmp_path / "lying.xlsx", "XFD1048576")
    _rewrite(path, SHEET, lambda xml: re.sub(rb"<dimension [^>]*/>", dimension, xml))
    _measured(path, r"has a cell at row 1,048,576, column 16,384")


def test_a_zip_bomb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", MAX_UNPACKED // 2**20 + 64)
    _measured(path, r"unpacks to \d+ MB")


def test_a_part_packed_past_the_ratio_is_refused(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "ratio.xlsx", 64)
    _measured(path, r"a zip bomb\?")


def test_a_zip_that_understates_a_part_size_fails_its_check(tmp_path: Path) -> None:
    """The directory says 2 KB; the part holds 64 MB: zipfile stops at the declared size, the CRC fails."""
    path = _bomb(tmp_path / "liar.xlsx", 64)
    data = bytearray(path.read_bytes())
    name = SHEET.encode()
    at = data.find(b"PK\x01\x02")  # the central directory: the sizes zipfile trusts
    while data[at + 46 : at + 46 + int.from_bytes(data[at + 28 : at + 30], "little")] != name:
        at = data.find(b"PK\x01\x02", at + 4)
    with zipfile.ZipFile(path) as archive:
        assert int.from_bytes(data[at + 24 : at + 28], "little") == archive.getinfo(SHEET).file_size > 60 * 2**20
    data[at + 24 : at + 28] = (2048).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    _measured(path, r"not a readable XLSX|not readable XML|has a cell")


def test_formula_cells_without_a_cached_value_are_reported(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["名称", "数量", "合计"])
    sheet.append(["甲", 2, "=B2*2"])  # openpyxl stores formulas without a result, as a script would
    sheet.append(["乙", 3, 7])
    path = tmp_path / "formula.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert [r.values["合计"] for r in table.rows] == ["", "7"]
    assert [(row, column, value) for row, column, value, _ in table.row_problems] == [(2, "合计", "=B2*2")]
    assert "without a saved result" in table.row_problems[0][3]


def test_a_sheet_within_the_limits_still_reads_merged_cells_and_gaps(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["名称", "城市"])
    sheet.append(["甲", "广州市"])
    sheet["A5"] = "丙"
    sheet["B5"] = "深圳市"
    sheet["B6"] = None
    sheet["A6"] = "丁"
    sheet.merge_cells("B5:B6")
    path = tmp_path / "ok.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert [(r.row, r.values["名称"], r.values["城市"]) for r in table.rows] == [
        (2, "甲", "广州市"),
        (5, "丙", "深圳市"),
        (6, "丁", "深圳市"),
    ]
    with pytest.raises(ReadError, match="no sheet named"):
        read_table(path, sheet="无")


def test_json_records_that_each_name_another_key_are_refused_at_once(tmp_path: Path) -> None:
    """Half a megabyte: 30,000 records of one key each, all different. Read, it was 30,000 rows × 30,000 columns,
    and its keys were gathered in a list (quadratic): it ran past two minutes before."""
    path = tmp_path / "wide.json"
    path.write_text(json.dumps([{f"k{i}": "v"} for i in range(30_000)]), encoding="utf-8")
    assert path.stat().st_size < 600_000
    _measured(path, rf"more than {MAX_JSON_COLUMNS:,} different keys")


def test_json_records_past_the_cell_limit_are_refused(tmp_path: Path) -> None:
    many = MAX_JSON_CELLS // MAX_JSON_COLUMNS + 1  # records, each with a cell for every key
    path = tmp_path / "cells.json"
    path.write_text(json.dumps([{"a": 1}] * many + [{f"k{i}": 1 for i in range(MAX_JSON_COLUMNS - 1)}]), "utf-8")
    _measured(path, rf"{many + 1:,} records × {MAX_JSON_COLUMNS:,} keys")


def test_json_nested_past_the_parser_s_depth_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")  # raised RecursionError before
    _measured(path, r"nested too deeply")


def test_json_within_the_limits_reads_every_key_in_the_order_first_met(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    records = [{"名称": f"甲{i}", "city": "深圳"} for i in range(20_000)] + [{"extra": [1, 2], "名称": "乙"}]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    table = read_table(path)
    assert table.header == ["名称", "city", "extra"]
    rows = list(table.rows)
    assert len(rows) == 20_001 and rows[-1].values == {"名称": "乙", "city": "", "extra": "1;2"}
    assert rows[0].row == 2 and rows[-1].row == 20_002
    with pytest.raises(ReadError, match="expected a list of objects"):
        path.write_text('{"rows": 5}', encoding="utf-8")
        read_table(path)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("digits.json", '[{"a": ' + "1" * 5000 + "}]", r"not readable as JSON \(ValueError"),
        ("features.geojson", '{"type": "FeatureCollection", "features": 5}', r"not readable as GEOJSON \(TypeError"),
        ("props.geojson", '{"type": "FeatureCollection", "features": [{"properties": [1, 2]}]}', r"AttributeError"),
    ],
)
def test_json_a_parser_cannot_take_is_a_read_error(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReadError, match=expected):
        read_table(path)


def test_an_xlsx_cell_openpyxl_cannot_convert_is_a_read_error(tmp_path: Path) -> None:
    path = _one_cell(tmp_path / "sst.xlsx", "B2")
    cell = rb'<c r="B2" t="s"><v>999</v></c>'  # the 1,000th shared string, of none
    _rewrite(path, SHEET, lambda xml: re.sub(rb'<c r="B2".*?</c>', cell, xml))
    with pytest.raises(ReadError, match=r"not readable as XLSX \(IndexError"):
        read_table(path)


def test_a_workbook_listing_one_sheet_part_twice_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = _one_cell(tmp_path / "twice.xlsx", "B2")

    def twice(xml: bytes) -> bytes:
        entry = re.search(rb"<sheet [^>]*/>", xml)
        assert entry is not None
        again = entry.group().replace(b'name="', b'name="x').replace(b'sheetId="1"', b'sheetId="2"')
        return xml.replace(entry.group(), entry.group() + again * 100)

    _rewrite(path, "xl/workbook.xml", twice)
    _measured(path, r"lists one sheet's part more than once")


def test_merged_ranges_covering_more_than_the_cell_limit_are_refused(tmp_path: Path) -> None:
    """Two ranges over a sheet of 10,000 rows × 1,000 columns (at the cell limit): twice the cells to fill."""
    path = _one_cell(tmp_path / "merged.xlsx", "ALL10000")
    ranges = b'<mergeCells count="2"><mergeCell ref="A2:ALL10000"/><mergeCell ref="A2:ALK10000"/></mergeCells>'
    _rewrite(path, SHEET, lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + ranges))
    _measured(path, r"merged ranges of sheet .* cover 19,988,001 cells")


def test_a_long_cell_filled_over_a_merged_range_is_cut_once(tmp_path: Path) -> None:
    """A 100,001-character cell merged over 2,000 rows × 40 columns: each filled cell was a copy of its cut text
    (past 2.8 GB, MemoryError); now one copy that every cell shares."""
    path = _one_cell(tmp_path / "long.xlsx", "AN2000")
    long_row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"x" * 100_001 + b"</t></is></c></row>"
    ranges = b'<mergeCells count="1"><mergeCell ref="A2:AN2000"/></mergeCells>'

    def edit(xml: bytes) -> bytes:
        xml = xml.replace(b'<row r="2000"', long_row + b'<row r="2000"')
        return xml.replace(b"</sheetData>", b"</sheetData>" + ranges)

    _rewrite(path, SHEET, edit)
    probe = _probe(path)
    assert probe["outcome"] == "read" and float(str(probe["peak_mb"])) < 500, probe


def test_sheet_names_that_hold_id_are_not_taken_for_a_part_listed_twice(tmp_path: Path) -> None:
    """A review's case: a pattern over the workbook's text found ``id="`` inside these names."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "by id="
    first.append(["name"])
    first.append(["x"])
    workbook.create_sheet('per id="')
    path = tmp_path / "names.xlsx"
    workbook.save(path)
    assert [r.values for r in read_table(path).rows] == [{"name": "x"}]


def test_a_sheet_list_with_no_end_is_refused_in_linear_time(tmp_path: Path) -> None:
    """80,000 ``<sheet `` and no ``>``: 25 s for the pattern a review found quadratic; one parse now."""
    path = _one_cell(tmp_path / "open.xlsx", "B2")
    _rewrite(path, "xl/workbook.xml", lambda xml: xml.replace(b"<sheets>", b"<sheets>" + b"<sheet " * 80_000))
    _measured(path, r"not readable as XLSX \(ParseError")
