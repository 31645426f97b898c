"""Small hostile XLSX files that once took minutes and gigabytes: refused in seconds, within 500 MB.

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

from ingest.readers import MAX_UNPACKED, ReadError, read_table
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
