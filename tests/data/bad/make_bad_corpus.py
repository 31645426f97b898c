"""Writes the bad-input corpus and its manifest (what each file must give). Run from the repository root:
``.venv/bin/python tests/data/bad/make_bad_corpus.py``. Every file is read with ``mapping.yaml``."""

from __future__ import annotations

import json
import random
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = "名称,统一社会信用代码,成立年份,城市,集群,来源"
GOOD = [
    "华为技术有限公司,914403001922038216,1987,深圳市,新一代电子信息,https://example.org/a",
    "美的集团股份有限公司,,1968,佛山市,智能家电,https://example.org/b",
    "广州汽车集团股份有限公司,,1997,广州市,汽车产业,https://example.org/c",
]
MANIFEST: dict[str, dict[str, object]] = {}


def csv(
    name: str,
    lines: list[str],
    *,
    encoding: str = "utf-8",
    loaded: int,
    expect: str = "",
    newline: str = "\n",
    **extra: object,
) -> None:
    (HERE / name).write_bytes(newline.join(lines).encode(encoding) + newline.encode(encoding))
    MANIFEST[name] = {"loaded": loaded, "expect": expect, **extra}


def raw(name: str, data: bytes, *, loaded: int, expect: str = "") -> None:
    (HERE / name).write_bytes(data)
    MANIFEST[name] = {"loaded": loaded, "expect": expect}


