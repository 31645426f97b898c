"""A mapping applied a chunk of columns at a time gives what it gave row by row: the same records, ties and report,
word for word, on every bundled mapping's fixture and on a file of hostile cells longer than a chunk."""

from __future__ import annotations

import csv
import dataclasses
import random
from pathlib import Path

import pytest

from graph.schema import Schema
from ingest.mapping import SourceMapping, load_mapping
from ingest.mapping_apply import _node_record, _RecordShape, _report_same_key, _with_bracket_names, apply_mapping
from ingest.mapping_columns import CHUNK_CHARS, CHUNK_ROWS, chunks, written_as_kept
from ingest.normalize import clean_value, looks_like_formula, split_list
from ingest.readers import SourceRow, Table, read_table
from ingest.records import NodeRecord, PendingLink, target_ref
from ingest.report import Report
from ingest.sources import MAPPINGS_DIR

FIXTURES = Path(__file__).resolve().parent / "data" / "mappings"


def _row_by_row(
    mapping: SourceMapping, rows: list[SourceRow], file: str
) -> tuple[list[NodeRecord], list[PendingLink], str]:
    """What ``apply_mapping`` made before its columns: each row's cells converted as the row is read (the rows'
    part of the report: bounds and skip counts aside)."""
    report, shape = Report(), _RecordShape.of(mapping)
    nodes: list[NodeRecord] = []
    links: list[PendingLink] = []
    first: dict[str, NodeRecord] = {}
    for row in rows:
        if any(skip.matches(row) for skip in mapping.skips):
            continue
        record = _node_record(mapping, shape, row, file, report)
        if record is None:
            continue
        earlier = first.setdefault(record.id, record)
        if earlier is not record and earlier.props != record.props:
            _report_same_key(mapping, earlier, record, row, file, report)
        nodes.append(record)
        for rule, kind in shape.link_kinds:
            raw = clean_value(row.values.get(rule.column, ""))
            for text in (split_list(raw) if rule.split else [raw]) if raw else []:
                if text not in rule.ignore:
                    target = target_ref(text, rule.resolver, rule.classes, rule.create)
                    links.append(PendingLink(kind, record.id, target, record.provenance))
    if mapping.bracket_alias_from:
        nodes = _with_bracket_names(nodes, mapping.bracket_alias_from)
    return nodes, links, report.to_csv()


def _rows_part(report: Report) -> str:
    """The report's lines about rows (a row number in the third field): bounds and skip counts have none."""
    return "".join(line for line in report.to_csv().splitlines(keepends=True) if line.split(",")[2:3] != [""])


def _check_same(mapping: SourceMapping, table: Table, file: str) -> list[NodeRecord]:
    report = Report()
    nodes, links = apply_mapping(mapping, table, file, report)
    want_nodes, want_links, want_report = _row_by_row(mapping, list(table.rows), file)
    assert nodes == want_nodes
    assert links == want_links
    assert _rows_part(report) == "".join(
        line for line in want_report.splitlines(keepends=True) if line.split(",")[2:3] != [""]
    )
    assert report.account(file, mapping.source).balanced
    return nodes


