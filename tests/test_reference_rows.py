"""The tables the inference rules read beside the mapped sources (ingest/reference_rows.py, inference.city_polygons):
a damaged one is reported by file, row and reason, its good rows are used, and the run goes on — before, a
GB18030 list, a short row or a feature that is not an object stopped the whole ingest with a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from graph.store import GraphStore
from ingest.attribution import _university_studies
from ingest.crosswalks import Crosswalks
from ingest.inference import CITY_BOUNDARIES, city_polygons
from ingest.pipeline import run_ingest
from ingest.report import Level, Report
from ingest.sources import bundled_sources

DATA = Path(__file__).resolve().parents[1] / "data"
SHUANGGAO = "raw/vocational-shuanggao/shuanggao_2019.csv"
DFC = "raw/university-disciplines/dfc2022.csv"


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
    assert [(i.level, i.file, i.row) for i in report.issues] == [(Level.WARNING, SHUANGGAO, 3)]
    groups = [s for found in studies.values() for s in found if s[0] == "major_group"]
    assert len(groups) == sum(len(line.split(",")[3].split("|")) for line in lines[1:] if line.count(",") == 3)


def test_a_crosswalk_without_a_column_is_an_error_and_the_others_load(data: Path) -> None:
    path = data / "crosswalks" / "keywords.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("keyword,", "key_word,", 1), encoding="utf-8")
    report = Report()
    crosswalks = Crosswalks.load(data, report)
    assert not crosswalks.keywords
    assert crosswalks.gbt4754 and crosswalks.programmes
    assert [(i.level, i.file) for i in report.issues] == [(Level.ERROR, "crosswalks/keywords.csv")]
    assert "keyword" in report.issues[0].reason


def test_a_boundary_that_cannot_be_read_is_left_out(data: Path) -> None:
    path = data / CITY_BOUNDARIES
    doc = json.loads(path.read_text(encoding="utf-8"))
    count = len(doc["features"])
    doc["features"][1:1] = ["not a feature", {"properties": {"adcode": 1}, "geometry": {"coordinates": [[[1]]]}}]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    report = Report()
    assert len(city_polygons(data, report)) == count
    assert [(i.level, i.row) for i in report.issues] == [(Level.WARNING, 2), (Level.WARNING, 3)]
    path.write_text("{ not json", encoding="utf-8")
    report = Report()
    assert city_polygons(data, report) == {}
    assert [(i.level, i.file) for i in report.issues] == [(Level.ERROR, CITY_BOUNDARIES)]


def test_a_run_with_damaged_rule_tables_finishes_and_reports_them(data: Path, embedded_store: GraphStore) -> None:
    (data / SHUANGGAO).write_text("school_name\n某职业学院\n", encoding="utf-8")  # lacks major_groups
    (data / CITY_BOUNDARIES).write_text('{"features": 7}', encoding="utf-8")
    path = data / DFC
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    result = run_ingest(embedded_store, bundled_sources(embedded_store.schema), data_dir=data)
    problems = {(i.level, i.file) for i in result.report.issues if i.file in (SHUANGGAO, CITY_BOUNDARIES, DFC)}
    assert problems == {(Level.ERROR, SHUANGGAO), (Level.ERROR, CITY_BOUNDARIES)}
    assert sum(result.node_counts.values()) > 1_000  # the sources themselves loaded
