"""What leaves the graph is safe: spreadsheet cells never run, exports never touch the live database and
land whole or not at all, and data shown on the Explore page is text, never markdown."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from graph.embedded_store import EmbeddedStore
from graph.exports import ExportError, check_target, csv_text, safe_cell, workbook_bytes
from graph.rdf.export import export_rdf
from graph.schema import Schema
from ingest.report import Level, Report
from tests.conftest import REPO

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"]


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=[f"U+{ord(c):04X}" for c in FORMULA_STARTS])
def test_a_cell_starting_like_a_formula_is_neutralised_in_csv_and_excel(start: str) -> None:
    value = start + 'HYPERLINK("http://x")'
    assert safe_cell(value) == "'" + value
    rows = list(csv.reader(io.StringIO(csv_text(["v"], [{"v": value}]), newline="")))
    assert rows[1] == ["'" + value]
    sheet = load_workbook(io.BytesIO(workbook_bytes({"s": (["v"], [{"v": value}])}))).active
    shown = str(sheet["A2"].value) if sheet is not None else ""
    assert shown.startswith(("'" + start, "'" + start.replace("\r", "\n")))  # some writers keep \r, XML folds it


def test_ordinary_cells_are_left_alone() -> None:
    assert [safe_cell(v) for v in ["广州市", "a-b", 3, -3, None, 2.5]] == ["广州市", "a-b", 3, -3, None, 2.5]
    assert safe_cell(["=x", 1]) == '["=x", 1]'  # a list becomes JSON text, which starts with "["


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=[f"U+{ord(c):04X}" for c in FORMULA_STARTS])
def test_the_rejection_report_neutralises_every_text_field(start: str, tmp_path: Path) -> None:
    report = Report()
    report.add(Level.ERROR, start + "file.csv", start + "reason", row=2, column=start + "col", value=start + "1+1")
    path = tmp_path / "rejections.csv"
    report.write_csv(path)
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    # a carriage return is written as its escape (a terminal would obey it), which no formula starts with
    lead = "\\x0d" if start == "\r" else "'" + start
    assert {k: rows[0][k] for k in ("文件 file", "列 column", "值 value", "原因 reason")} == {
        "文件 file": lead + "file.csv",
        "列 column": lead + "col",
        "值 value": lead + "1+1",
        "原因 reason": lead + "reason",
    }
    assert rows[0]["级别 level"] == "错误 error"  # a header and a level a reader of either language can read


def test_an_export_never_opens_the_database_or_its_side_files(tmp_path: Path) -> None:
    live = tmp_path / "graph.lbdb"
    live.write_bytes(b"database")
    (tmp_path / "folder.lbdb").mkdir()
    (tmp_path / "link.ttl").symlink_to(live)
    for out in [live, tmp_path / "graph.lbdb.wal", tmp_path / "link.ttl", tmp_path / "folder.lbdb" / "x.ttl"]:
        with pytest.raises(ExportError, match="refusing to write over the database"):
            check_target(out, protected=[live, tmp_path / "folder.lbdb"], force=True)
    assert live.read_bytes() == b"database"


def test_an_existing_file_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "all.ttl"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(ExportError, match="already exists; pass --force"):
        check_target(out)
    assert check_target(out, force=True) == out.resolve()
    with pytest.raises(ExportError, match="is a folder"):
        check_target(tmp_path, force=True)


def test_the_cli_refuses_to_export_onto_the_live_database(loaded_embedded_path: Path) -> None:
    before = loaded_embedded_path.read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    live = str(loaded_embedded_path)
    done = subprocess.run(
        [str(REPO / ".venv/bin/ckg"), "export", "--embedded-path", live, "--force", "--out", live],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "refusing to write over the database" in done.stderr
    assert loaded_embedded_path.read_bytes() == before


def test_an_interrupted_export_leaves_the_old_file_and_no_partial_one(tmp_path: Path, schema: Schema) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    store.setup_schema()
    store.upsert_nodes(
        "City",
        [
            {
                "id": "city/440300",
                "name_zh": "深圳市",
                "source_file": "t.csv",
                "source_row": 2,
                "source_refs": ["t.csv#2"],
            }
        ],
    )
    out = tmp_path / "out" / "all.nt"
    out.parent.mkdir()
    out.write_text("the previous export\n", encoding="utf-8")
    with pytest.raises(ValueError):  # a base that is no IRI fails once the writer has opened its file
        export_rdf(store, out, fmt="ntriples", base="not an iri <>")
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["all.nt"]
    result = export_rdf(store, out, fmt="ntriples")
    assert result.triples > 10 and out.stat().st_size == result.byte_size
    assert sorted(p.name for p in out.parent.iterdir()) == ["all.nt", "all.nt.catalog.ttl"]
    store.close()


HOSTILE_URL = "![](http://tracker.example/pixel.png)"
HOSTILE_NAME = "探测**粗体**实验室<img src=x>"


@pytest.fixture
def hostile_app(tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    store.setup_schema()
    store.upsert_nodes(
        "Laboratory",
        [
            {
                "id": "lab/hostile",
                "name_zh": HOSTILE_NAME,
                "source_url": HOSTILE_URL,
                "source_file": "facts/labs.csv",
                "source_row": 2,
                "source_refs": ["facts/labs.csv#2 `code` ![](http://tracker.example/2.png)"],
            },
            {
                "id": "lab/plain",
                "name_zh": "探测普通实验室",
                "source_url": "https://www.most.gov.cn/a.html",
                "source_file": "facts/labs.csv",
                "source_row": 3,
                "source_refs": ["facts/labs.csv#3"],
            },
        ],
    )
    store.close()
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(tmp_path / "g.lbdb"))
    from app_pages.common import _store

    _store.clear()
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    app.run()
    app.switch_page("app_pages/explore.py").run()
    return app


def _markdown_sources(app: AppTest) -> list[str]:
    return [str(m.value) for m in app.markdown] + [str(h.value) for h in app.subheader]


def test_data_shown_on_explore_is_text_never_markdown(hostile_app: AppTest) -> None:
    app = hostile_app
    app.text_input(key="explore_text").set_value("探测").run()
    app.selectbox(key="explore_entity").set_value("lab/hostile").run()
    assert not app.exception, app.exception
    texts = [str(t.value) for t in app.text]
    assert any(HOSTILE_URL in t for t in texts)  # the cited "URL" shown as the characters it is
    assert any("![](http://tracker.example/2.png)" in t for t in texts)
    # no markdown element carries the data unescaped: no image, no bold, no inline HTML
    for source in _markdown_sources(app):
        assert not re.search(r"(?<!\\)!\[|(?<!\\)\*\*粗体|(?<!\\)<img", source), source
    assert "粗体" in app.subheader[0].value  # the name is still there, escaped
    assert not app.get("link_button")  # not an http(s) URL: no link at all


def test_a_plain_https_source_is_a_link(hostile_app: AppTest) -> None:
    app = hostile_app
    app.text_input(key="explore_text").set_value("探测普通").run()
    assert not app.exception, app.exception
    buttons = app.get("link_button")
    assert len(buttons) == 1 and buttons[0].proto.url == "https://www.most.gov.cn/a.html"
