"""Readers: encodings, headers, malformed records, XLSX sheets and merged cells, JSON; property-based checks."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from ingest.readers import ReadError, decode, read_table

ROWS = [["名称", "城市"], ["中国散裂中子源", "东莞市"], ["鹏城实验室", "深圳市"]]


def _csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_common_encoding_reads_the_same(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(_csv_bytes(ROWS, encoding))
    table = read_table(path)
    assert table.header == ["名称", "城市"]
    assert [r.values["名称"] for r in table.rows] == ["中国散裂中子源", "鹏城实验室"]
    assert [r.row for r in table.rows] == [2, 3]


def test_gbk_is_detected_as_gb18030() -> None:
    text, encoding = decode("广东省科学技术厅".encode("gbk"))
    assert text == "广东省科学技术厅" and encoding == "gb18030"


def test_headers_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffＮａｍｅ_ZH , City Name\n甲,乙\n".encode())
    assert read_table(path).header == ["name_zh", "city_name"]


def test_duplicated_header_and_empty_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("name,name\na,b\n", encoding="utf-8")
    with pytest.raises(ReadError, match="more than once"):
        read_table(path)
    path.write_text("  \n", encoding="utf-8")
    with pytest.raises(ReadError, match="empty"):
        read_table(path)
    with pytest.raises(ReadError, match="no such file"):
        read_table(tmp_path / "absent.csv")


def test_a_record_with_the_wrong_field_count_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('name,city\n甲,广州市\n乙,深圳市,多余\n"丙\n第二行",东莞市\n', encoding="utf-8")
    table = read_table(path)
    assert [r.values["name"] for r in table.rows] == ["甲", "丙\n第二行"]
    assert table.row_problems[0][0] == 3 and "3 fields" in table.row_problems[0][3]


def test_a_truncated_csv_keeps_the_complete_records(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('name,city\n甲,广州市\n"乙,深圳', encoding="utf-8")
    table = read_table(path)
    assert [r.values["name"] for r in table.rows][:1] == ["甲"]


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xff\xfe", b" \r\n\t"])
def test_a_file_of_only_a_byte_order_mark_or_spaces_is_empty(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(ReadError, match="empty"):
        read_table(path)


def test_a_csv_file_s_rows_read_alike_each_time_whatever_the_process_field_limit(tmp_path: Path) -> None:
    """The rows are parsed again when read (the file is not held as dicts): a field limit lowered meanwhile by
    other code in the process must not change them, nor line ends of every kind."""
    path = tmp_path / "t.csv"
    path.write_bytes("名称,备注\r\n甲,".encode() + b"x" * 200_000 + '\r乙,短\n丙,"两\n行"\n'.encode())
    table = read_table(path)
    before = csv.field_size_limit()
    try:
        csv.field_size_limit(1_000)
        rows = [(r.row, r.values["名称"], len(r.values["备注"])) for r in table.rows]
    finally:
        csv.field_size_limit(before)
    assert rows == [(2, "甲", 100_000), (3, "乙", 1), (4, "丙", 3)] and len(table.rows) == 3
    assert [(r, c) for r, c, _, _ in table.row_problems] == [(2, "备注")]  # the long cell, cut and reported
    assert [r.values for r in table.rows] == [r.values for r in table.rows]


def test_xlsx_with_several_sheets_and_merged_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    for row in [["名称", "城市", "年份"], ["甲实验室", "广州市", 2018], ["乙实验室", None, 2019.0]]:
        sheet.append(row)
    sheet.merge_cells("B2:B3")
    workbook.create_sheet("说明").append(["这是说明"])
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert [(r.values["城市"], r.values["年份"]) for r in table.rows] == [("广州市", "2018"), ("广州市", "2019")]
    assert any("ignored 说明" in note for note in table.notes)
    assert read_table(path, sheet="说明").header == ["这是说明"]
    with pytest.raises(ReadError, match="no sheet named"):
        read_table(path, sheet="无")


def test_not_an_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ReadError, match="not a readable XLSX"):
        read_table(path)


def test_json_lists_and_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('[{"name": "甲", "tags": ["a", "b"]}, 3, {"name": "乙"}]', encoding="utf-8")
    table = read_table(path)
    assert [r.values["name"] for r in table.rows] == ["甲", "乙"]
    assert next(iter(table.rows)).values["tags"] == "a;b"
    assert table.row_problems[0][0] == 3
    path.write_text('[{"name": "甲",', encoding="utf-8")
    with pytest.raises(ReadError, match="malformed JSON at line 1"):
        read_table(path)


cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"), max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cells, cells), min_size=1, max_size=8))
def test_any_text_survives_a_csv_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str]]
) -> None:
    path = tmp_path_factory.mktemp("h") / "t.csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["a", "b"])
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
    table = read_table(path)
    expected = [r for r in rows if any(c.strip() for c in r)]
    assert [(r.values["a"], r.values["b"]) for r in table.rows] == expected
