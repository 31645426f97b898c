"""The Neo4j password never shows: not in logs (every logger at DEBUG, the driver's included), not in the
command line's output or errors, not on any page of the app (with the right password, and with a wrong one),
and not in exports (RDF, CSV, the Excel workbook) or the ingest report and run record."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graph.exports import workbook_bytes
from graph.rdf.export import export_rdf
from graph.settings import Settings
from graph.store import GraphStore
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, bundled_sources
from tests.conftest import REPO, shown

PAGES = ["overview", "chain", "explore", "map", "targets", "lists", "console", "export", "quality"]
WRONG = "s3cret-Wrong-Pw-4711"


def _page_text(app: AppTest) -> str:
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success",
                 "exception", "code", "text", "json", "metric"):  # fmt: skip
        parts.extend(repr(element.proto) for element in getattr(app, kind))
    parts.extend(df.value.to_csv() for df in app.dataframe)
    parts.extend(frame.proto.srcdoc for frame in app.get("iframe"))
    # as a reader sees it: the app escapes data for markdown (``plain``), and a proto's repr doubles the backslash
    return re.sub(r"\\+([!-/:-@\[-`{-~])", r"\1", "\n".join(parts))


@pytest.mark.neo4j
def test_the_password_is_never_shown(
    loaded_neo4j: GraphStore, neo4j_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    password = neo4j_settings.neo4j_password.reveal()
    assert len(password) >= 8

    # logs: an ingest with every logger at DEBUG
    caplog.set_level(logging.DEBUG)
    logging.getLogger("neo4j").setLevel(logging.DEBUG)
    try:
        run_ingest(loaded_neo4j, bundled_sources(loaded_neo4j.schema, only="clusters"), data_dir=DATA_DIR)
    finally:
        logging.getLogger("neo4j").setLevel(logging.WARNING)
    assert caplog.text and password not in caplog.text

    # the command line, verbose, and its errors
    cli = [sys.executable, str(REPO / "cli.py"), "-v"]
    outputs = [
        subprocess.run([*cli, "ingest", "--store", "neo4j", "--source", "clusters", "--report-dir", str(tmp_path)],
                       capture_output=True, text=True, check=True),
        subprocess.run([*cli, "query", "cluster_list", "--store", "neo4j", "--format", "csv"],
                       capture_output=True, text=True, check=True),
        subprocess.run([*cli, "counts", "--store", "neo4j"], capture_output=True, text=True,
                       env={**os.environ, "NEO4J_PASSWORD": WRONG}, check=False),
    ]  # fmt: skip
    assert outputs[2].returncode == 2 and "refused the credentials" in outputs[2].stderr
    for proc in outputs:
        assert password not in proc.stdout + proc.stderr and WRONG not in proc.stdout + proc.stderr

    # exports and the records the ingest leaves
    rdf = tmp_path / "graph.ttl"
    export_rdf(loaded_neo4j, rdf, fmt="turtle")
    clusters = loaded_neo4j.read("MATCH (c:IndustryCluster) RETURN c.name_zh AS n")
    workbook = workbook_bytes({"clusters": (clusters.columns, clusters.rows)})
    report = (tmp_path / "latest" / "rejections.csv").read_bytes()
    runs = str(loaded_neo4j.read("MATCH (r:IngestRun) RETURN r").rows)
    for blob in (rdf.read_bytes(), Path(f"{rdf}.catalog.ttl").read_bytes(), workbook, report, runs.encode()):
        assert password.encode() not in blob


@pytest.mark.neo4j
@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_the_password(page: str, loaded_neo4j: GraphStore, neo4j_settings: Settings) -> None:
    from app_pages.common import _store

    password = neo4j_settings.neo4j_password.reveal()
    _store.clear()
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.run()
    if page != "overview":
        app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception
    assert password not in _page_text(app)
    _store.clear()


@pytest.mark.neo4j
def test_a_wrong_password_is_a_clear_error_on_the_page(
    loaded_neo4j: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app_pages.common import _store

    monkeypatch.setenv("NEO4J_PASSWORD", WRONG)
    _store.clear()
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception  # a message, not a traceback
    assert any("refused the credentials" in shown(e.value) for e in app.error)
    assert WRONG not in _page_text(app)
    _store.clear()
