"""The mapping schema: every broken mapping of tests/data/broken_mappings/ is refused before a row is loaded,
with the mapping file, the YAML line, the key path and a hint; nothing reaches the store."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from ingest.mapping import MappingError, SourceMapping, load_mapping
from ingest.mapping_apply import apply_mapping
from ingest.readers import read_table
from ingest.report import Report
from ingest.sources import DATA_DIR, mapping_source
from tests.bilingual import chinese_first

REPO = Path(__file__).resolve().parent.parent
BROKEN = Path(__file__).resolve().parent / "data" / "broken_mappings"
MANIFEST: dict[str, dict[str, Any]] = json.loads((BROKEN / "manifest.json").read_text(encoding="utf-8"))
DATA = BROKEN / "list.csv"


def _apply(mapping: SourceMapping) -> tuple[Report, int, int]:
    report = Report()
    nodes, links = apply_mapping(mapping, read_table(DATA), "list.csv", report)
    return report, len(nodes), len(links)


def test_the_corpus_is_large_and_complete() -> None:
    assert len(MANIFEST) >= 20
    assert sorted(MANIFEST) == sorted(p.name for p in BROKEN.glob("*.yaml") if p.name != "base.yaml")


def test_the_base_of_the_corpus_is_a_valid_mapping(schema: Schema) -> None:
    report, nodes, links = _apply(load_mapping(BROKEN / "base.yaml", schema))
    assert (nodes, links) == (2, 4) and not report.errors


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if e["stage"] == "schema"))
def test_a_broken_mapping_is_refused_with_its_line_and_a_hint(name: str, schema: Schema) -> None:
    expected, path = MANIFEST[name], BROKEN / name
    with pytest.raises(MappingError) as caught:
        load_mapping(path, schema)
    found = [i for i in caught.value.issues if str(expected["expect"]) in i.message]
    assert found, str(caught.value)
    issue = found[0]
    assert issue.file == str(path) and issue.line == expected["line"], issue.describe()
    assert issue.hint and str(expected["hint"]) in issue.hint, issue.describe()
    assert f"{path}:{expected['line']}: " in str(caught.value)
    said = [i.message for i in caught.value.issues] + [i.hint for i in caught.value.issues if i.hint]
    assert all(map(chinese_first, said)), said
    count = len(caught.value.issues)
    assert f": {count} 个问题 / {count} problem" in str(caught.value).splitlines()[0], str(caught.value)


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if e["stage"] == "columns"))
def test_a_mapping_naming_a_column_the_file_lacks_loads_nothing(name: str, schema: Schema) -> None:
    expected, path = MANIFEST[name], BROKEN / name
    report, nodes, links = _apply(load_mapping(path, schema))
    assert (nodes, links) == (0, 0)
    reasons = [i.reason for i in report.errors]
    assert any(
        f"{path}:{expected['line']}: " in r and str(expected["expect"]) in r and str(expected["hint"]) in r
        for r in reasons
    ), reasons
    assert not report.account("list.csv", "curator_list").bounds_ok


def test_a_file_that_cannot_be_a_mapping_gives_one_line(tmp_path: Path, schema: Schema) -> None:
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes((BROKEN / "base.yaml").read_text(encoding="utf-8").encode("gbk"))
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    unclosed = tmp_path / "unclosed.yaml"
    unclosed.write_text("source: x\nnode: [unclosed\n", encoding="utf-8")
    month = tmp_path / "month.yaml"  # the YAML loader's timestamp raised ValueError: month must be in 1..12
    month.write_text("source: 2001-13-45\n", encoding="utf-8")
    deep = tmp_path / "deep.yaml"  # the composer's recursion: RecursionError
    deep.write_text("x: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    cases = {
        tmp_path / "absent.yaml": "no such mapping file",
        tmp_path: "is a folder",
        gbk: "not UTF-8",
        empty: "is empty",
        unclosed: "not valid YAML",
        month: "not readable YAML (ValueError",
        deep: "not readable YAML (RecursionError",
    }
    for path, fragment in cases.items():
        with pytest.raises(MappingError) as caught:
            load_mapping(path, schema)
        message = str(caught.value)
        assert fragment in message and str(path) in message and "\n" not in message, message


def test_a_mapping_of_aliases_on_aliases_is_read_at_once(tmp_path: Path, schema: Schema) -> None:
    """Nine levels of ten aliases each (under a kilobyte) were a billion key paths to record their lines: past 20 s
    and out of memory. Each node is walked once, and the unknown key is reported as for any mapping."""
    import time

    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10)
    )
    path = tmp_path / "laughs.yaml"
    path.write_text((BROKEN / "base.yaml").read_text(encoding="utf-8") + laughs, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(MappingError, match="a9"):
        load_mapping(path, schema)
    assert time.perf_counter() - started < 5


def test_a_top_level_list_is_not_a_mapping(tmp_path: Path, schema: Schema) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- source: x\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"list\.yaml:1: 映射须由.* / a mapping must be key: value pairs"):
        load_mapping(path, schema)


def _with(tmp_path: Path, old: str, new: str) -> Path:
    text = (BROKEN / "base.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_skip_rule_that_skips_every_row_breaks_the_bounds(tmp_path: Path, schema: Schema) -> None:
    rule = "rows: {min: 1, max: 100}\nskip:\n  - {column: 城市, not_equals: 北京市, reason: outside Beijing}"
    mapping = load_mapping(_with(tmp_path, "rows: {min: 1, max: 100}", rule), schema)
    report, nodes, _ = _apply(mapping)
    account = report.account("list.csv", "curator_list")
    assert nodes == 0 and account.skipped == 2 and not account.bounds_ok
    assert any("0 rows loaded (2 skipped" in i.reason for i in report.errors)


def test_loaded_row_bounds_are_their_own(tmp_path: Path, schema: Schema) -> None:
    rows = "rows: {min: 0, max: 100, max_loaded: 1}"
    report, nodes, _ = _apply(load_mapping(_with(tmp_path, "rows: {min: 1, max: 100}", rows), schema))
    assert nodes == 2 and not report.account("list.csv", "curator_list").bounds_ok
    report, _, _ = _apply(load_mapping(_with(tmp_path, "rows: {min: 1, max: 100}", "rows: {max: 100}"), schema))
    assert report.account("list.csv", "curator_list").bounds_ok  # min 0: loading nothing would be allowed too


def test_a_property_priority_reaches_the_record(tmp_path: Path, schema: Schema) -> None:
    year = "founded_year: {column: 成立年份, type: year}"
    mapping = load_mapping(_with(tmp_path, year, year.replace("}", ", priority: 5}")), schema)
    report = Report()
    nodes, _ = apply_mapping(mapping, read_table(DATA), "list.csv", report)
    assert nodes and all(n.prop_priority == (("founded_year", 5),) for n in nodes)


def test_provenance_and_alias_columns_compare_as_headers_do(tmp_path: Path, schema: Schema) -> None:
    mapping = load_mapping(BROKEN / "base.yaml", schema)
    assert mapping.provenance == {"url": "来源"} and mapping.alias_columns == ("简称",)
    report = Report()
    nodes, _ = apply_mapping(mapping, read_table(DATA), "list.csv", report)
    assert nodes[0].provenance.url == "https://www.huawei.com/cn/" and "华为" in nodes[0].props["aliases"]
    assert dataclasses.replace(mapping, min_loaded=5).min_loaded == 5


def _digest(path: Path, schema: Schema) -> str:
    store = EmbeddedStore(path, schema)
    try:
        return graph_digest(store).sha256
    finally:
        store.close()


def test_a_broken_mapping_writes_nothing_to_a_real_store(tmp_path: Path, schema: Schema) -> None:
    from ingest.pipeline import run_ingest

    db = tmp_path / "graph.lbdb"
    store = EmbeddedStore(db, schema)
    good = mapping_source(load_mapping(BROKEN / "base.yaml", schema), str(DATA))
    assert run_ingest(store, [good], data_dir=DATA_DIR).ok
    store.close()
    before = _digest(db, schema)
    for name in ("colum_typo.yaml", "enum_vaules.yaml", "rows_max_lots.yaml"):
        command = [sys.executable, "-m", "cli", "ingest", "--file", str(DATA), "--mapping", str(BROKEN / name)]
        command += ["--embedded-path", str(db), "--report-dir", str(tmp_path / "report"), "-q"]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 2, done.stderr
        assert f"{BROKEN / name}:{MANIFEST[name]['line']}: " in done.stderr and MANIFEST[name]["hint"] in done.stderr
    assert _digest(db, schema) == before
    store = EmbeddedStore(db, schema)  # a valid mapping whose column the file lacks: refused in the pipeline
    misspelt = mapping_source(load_mapping(BROKEN / "property_column_misspelt.yaml", schema), str(DATA))
    result = run_ingest(store, [misspelt], data_dir=DATA_DIR)
    store.close()
    assert not result.ok and not result.nodes.added and not result.nodes.dropped
    assert _digest(db, schema) == before


def test_mapping_check_prints_ok_or_every_problem(tmp_path: Path) -> None:
    def check(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "cli", "mapping", "check", *args]
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)

    ok = check(str(BROKEN / "base.yaml"), "--data", str(DATA))
    assert ok.returncode == 0 and ok.stdout.strip() == "通过 / ok", ok.stderr
    bad = check(str(BROKEN / "requried.yaml"))
    assert bad.returncode == 2 and "requried.yaml:11: " in bad.stdout + bad.stderr
    missing = check(str(BROKEN / "skip_column_misspelt.yaml"), "--data", str(DATA))
    assert missing.returncode == 2 and "did you mean '城市'?" in missing.stdout + missing.stderr


@pytest.mark.parametrize(
    ("data", "node_class"),
    [
        (DATA, "Enterprise"),
        (BROKEN.parent / "bad" / "01_good_utf8.csv", "Enterprise"),
        (DATA_DIR / "facts" / "labs.csv", "Laboratory"),
    ],
    ids=["curator-list", "bad-corpus-good-file", "labs"],
)
def test_a_new_mapping_passes_the_check_and_loads_its_file(
    data: Path, node_class: str, tmp_path: Path, schema: Schema
) -> None:
    from ingest.mapping_new import guess_mapping

    path = tmp_path / "new.yaml"
    path.write_text(guess_mapping(data, schema, node_class), encoding="utf-8")
    mapping = load_mapping(path, schema)
    table = read_table(data)
    report = Report()
    nodes, _links = apply_mapping(mapping, table, data.name, report)
    assert len(nodes) == len(table.rows) and report.account(data.name, mapping.source).bounds_ok


def test_a_new_mapping_guesses_codes_years_places_clusters_and_sources(schema: Schema) -> None:
    from ingest.mapping_new import guess_mapping

    text = guess_mapping(BROKEN.parent / "bad" / "01_good_utf8.csv", schema)
    for line in (
        'name_zh: {column: "名称", type: name, required: true}',
        'uscc: {column: "统一社会信用代码", type: uscc}',
        'founded_year: {column: "成立年份", type: year}',
        'provenance: {url: "来源"}',
        '- {type: LOCATED_IN, column: "城市", to: place}',
        '- {type: IN_CLUSTER, column: "集群", to: cluster',
        "id: {prefix: enterprise, value: uscc, key: name_zh}",
        "# Enterprise 的属性 / Properties of Enterprise (node.properties): ",
    ):
        assert line in text, text
    comments = [line.lstrip()[1:].strip() for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 6 and all(map(chinese_first, comments)), comments
