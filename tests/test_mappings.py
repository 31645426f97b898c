"""Every bundled mapping, on its fixture: real rows load, the bad last row is rejected with file, row and column."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from graph.schema import Schema
from ingest.mapping import MappingError, load_mapping
from ingest.mapping_apply import apply_mapping
from ingest.readers import read_table
from ingest.report import Level, Report
from ingest.sources import MAPPINGS_DIR

FIXTURES = Path(__file__).resolve().parent / "data" / "mappings"
MAPPING_FILES = sorted(MAPPINGS_DIR.glob("*.yaml"))


def _fixture(source: str) -> Path:
    found = [p for p in FIXTURES.glob(f"{source}.*") if p.suffix != ".py"]
    assert len(found) == 1, f"mapping {source} needs exactly one fixture in {FIXTURES}"
    return found[0]


@pytest.mark.parametrize("mapping_file", MAPPING_FILES, ids=lambda p: p.stem)
def test_mapping_loads_good_rows_and_rejects_the_bad_one(mapping_file: Path, schema: Schema) -> None:
    mapping = dataclasses.replace(load_mapping(mapping_file, schema), min_rows=0)
    fixture = _fixture(mapping.source)
    table = read_table(fixture)
    report = Report()
    nodes, _links = apply_mapping(mapping, table, fixture.name, report)
    account = report.account(fixture.name, mapping.source)
    assert account.balanced
    assert account.read == len(table.rows)
    assert account.rejected == 1 and account.loaded == len(nodes) >= 1
    last_row = list(table.rows)[-1].row
    errors = [i for i in report.issues if i.level is Level.ERROR and i.row == last_row]
    assert errors and errors[0].file == fixture.name and errors[0].column
    for node in nodes:
        assert node.label == mapping.node_class
        assert node.provenance.file == fixture.name and node.provenance.row >= 2
        assert set(node.props) <= set(schema.node_class(node.label).property_names)


def test_every_mapping_has_a_fixture() -> None:
    import yaml

    for path in MAPPING_FILES:
        source = yaml.safe_load(path.read_text(encoding="utf-8"))["source"]
        _fixture(source)


def test_a_mapping_that_does_not_fit_the_ontology_is_refused(tmp_path: Path, schema: Schema) -> None:
    text = (
        (MAPPINGS_DIR / "15_labs.yaml")
        .read_text(encoding="utf-8")
        .replace("field: {column: field}", "colour: {column: field}")
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match="no property 'colour'"):
        load_mapping(bad, schema)
    bad.write_text("source: x\nnode: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(bad, schema)


def test_a_file_missing_a_mapped_column_is_reported_whole(tmp_path: Path, schema: Schema) -> None:
    mapping = load_mapping(MAPPINGS_DIR / "00_cities.yaml", schema)
    csv_file = tmp_path / "cities.csv"
    csv_file.write_text("name_zh,admin_code\n广州市,440100\n", encoding="utf-8")
    report = Report()
    nodes, _ = apply_mapping(mapping, read_table(csv_file), "cities.csv", report)
    assert nodes == []
    assert "lacks the column(s)" in report.errors[0].reason
    assert report.account("cities.csv", "cities").rejected == 1


def test_a_name_two_rows_write_before_their_brackets_is_neither_s_alias(tmp_path: Path, schema: Schema) -> None:
    """Two branches of one firm (a bracket the qualifier words miss) were one node through the name before their
    brackets; a firm with its short name in brackets keeps both names."""
    header = (
        "name_zh,name_en,city,clusters,roles,unified_social_credit_code,stock_code,list_date,founded_year,source,"
        "confidence,notes"
    )
    rows = ["甲集团有限公司（东区工厂）", "甲集团有限公司（西区工厂）", "乙科技股份有限公司（乙科技）"]
    path = tmp_path / "firms.csv"
    path.write_text("\n".join([header, *(f"{name},,深圳市,,,,,,,,," for name in rows)]) + "\n", encoding="utf-8")
    firms = load_mapping(MAPPINGS_DIR / "30_enterprises.yaml", schema)
    records, _ = apply_mapping(firms, read_table(path), "firms.csv", Report())
    aliases = {r.props["name_zh"]: r.props.get("aliases") for r in records}
    assert aliases == {
        "甲集团有限公司（东区工厂）": ["东区工厂"],
        "甲集团有限公司（西区工厂）": ["西区工厂"],
        "乙科技股份有限公司（乙科技）": ["乙科技", "乙科技股份有限公司"],
    }
    assert all(set(r.props.get("aliases") or []) <= set(r.names) for r in records)
