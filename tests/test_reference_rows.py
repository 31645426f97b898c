"""The tables the inference rules read beside the mapped sources (ingest/reference_rows.py, inference.city_polygons):
a damaged row is reported by file, row and reason and the good rows are used; a table that cannot be used stops the
run before it writes, in one sentence, the graph unchanged (going on would drop every tie its rule inferred
before). Before, a GB18030 list, a short row or a feature that is not an object stopped the ingest with a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app_pages.errors import explain_error
from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.ids import match_key
from graph.schema import Schema, default_schema
from graph.store import GraphStore
from ingest.attribution import _shenwan, _university_studies
from ingest.crosswalks import Crosswalks
from ingest.inference import CITY_BOUNDARIES, city_polygons
from ingest.pipeline import collect, run_ingest
from ingest.reference_rows import RuleTableError
from ingest.report import Level, Report
from ingest.sources import bundled_sources

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
CKG = str(REPO / ".venv" / "bin" / "ckg")
SHUANGGAO = "raw/vocational-shuanggao/shuanggao_2019.csv"
DFC = "raw/university-disciplines/dfc2022.csv"
SHENWAN = "raw/shenwan-2021/sw_stock_classification.csv"
KEYWORDS = "crosswalks/keywords.csv"
DISCIPLINES = "crosswalks/disciplines.csv"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    return folder


def test_a_list_in_gb18030_is_read_as_in_utf8(data: Path) -> None:
    before = _university_studies(data)
    path = data / DFC
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    report = Report()
    assert _university_studies(data, report) == before
    assert not report.issues


def test_a_short_row_is_reported_and_the_others_used(data: Path) -> None:
    path = data / SHUANGGAO
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "广东轻工职业技术学院")  # one field where the header has four: row 3
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = Report()
    studies = _university_studies(data, report)
    assert [(i.level, i.file, i.row, i.value) for i in report.issues] == [
        (Level.ERROR, SHUANGGAO, 3, "广东轻工职业技术学院")
    ]
    groups = [s for found in studies.values() for s in found if s[0] == "major_group"]
    assert len(groups) == sum(len(line.split(",")[3].split("|")) for line in lines[1:] if line.count(",") == 3)


@pytest.mark.parametrize("column", ["keyword", "clusters", "confidence"])
def test_a_crosswalk_without_a_column_is_an_error_and_the_others_load(data: Path, column: str) -> None:
    path = data / "crosswalks" / "keywords.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(column, "misspelt", 1), encoding="utf-8")
    # a misspelt clusters column made every keyword a "no cluster" decision, without a word
    with pytest.raises(RuleTableError, match=f"crosswalks/keywords.csv lacks the column\\(s\\) {column}"):
        Crosswalks.load(data, Report())


def test_a_crosswalk_whose_encoding_is_only_a_guess_is_an_error(data: Path) -> None:
    """One Latin-1 byte in a UTF-8 file: neither UTF-8 nor GB18030, and the detector's guess read every keyword as
    Cyrillic without a word in the report."""
    path = data / "crosswalks" / "keywords.csv"
    path.write_bytes(path.read_bytes().replace(b"semiconductors", "semiconduct\u00e9rs".encode("latin-1"), 1))
    with pytest.raises(RuleTableError, match=r"keywords\.csv is neither UTF-8 nor GB18030"):
        Crosswalks.load(data, Report())


def test_a_crosswalk_row_is_named_by_its_spreadsheet_row_and_a_long_cell_is_cut_not_dropped(data: Path) -> None:
    path = data / "crosswalks" / "keywords.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1:1] = ["", f"光刻胶测试词,E01,high,{'长' * 100_001}"]  # a blank line (row 2), then row 3
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = Report()
    row = next(r for r in Crosswalks.load(data, report).keywords if r.key == "光刻胶测试词")
    assert (row.file, row.line, row.clusters) == ("crosswalks/keywords.csv", 3, ("E01",))
    assert [(i.level, i.row, i.column) for i in report.issues] == [(Level.WARNING, 3, "reasoning")]


def test_a_rule_table_that_is_a_folder_is_an_error(data: Path) -> None:
    path = data / SHUANGGAO
    path.unlink()
    path.mkdir()
    with pytest.raises(RuleTableError, match=r"shuanggao_2019\.csv cannot be read"):
        _university_studies(data, Report())


def test_a_boundary_that_cannot_be_read_is_left_out(data: Path) -> None:
    path = data / CITY_BOUNDARIES
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    first = doc["features"][0]["properties"]["adcode"]
    ring = [[113.0, 23.0], [113.1, 23.0], [113.1, 23.1]]
    bad = [
        "not a feature",
        {"properties": {"adcode": 1}, "geometry": {"type": "Polygon", "coordinates": [[[1]]]}},
        {"properties": {"adcode": 2}, "geometry": {"type": "Polygon", "coordinates": [[["113", "23"], *ring]]}},
        {"properties": {"adcode": 3}, "geometry": {"type": "Polygon", "coordinates": [[[10**400, 23], *ring]]}},
        {"properties": {"adcode": first}, "geometry": None},  # a second entry for a city, without a shape
        {"properties": {"adcode": 4}, "geometry": {"type": "Point", "coordinates": [113, 23]}},
    ]
    doc["features"][1:1] = bad
    body = json.dumps(doc, ensure_ascii=False)
    path.write_text(
        body.replace('"coordinates": [[[1]]]', '"coordinates": [[[NaN, 1], [1, 1], [1, 2]]]'), encoding="utf-8"
    )
    report = Report()
    polygons = city_polygons(data, report)
    assert set(polygons) == {str(f["properties"]["adcode"]) for f in json.loads(text)["features"]}
    assert [(i.level, i.row) for i in report.issues] == [(Level.ERROR, n) for n in range(2, 2 + len(bad))]
    assert report.issues[4].value == str(first)
    for broken in (b"{ not json", b"[" * 100_000, b'{"features": 7}', bytes(range(0x80, 0x100)) * 2):
        path.write_bytes(broken)
        with pytest.raises(RuleTableError, match="cannot be read as GeoJSON"):
            city_polygons(data, Report())


def test_the_collect_alone_reports_them_too(data: Path, schema: Schema) -> None:
    (data / SHUANGGAO).write_text("school_name,major_groups\n某职业学院\n", encoding="utf-8")  # a short row
    report = Report()
    collect(bundled_sources(schema), schema, data, report)
    assert [(i.level, i.file, i.row) for i in report.issues if i.file == SHUANGGAO] == [(Level.ERROR, SHUANGGAO, 2)]


def test_a_run_with_damaged_rows_finishes_and_reports_them(data: Path, embedded_store: GraphStore) -> None:
    lines = (data / SHUANGGAO).read_text(encoding="utf-8").splitlines()
    (data / SHUANGGAO).write_text("\n".join([*lines[:2], "某职业学院", *lines[2:]]) + "\n", encoding="utf-8")
    path = data / DFC
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    result = run_ingest(embedded_store, bundled_sources(embedded_store.schema), data_dir=data)
    problems = [(i.level, i.file, i.row) for i in result.report.issues if i.file in (SHUANGGAO, DFC)]
    assert problems == [(Level.ERROR, SHUANGGAO, 3)]
    assert sum(result.node_counts.values()) > 1_000


@pytest.mark.parametrize("damage", ["no column", "boundaries"])
def test_a_table_that_cannot_be_used_stops_the_run_and_changes_nothing(
    data: Path, embedded_store: GraphStore, damage: str
) -> None:
    """Going on without it would drop every tie its rule inferred before: the run stops first, in one sentence."""
    run_ingest(embedded_store, bundled_sources(embedded_store.schema), data_dir=data)
    before = graph_digest(embedded_store)
    if damage == "no column":
        (data / SHUANGGAO).write_text("school_name\n某职业学院\n", encoding="utf-8")
    else:
        (data / CITY_BOUNDARIES).write_text('{"features": 7}', encoding="utf-8")
    with pytest.raises(RuleTableError) as raised:
        run_ingest(embedded_store, bundled_sources(embedded_store.schema), data_dir=data)
    assert "the graph is unchanged" in str(raised.value)
    assert explain_error(raised.value)[1].startswith("A table of the inference rules cannot be used: ")
    assert graph_digest(embedded_store) == before
    last = embedded_store.read("MATCH (r:IngestRun) RETURN r.status AS s ORDER BY r.started_at DESC LIMIT 1").rows
    assert last == [{"s": "failed"}]


def test_a_source_whose_encoding_is_a_guess_is_read_with_a_warning(data: Path, schema: Schema) -> None:
    """A mapped source still loads on a guess (a Big5 list is real), but the report asks a person to check it: here
    the crosswalk text with its stray byte, which the detector reads as Cyrillic, put in the firms' file's place."""
    text = (data / "crosswalks" / "keywords.csv").read_bytes()
    (data / "facts" / "enterprises.csv").write_bytes(text.replace(b"semiconductors", b"semiconduct\xe9rs", 1))
    source = next(s for s in bundled_sources(schema) if s.name == "enterprises")
    report = Report()
    source.collect(data, report)
    guessed = [i for i in report.issues if "guess" in i.reason]
    assert [(i.level, i.file) for i in guessed] == [(Level.WARNING, "facts/enterprises.csv")]


def test_a_row_without_its_key_is_reported_and_not_used(data: Path) -> None:
    """An empty stock code was read as stock 000000, and an empty keyword was skipped without a word."""
    shenwan = data / SHENWAN
    shenwan.write_text(shenwan.read_text(encoding="utf-8") + ",2021-07-30,110101,\n", encoding="utf-8")
    keywords = data / KEYWORDS
    lines = keywords.read_text(encoding="utf-8").splitlines()
    lines.insert(3, " ,E01,high,a keyword left blank")  # row 4
    keywords.write_text("\n".join(lines) + "\n", encoding="utf-8")
    disciplines = data / DISCIPLINES
    lines = disciplines.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    by_code = dict.fromkeys(header, "") | {
        "scheme": "discipline",
        "code": "9999",
        "clusters": "E01",
        "confidence": "high",
    }
    nothing = by_code | {"code": ""}  # neither a code nor a name to find it by
    disciplines.write_text("\n".join([*lines, *(",".join(r[c] for c in header) for r in (by_code, nothing))]) + "\n")
    report = Report()
    assert "000000" not in _shenwan(data, report)
    crosswalks = Crosswalks.load(data, report)
    assert all(row.key for row in crosswalks.keywords)
    assert crosswalks.disciplines[("discipline", match_key("9999"))].line == len(lines) + 1  # found by its code alone
    rows = len(shenwan.read_text(encoding="utf-8").splitlines())
    assert [(i.level, i.file, i.row, i.column) for i in report.issues] == [
        (Level.WARNING, SHENWAN, rows, "stock_code"),
        (Level.WARNING, KEYWORDS, 4, "keyword"),
        (Level.WARNING, DISCIPLINES, len(lines) + 2, "code,name"),
    ]


def test_the_command_line_stops_in_one_line_and_writes_nothing(data: Path, tmp_path: Path) -> None:
    (data / SHUANGGAO).write_text("school_name\n某职业学院\n", encoding="utf-8")  # no major_groups column
    store = tmp_path / "graph.lbdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    done = subprocess.run(
        [CKG, "ingest", "-q", "--embedded-path", str(store), "--data-dir", str(data), "--report-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**env, "CLUSTERKG_BACKEND": "embedded"},
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert f"推断规则用表 {SHUANGGAO} 缺少列 major_groups" in line and "the graph is unchanged" in line
    if store.exists():  # the schema may be made before the rules are read; no fact is written
        written = EmbeddedStore(store, default_schema(), read_only=True)
        try:
            labels = written.read("MATCH (n) RETURN DISTINCT label(n) AS label").rows
        finally:
            written.close()
        assert {row["label"] for row in labels} <= {"IngestRun"}
