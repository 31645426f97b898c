"""A run's report stays bounded however many problems its files raise: every problem goes into the report's text
(a temporary file once past a few MB), only the first of each level stay as objects, and the run's record in the
graph keeps the first of each level beside the counts of all. A firms' list of 79 MB whose every row is wrong raised
2.8 M problems: held whole they took 1.1 GB, their CSV text another 1.1 GB, and the run record would have held
them all in one property that the data-quality page read into one table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ingest.report
from app_pages.common import forget_store
from app_pages.common import store as app_store
from graph import topology
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from ingest.collecting import _read_whole
from ingest.pipeline import run_ingest
from ingest.report import Level, Report
from ingest.sources import DATA_DIR, bundled_sources
from tests.conftest import REPO


def test_every_problem_is_written_and_the_first_of_each_level_held(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ingest.report, "HELD_PER_LEVEL", 5)
    monkeypatch.setattr(ingest.report, "_IN_MEMORY_BYTES", 1_024)
    report = Report()
    for row in range(2, 14):
        report.error("facts/enterprises.csv", "不是年份 / not a year", row=row, column="founded_year", value="abc")
        report.warning("facts/enterprises.csv", "未知城市 / unknown city", row=row, column="city", value="火星市")
    report.error("facts/labs.csv", "缺少列 / a column is missing")  # a whole file's error, past the held ones
    assert [(i.level, i.row) for i in report.issues] == [
        (level, row) for row in range(2, 7) for level in (Level.ERROR, Level.WARNING)
    ]
    assert report.counts == {Level.ERROR: 13, Level.WARNING: 12} and report.total == 25
    assert [i.file for i in report.file_errors] == ["facts/labs.csv"]
    assert report.summary().startswith("0 个文件；13 个错误，12 个警告 / 0 files; 13 errors, 12 warnings")
    assert report._text._rolled  # type: ignore[attr-defined]  # the text went to a temporary file
    path = tmp_path / "rejections.csv"
    report.write_csv(path)
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert rows[0] == ["级别 level", "文件 file", "行 row", "列 column", "值 value", "原因 reason"]
    assert [(r[0], r[2]) for r in rows[1:]] == [
        *[(level, str(row)) for row in range(2, 14) for level in ("错误 error", "警告 warning")],
        ("错误 error", ""),
    ]
    assert report.to_csv() == path.read_bytes().decode("utf-8-sig")
    report.warning("facts/enterprises.csv", "later / later", row=99)  # a problem after the text was read is kept
    assert report.to_csv().splitlines()[-1].startswith("警告 warning,facts/enterprises.csv,99,")


def test_a_files_error_past_the_held_ones_still_marks_its_source_unread(
    monkeypatch: pytest.MonkeyPatch, schema: Schema
) -> None:
    monkeypatch.setattr(ingest.report, "HELD_PER_LEVEL", 3)
    firms = next(s for s in bundled_sources(schema) if s.name == "enterprises")
    report = Report()
    for row in range(2, 10):
        report.error(firms.file, "坏行 / a bad row", row=row)
    assert _read_whole(report, firms)
    report.error(firms.file, "文件无法读取 / the file cannot be read")
    assert not _read_whole(report, firms)


def test_a_run_records_the_first_problems_of_each_level_and_counts_them_all(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, schema: Schema
) -> None:
    monkeypatch.setattr(ingest.report, "RECORDED_PER_LEVEL", 4)
    path = tmp_path / "graph.lbdb"
    store = EmbeddedStore(path, schema)
    try:
        report = run_ingest(store, bundled_sources(schema), data_dir=DATA_DIR).report
        [run] = store.read("MATCH (r:IngestRun) RETURN r.report_json AS report, r.counts_json AS counts").rows
    finally:
        store.close()
    recorded = json.loads(run["report"])
    levels = [issue["level"] for issue in recorded]
    assert report.total > len(recorded) and max(report.counts.values()) > 4  # the bundled data's 276 warnings
    assert sorted(levels) == sorted(level.value for level, n in report.counts.items() for _ in range(min(n, 4)))
    assert json.loads(run["counts"])["issues"] == {level.value: n for level, n in report.counts.items()}

    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(path))
    forget_store()
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    app.run()
    app.switch_page("app_pages/quality.py").run()
    assert not app.exception, app.exception
    said = " ".join(c.value for c in app.caption)
    assert f"共发现 {report.total:,} 个问题" in said and f"{report.total:,} problems were found" in said
    opened = app_store()  # the app's: its snapshot's build finished and the store closed before this process may end
    topology.ready(opened, 120)
    forget_store()
    opened.close()


def test_a_failed_write_leaves_the_text_whole_for_the_next(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A copy that failed part-way (a full disk) used to leave the text read to its middle: the next problem was
    written over it."""
    monkeypatch.setattr(ingest.report, "_IN_MEMORY_BYTES", 1_024)
    report = Report()
    for row in range(2, 2_000):
        report.error("facts/enterprises.csv", "坏行 / a bad row", row=row, value="x" * 50)
    with pytest.raises(OSError), Path("/dev/full").open("w", encoding="utf-8") as full:
        report._copy_to(full)
        full.flush()
    report.warning("facts/labs.csv", "后来 / later", row=7)
    path = tmp_path / "rejections.csv"
    report.write_csv(path)
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    expected = [*(("错误 error", str(n)) for n in range(2, 2_000)), ("警告 warning", "7")]
    assert [(r[0], r[2]) for r in rows[1:]] == expected


def test_a_lone_surrogate_or_a_long_value_is_kept_in_its_report_line(tmp_path: Path) -> None:
    """A JSON file may hold a lone surrogate, which UTF-8 cannot encode: it stopped the run when the report was
    written. A value is kept to its first characters and its length: a 100,000-character cell merged over 2,000 rows
    of a workbook made a report of 764 MB."""
    report = Report()
    report.error("facts/labs.json", "坏值 / a bad value", row=2, column="name_zh", value="实验室\ud800")
    long = "长" * 100_000
    report.warning("facts/labs.xlsx", "过长 / too long", row=3, column="name_zh", value=long)
    path = tmp_path / "rejections.csv"
    report.write_csv(path)
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert rows[1][4] == "实验室\\ud800"
    assert rows[2][4] == report.issues[1].value == "长" * 1_000 + "…（共 100,000 个字符 / 100,000 characters）"