def main() -> None:
    csv("01_good_utf8.csv", [HEADER, *GOOD], loaded=3)
    csv("02_utf8_bom.csv", ["\ufeff" + HEADER, *GOOD], loaded=3)
    csv("03_gbk.csv", [HEADER, *GOOD], encoding="gbk", loaded=3)
    csv("04_gb18030_rare.csv", [HEADER, "𠀋记科技有限公司,,2001,广州市,,x", *GOOD[1:]], encoding="gb18030", loaded=3)
    csv("05_utf16.csv", [HEADER, *GOOD], encoding="utf-16", loaded=3)
    raw("06_empty.csv", b"", loaded=0, expect="the file is empty")
    csv("07_header_only.csv", [HEADER], loaded=0)
    raw("08_whitespace_only.csv", b"   \n\n  \n", loaded=0, expect="the file is empty")
    csv("09_truncated_quote.csv", [HEADER, *GOOD[:2], '"未闭合引号公司,,2000,广州市'], loaded=2)
    csv("10_truncated_row.csv", [HEADER, *GOOD[:2], "半行公司,,2000"], loaded=2, expect="fields where the header has")
    csv("11_missing_column.csv", ["名称,成立年份", "甲公司,2000"], loaded=0, expect="lacks the column")
    csv(
        "12_duplicated_header.csv",
        ["名称,名称,统一社会信用代码,成立年份,城市,集群,来源", "甲,乙,,2000,广州市,,x"],
        loaded=0,
        expect="appears more than once",
    )
    csv("13_extra_columns.csv", [HEADER + ",备注,另一列", *(g + ",备注,另" for g in GOOD)], loaded=3)
    csv(
        "14_missing_required.csv",
        [HEADER, *GOOD, ",,2000,广州市,,x"],
        loaded=3,
        expect="required value missing for name_zh",
    )
    csv(
        "15_conflicting_duplicate_keys.csv",
        [HEADER, GOOD[0], "华为投资控股有限公司,914403001922038216,1987,深圳市,,x"],
        loaded=2,
        expect="same key as row 2 with different values",
    )
    csv(
        "16_invalid_uscc.csv",
        [HEADER, "假代码公司,914403001922038217,2000,广州市,,x", *GOOD[1:]],
        loaded=3,
        expect="invalid 统一社会信用代码",
    )
    csv("17_unknown_city.csv", [HEADER, "外地公司,,2000,火星市,,x", *GOOD[1:]], loaded=3, expect="unknown place")
    csv(
        "18_unknown_cluster.csv",
        [HEADER, "甲公司,,2000,广州市,不存在的集群,x", *GOOD[1:]],
        loaded=3,
        expect="unknown industry cluster",
    )
    csv(
        "19_huge_cell.csv",
        [HEADER, "巨" * 150_000 + ",,2000,广州市,,x", *GOOD[1:]],
        loaded=3,
        expect="cell longer than",
    )
    csv("20_control_characters.csv", [HEADER, "控制\x07字符\x1b公司,,2000,广州市,,x", *GOOD[1:]], loaded=3)
    csv(
        "21_formula_equals.csv",
        [HEADER, '"=HYPERLINK(""http://x"")",,2000,广州市,,x', *GOOD[1:]],
        loaded=3,
        expect="starts like a spreadsheet formula",
    )
    csv("22_formula_plus.csv", [HEADER, "+1+1,,2000,广州市,,x", *GOOD[1:]], loaded=3, expect="spreadsheet formula")
    csv("23_formula_minus.csv", [HEADER, "-2+3,,2000,广州市,,x", *GOOD[1:]], loaded=3, expect="spreadsheet formula")
    csv("24_formula_at.csv", [HEADER, "@SUM(1),,2000,广州市,,x", *GOOD[1:]], loaded=3, expect="spreadsheet formula")
    csv("25_newlines_in_name.csv", [HEADER, '"换行\n的\r\n公司",,2000,广州市,,x', *GOOD[1:]], loaded=3)
    csv("26_fullwidth.csv", [HEADER, "ＡＢＣ科技（深圳）有限公司,,２００１,深圳市,,x", *GOOD[1:]], loaded=3)
    csv("27_bad_year.csv", [HEADER, "甲公司,,去年,广州市,,x", *GOOD[1:]], loaded=3, expect="not a year")
    csv("28_year_out_of_range.csv", [HEADER, "甲公司,,1492,广州市,,x", *GOOD[1:]], loaded=3, expect="year outside")
    csv("29_blank_lines.csv", [HEADER, "", GOOD[0], "", "", *GOOD[1:], ""], loaded=3)
    csv(
        "30_semicolon_delimited.csv",
        [HEADER.replace(",", ";"), *(g.replace(",", ";") for g in GOOD)],
        loaded=0,
        expect="lacks the column",
    )
    csv("31_crlf_line_endings.csv", [HEADER, *GOOD], loaded=3, newline="\r\n")
    csv(
        "32_all_rows_bad.csv",
        [HEADER, ",,2000,广州市,,x", ",,2001,深圳市,,y"],
        loaded=0,
        expect="required value missing",
    )
    raw("33_binary_garbage.csv", bytes(random.Random(7).randrange(256) for _ in range(4000)), loaded=0, expect="")
    raw("34_not_really.xlsx", b"PK\x03\x04 this is not a workbook", loaded=0, expect="not a readable XLSX")
    xlsx(
        "35_several_sheets.xlsx",
        [[*HEADER.split(",")], *(g.split(",") for g in GOOD)],
        extra_sheet=True,
        loaded=3,
        expect="ignored 说明",
    )
    merged_rows = [HEADER.split(","), *(g.split(",") for g in GOOD)]
    xlsx("36_merged_cells.xlsx", merged_rows, merge="D3:D4", loaded=3, expect="merged ranges filled")
    xlsx("37_empty_sheet.xlsx", [], loaded=0, expect="")
    json_file("38_good.json", [dict(zip(HEADER.split(","), g.split(","), strict=True)) for g in GOOD], loaded=3)
    raw("39_malformed.json", '[{"名称": "甲", '.encode(), loaded=0, expect="malformed JSON")
    json_file("40_not_a_list.json", {"名称": "甲"}, loaded=0, expect="expected a list of objects")
    json_file(
        "41_mixed_items.json",
        [dict(zip(HEADER.split(","), GOOD[0].split(","), strict=True)), 42, "text"],
        loaded=1,
        expect="is not an object",
    )
    json_file(
        "42_nested_values.json",
        [
            {
                "名称": "嵌套公司",
                "统一社会信用代码": None,
                "成立年份": 2001,
                "城市": "广州市",
                "集群": ["新能源", "先进材料"],
                "来源": {"url": "x"},
            }
        ],
        loaded=1,
    )
    (HERE / "manifest.json").write_text(json.dumps(MANIFEST, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def xlsx(
    name: str,
    rows: list[list[str]],
    *,
    loaded: int,
    expect: str = "",
    extra_sheet: bool = False,
    merge: str | None = None,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    if extra_sheet:
        workbook.create_sheet("说明").append(["本表说明"])
    workbook.save(HERE / name)
    MANIFEST[name] = {"loaded": loaded, "expect": expect}


def json_file(name: str, doc: object, *, loaded: int, expect: str = "") -> None:
    (HERE / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    MANIFEST[name] = {"loaded": loaded, "expect": expect}


if __name__ == "__main__":
    main()