@pytest.mark.parametrize("mapping_file", sorted(MAPPINGS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_fixture_repeated_past_a_chunk_maps_as_row_by_row(mapping_file: Path, schema: Schema) -> None:
    mapping = dataclasses.replace(load_mapping(mapping_file, schema), min_rows=0, max_rows=None, max_loaded=None)
    (fixture,) = (p for p in FIXTURES.glob(f"{mapping.source}.*") if p.suffix != ".py")
    table = read_table(fixture)
    rows = list(table.rows)
    copies = CHUNK_ROWS // len(rows) + 2  # the fixture's rows, bad ones included, across two chunks at least
    repeated = [SourceRow(n, row.values) for n, row in enumerate((r for _ in range(copies) for r in rows), start=2)]
    _check_same(mapping, dataclasses.replace(table, rows=repeated), fixture.name)


def test_hostile_cells_past_a_chunk_map_as_row_by_row(schema: Schema, tmp_path: Path) -> None:
    """Every kind of cell the row-by-row path reports (a required name missing, a formula, a bad year, date or
    credit code), each mixed into clean rows at random, over more than one chunk; and no two records share a list."""
    mapping = load_mapping(MAPPINGS_DIR / "30_enterprises.yaml", schema)
    choices = {
        "name_zh": ["甲{n}", "", "  ", "=HYPERLINK(1)", "乙\n公司{n}", "丙（丁{n}）", "重复公司"],
        "name_en": ["Firm {n}", "", "+1", "Ｆｕｌｌ {n}"],
        "city": ["深圳市", "", "广州市;深圳市", "其他"],
        "clusters": ["新能源;先进材料", "", "新能源；；", "半导体与集成电路"],
        "roles": ["链主;龙头", "", "链主(广东省;广州市);龙头", "单项冠军"],
        "unified_social_credit_code": ["", "91440300708461136T", "914403007084611360", "bad"],
        "stock_code": ["", "000001", "@x"],
        "list_date": ["", "2019-07-22", "2019年7月22日", "2019-02-30", "someday"],
        "founded_year": ["", "2019", "2019年", "1700", "year"],
        "source": ["https://example.org/a", "", "-x"],
        "confidence": ["high", "medium", ""],
        "notes": ["", "备注", "=1+1"],
    }
    rng = random.Random(895)
    path = tmp_path / "enterprises.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(choices)
        for n in range(CHUNK_ROWS + 1500):
            writer.writerow([rng.choice(values).format(n=n) for values in choices.values()])
    nodes = _check_same(dataclasses.replace(mapping, max_rows=None), read_table(path), path.name)
    lists = [node.props["roles"] for node in nodes if "roles" in node.props]
    assert len(lists) > CHUNK_ROWS // 2
    assert len({id(roles) for roles in lists}) == len(lists)


def test_a_text_is_kept_as_written_exactly_when_cleaning_leaves_it_so() -> None:
    """Every code point but the surrogates, alone and between two letters: Arrow's verdict is Python's, so a text
    column's values are those ``clean_value`` gives, whatever the characters and whatever the Unicode tables."""
    points = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    cleaned = clean_value.__wrapped__  # not the cache: three million texts seen once
    for texts in (points, [f"a{ch}b" for ch in points], [f"{ch}a" for ch in points]):
        verdicts = written_as_kept(texts)
        assert verdicts is not None
        wrong = [
            text
            for text, kept in zip(texts, verdicts, strict=True)
            if kept != (cleaned(text) == text and not looks_like_formula(text.strip()))
        ]
        assert not wrong, [f"U+{ord(ch):04X}" for text in wrong[:20] for ch in text if ch not in "ab"]


def test_a_column_arrow_cannot_hold_is_converted_cell_by_cell() -> None:
    assert written_as_kept(["甲公司", "乙\ud800"]) is None
    assert written_as_kept(["甲 公司", "甲  公司", " 甲", "甲 ", "-甲", "甲-乙", "Ａ1", ""]) == [
        True, False, False, False, False, True, False, False,
    ]  # fmt: skip


def test_a_chunk_of_long_cells_holds_a_bounded_number_of_characters() -> None:
    long_rows = [SourceRow(n, {"a": "长" * 100_000, "b": "x"}) for n in range(2, 1002)]
    taken = list(chunks(long_rows))
    assert sum(map(len, taken)) == 1000 and [r.row for c in taken for r in c] == list(range(2, 1002))
    assert max(map(len, taken)) == CHUNK_CHARS // 100_001 + 1  # the row that passes the budget ends its chunk
    assert [len(c) for c in chunks([SourceRow(n, {"a": "x"}) for n in range(CHUNK_ROWS + 5)])] == [CHUNK_ROWS, 5]
