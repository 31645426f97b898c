"""The yearly report on the bundled data: every city and cluster builds, the Word file's sections and numbers
match the named queries, and LibreOffice turns one into a PDF whose pages render (kept in test-artifacts/)."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from graph.editions import create_edition
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from graph.value_words import WORDS
from queries.catalog import get_query
from reports import charts
from reports.build import Reporter, render
from reports.context import ReportError
from reports.sections import HEADINGS, list_tables, source_table, stage_table
from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts" / "reports"


@pytest.fixture(scope="module")
def bundled(loaded_embedded_path: Path, schema: Schema) -> Iterator[GraphStore]:
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="module")
def reporter(bundled: GraphStore) -> Iterator[Reporter]:
    with Reporter(bundled, since=None) as shared:
        yield shared


def _texts(blob: bytes) -> tuple[list[str], list[list[list[str]]]]:
    doc = Document(io.BytesIO(blob))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables


def test_every_city_report_builds_with_its_sections(reporter: Reporter) -> None:
    cities = reporter.cities()
    assert len(cities) == 21
    for city in cities:
        paragraphs, tables = _texts(render(reporter.context("city", city), "docx", charts=False))
        assert paragraphs[0] == f"{city}创新体系执行情况报告"
        for zh, en in HEADINGS:
            assert f"{zh} {en}" in paragraphs, (city, zh)
        assert [row[0].split(" ")[0] for row in tables[0][1:]] == [
            "基础研究",
            "技术攻关",
            "成果转化",
            "科技金融",
            "人才支撑",
        ]


def test_a_city_report_s_gaps_and_score_follow_its_stage_table(reporter: Reporter) -> None:
    """深圳's report gave sci-tech finance 0 entities, yet neither listed the stage as missing nor scored it so: the
    table counted the city's cluster members, the score every entity of the stage in the city. Table 1 now gives
    both, and a stage the score counts none of is the one the gaps name."""
    disagreed = 0
    for city in reporter.cities():
        ctx = reporter.context("city", city)
        table = stage_table(ctx)
        counted = {row[0].split(" ")[0]: row[-1] for row in table.rows}
        missing = {zh.removesuffix("环节暂无主体") for zh, _ in ctx.gaps() if zh.endswith("环节暂无主体")}
        assert missing == {stage for stage, n in counted.items() if n == 0}, city
        assert table.columns[1] == "集群成员 Cluster members" and "计入完整度" in table.columns[-1]
        disagreed += any(row[1] != row[-1] for row in table.rows)
    assert disagreed  # the two counts differ somewhere in the bundled data: the column says something


def test_a_report_s_lists_name_classes_levels_and_confidences_in_both_languages(
    reporter: Reporter, schema: Schema
) -> None:
    """The stored words (``Laboratory``, ``state_key_lab``, ``high``) are the data's names: a report shows them as
    the app does, Chinese with English."""
    ctx = reporter.context("city", "广州市")
    institutions = next(t for t in list_tables(ctx) if "研发机构" in t.title)
    column = {name: n for n, name in enumerate(institutions.columns)}
    classes = {row[column["类型 Class"]] for row in institutions.rows}
    levels = {row[column["级别 Level"]] for row in institutions.rows}
    assert "实验室 laboratory" in classes and not classes & set(schema.classes)
    assert "国家重点实验室 state key lab" in levels and not levels & set(WORDS)
    confidences = {row[2] for row in source_table(ctx).rows}
    assert "高 high" in confidences and not confidences & {"high", "medium", "low"}


def test_every_cluster_report_matches_the_chain_query(reporter: Reporter, bundled: GraphStore) -> None:
    codes = [r["code"] for r in get_query("cluster_list").run(bundled).rows]
    assert len(codes) == 20
    for code in codes:
        paragraphs, tables = _texts(render(reporter.context("cluster", code), "docx", charts=False))
        chain = get_query("cluster_chain").run(bundled, {"cluster": code, "sourced_only": False}).rows
        stages = tables[0][1:]
        assert [(int(r[1]), int(r[2]), int(r[3])) for r in stages] == [
            (row["entities"], row["sourced"], row["entities"] - row["sourced"]) for row in chain
        ], code
        assert paragraphs[0].endswith("产业集群创新体系执行情况报告") and "产业产业" not in paragraphs[0], paragraphs[0]


def test_targets_say_no_data_never_a_false_zero(reporter: Reporter, bundled: GraphStore) -> None:
    ctx = reporter.context("city", "东莞市")
    _, tables = _texts(render(ctx, "docx", charts=False))
    targets = {row[1]: row for row in tables[1][1:]}
    assert targets["高技能人才"][4].startswith("无数据")
    assert targets["国家标准"][4].startswith("无数据")
    zones = [r for r in get_query("measure12_accelerator_coverage").run(bundled).rows if r["city"] == "东莞市"]
    with_acc = sum(1 for r in zones if r["accelerators"])
    assert targets["国家高新区省级加速器覆盖率"][4] == f"{with_acc} / {len(zones)}"
    measure7 = {r["code"]: r for r in get_query("measure7_center_coverage").run(bundled).rows}
    covered = sum(1 for c in ctx.clusters if measure7[c["code"]]["manufacturing_centres"])
    # the city's clusters, whose centres count wherever they are: said, or 13 / 20 read as the city's own centres
    assert targets["产业集群省级制造业创新中心覆盖"][4].startswith(f"{covered} / {len(ctx.clusters)}（本市所在的集群")
    assert "anywhere in the province" in targets["产业集群省级制造业创新中心覆盖"][4]
    cluster = {
        row[1]: row for row in _texts(render(reporter.context("cluster", "E01"), "docx", charts=False))[1][1][1:]
    }
    assert "（" not in cluster["产业集群省级制造业创新中心覆盖"][4]  # a cluster's own count needs no words
    assert "0 %" not in "".join(row[4] for row in tables[1][1:])


def test_unknown_city_or_cluster_is_a_clear_error(reporter: Reporter) -> None:
    with pytest.raises(ReportError, match="unknown city"):
        reporter.context("city", "北京市")
    with pytest.raises(ReportError, match="unknown cluster"):
        reporter.context("cluster", "X99")


def test_charts_fail_clearly_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch, reporter: Reporter) -> None:
    monkeypatch.setattr(charts, "FONT_PATHS", ("/nonexistent/font.ttc",))
    monkeypatch.setenv("CLUSTERKG_CJK_FONT", "")
    charts.font_path.cache_clear()
    try:
        with pytest.raises(ReportError, match="fonts-wqy-microhei"):
            charts.stage_chart(reporter.context("cluster", "E01"))
    finally:
        charts.font_path.cache_clear()


def test_a_report_as_of_an_edition_with_changes(loaded_embedded_path: Path, schema: Schema, tmp_path: Path) -> None:
    path = tmp_path / "copy.lbdb"
    shutil.copyfile(loaded_embedded_path, path)
    store = EmbeddedStore(path, schema)
    try:
        create_edition(store, "2025-Q3")
        store.upsert_nodes(
            "Laboratory", [{"id": "lab/test-new", "name_zh": "新实验室", "chain_stage": "basic_research"}]
        )
        store.upsert_relationships(
            "LOCATED_IN", "Laboratory", "City", [{"from_id": "lab/test-new", "to_id": "city/441900"}]
        )
        with Reporter(store) as current:  # since: the edition before now, found by itself
            ctx = current.context("city", "东莞市")
        assert ctx.changes is not None and ctx.changes.old == "2025-Q3"
        assert ctx.changes.totals()["entity"]["added"] == 1
        html = render(ctx, "html", charts=False).decode("utf-8")
        assert "since edition 2025-Q3" in html
        assert "src='http" not in html and "<link" not in html  # self-contained: nothing fetched
        xlsx = render(ctx, "xlsx")
        assert xlsx[:2] == b"PK"
        stages = openpyxl.load_workbook(io.BytesIO(xlsx))["表1"]  # the note on what a column counts, as in Word
        assert any("计入完整度" in str(c.value) and "Counted for completeness" in str(c.value) for c in stages["A"])
    finally:
        store.close()


@pytest.mark.slow
def test_libreoffice_converts_a_report_and_its_pages_render(reporter: Reporter, tmp_path: Path) -> None:
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.fail("LibreOffice (soffice) and pdftoppm are needed: scripts/setup installs them as root")
    docx = tmp_path / "东莞市.docx"
    docx.write_bytes(render(reporter.context("city", "东莞市"), "docx"))
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    subprocess.run(
        [soffice, "--headless", "--norestore", profile, "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
        check=True, timeout=180, capture_output=True,
    )  # fmt: skip
    pdf = tmp_path / "东莞市.pdf"
    assert pdf.stat().st_size > 10_000
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    subprocess.run([pdftoppm, "-r", "60", "-png", str(pdf), str(ARTIFACTS / "dongguan")], check=True, timeout=120)
    pages = sorted(ARTIFACTS.glob("dongguan*.png"))
    assert len(pages) >= 3
    assert all(p.stat().st_size > 5_000 for p in pages)
    shutil.copyfile(pdf, ARTIFACTS / "dongguan.pdf")


@pytest.mark.browser
def test_the_html_report_fits_its_window(reporter: Reporter, chromium: str, tmp_path: Path) -> None:
    """深圳's sources table (long URLs) made the HTML report 1,339 px wide in a 1,200 px window, and wider than a
    phone's."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS

    page_file = tmp_path / "report.html"
    page_file.write_bytes(render(reporter.context("city", "深圳市"), "html", charts=False))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for width in (1200, 375):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            page.close()
        browser.close()
