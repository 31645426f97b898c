"""The app in a real headless Chromium (Debian's), driven by Playwright (the server, the browser and the helpers:
tests/browser.py): pick a cluster, wait for the chain to draw, save a screenshot, click, download, time a
researcher's tasks; fail if the page asks any host but this machine."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.bilingual import CJK
from tests.browser import (
    ARTIFACTS,
    CHART_TEXT,
    PAGES,
    TASK_LIMIT_S,
    download_file,
    open_page,
    paused_s,
    settle,
    shot,
)
from tests.cpu_share import CpuUse, CpuWindow, wait_until_quiet

pytestmark = pytest.mark.browser


def _click_a_neighbour(page: Any, root: str = "中国散裂中子源") -> str:
    """Click the node of the first name drawn that is not the root's; wait until it is in focus."""
    texts: list[str] = page.locator(CHART_TEXT).all_text_contents()
    label = next(t for t in texts if t.strip() and t.strip() not in root)
    page.locator(CHART_TEXT, has_text=label).first.scroll_into_view_if_needed()
    box = page.locator(CHART_TEXT, has_text=label).first.bounding_box()
    assert box is not None  # the name sits 5 px right of its node: click the node's edge just left of it
    page.mouse.click(box["x"] - 7, box["y"] + box["height"] / 2)
    page.wait_for_function(  # the clicked node comes into focus
        "(name) => [...document.querySelectorAll(\"[data-testid='stSelectbox']\")]"
        ".some(e => e.innerHTML.includes('选中的节点') && e.innerHTML.includes(name))",
        arg=label.rstrip("…"),
        timeout=15_000,
    )
    settle(page)
    return label


def test_every_page_draws_and_is_kept_as_a_screenshot(browser_page: tuple[Any, list[str]], server: str) -> None:
    page, _ = browser_page
    for name in PAGES:
        open_page(page, f"{server}/{name}", "[data-testid='stApp'] h1")  # /overview too: it answered "Page not found"
        settle(page)
        assert not page.locator("[data-testid='stException']").count(), name
        assert "Page not found" not in page.locator("body").inner_text(), name  # Streamlit's own, English-only dialog
        assert shot(page, f"page-{name}").stat().st_size > 10_000


def test_the_chain_graph_writes_names_and_saves_a_png_an_svg_and_an_html(
    browser_page: tuple[Any, list[str]], server: str, loaded_embedded_path: Path, schema: Any, tmp_path: Path
) -> None:
    from app_pages.chart_graph import TOOLBOX_PNG_FROM_TOP_RIGHT, short_name
    from graph.embedded_store import EmbeddedStore
    from queries.catalog import get_query

    page, _ = browser_page
    elapsed = open_page(page, f"{server}/chain?cluster=E01", CHART_TEXT)
    settle(page)
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    rows = get_query("cluster_chain_graph").run(store, {"cluster": "E01"}).rows
    names = {short_name(r[f"{end}_name"]) for r in rows for end in ("from", "to", "cluster") if r[f"{end}_name"]}
    drawn = [t for t in page.locator(CHART_TEXT).all_text_contents() if t.strip()]
    written = {t for t in drawn if t in names}
    shot(page, "chain-E01")
    assert len(written) >= 20, (len(written), drawn[:40])  # read from the drawn SVG, not assumed
    page.locator(".echarts-container").first.scroll_into_view_if_needed()  # below the counts, maybe below the fold
    box = page.locator(".echarts-container").first.bounding_box()
    assert box is not None
    with page.expect_download(timeout=30_000) as download:
        right, down = TOOLBOX_PNG_FROM_TOP_RIGHT  # the toolbox's PNG button
        page.mouse.click(box["x"] + box["width"] - right, box["y"] + down)
    path = ARTIFACTS / "chain-E01-download.png"
    download.value.save_as(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    # the SVG and the interactive HTML are made when clicked (a function Streamlit calls then)
    svg = download_file(page, "下载 SVG", tmp_path).read_text(encoding="utf-8")
    html = download_file(page, "下载交互式 HTML", tmp_path).read_text(encoding="utf-8")
    assert "<svg" in svg and sum(name in svg for name in written) >= 10, svg[:300]
    assert "vis-network" in html
    assert sum(json.dumps(name)[1:-1] in html for name in written) >= 10  # pyvis writes its nodes as JSON
    print(f"chain E01: {len(written)} names drawn; page ready in {elapsed:.1f} s")


def test_clicking_a_node_on_explore_shows_its_details_and_expands_it(
    browser_page: tuple[Any, list[str]], server: str
) -> None:
    page, _ = browser_page
    open_page(page, f"{server}/explore?entity=infrastructure/6389197a8400", CHART_TEXT)
    settle(page)
    _click_a_neighbour(page)
    assert page.get_by_text("来源 Sources").count() >= 1  # its details and sources
    page.get_by_role("button", name="展开 Expand").click()
    page.wait_for_url(lambda url: "expanded=" in url, timeout=10_000)
    settle(page)
    shot(page, "explore-clicked")


PATH_TARGET = "软件与信息服务"  # from 中国散裂中子源: a path of 2 steps and two of 3 through no hub
RED = "#d62728"


def _red_on_canvas(page: Any) -> list[str]:
    """The drawn shapes (edges and node rings) stroked in the path colour, as their SVG outlines."""
    return sorted(
        page.locator(f".echarts-container svg path[stroke='{RED}']").evaluate_all(
            "es => es.map(e => e.getAttribute('d'))"
        )
    )


def test_a_shortest_path_and_its_alternatives_are_drawn(browser_page: tuple[Any, list[str]], server: str) -> None:
    page, _ = browser_page
    open_page(page, f"{server}/explore?entity=infrastructure/6389197a8400&to={PATH_TARGET}", "text=长度")
    settle(page)
    page.locator(CHART_TEXT).first.wait_for(timeout=30_000)
    first = _red_on_canvas(page)
    assert len(first) >= 2  # the shortest path's edges, in red
    choices = page.get_by_text(re.compile("路径 [0-9]（长度"))
    assert choices.count() >= 2  # at least one alternative
    choices.nth(1).click()
    settle(page)
    page.wait_for_function(  # the picture redrawn with another path in red
        "([sel, before]) => JSON.stringify([...document.querySelectorAll(sel)].map(e => e.getAttribute('d')).sort())"
        " !== JSON.stringify(before)",
        arg=[f".echarts-container svg path[stroke='{RED}']", first],
        timeout=15_000,
    )
    second = _red_on_canvas(page)
    assert len(second) >= 2 and second != first  # another path, drawn on the same picture
    shot(page, "explore-path-alternatives")


def test_a_shared_url_reopens_the_same_view(browser_page: tuple[Any, list[str]], server: str) -> None:
    page, _ = browser_page
    open_page(page, f"{server}/chain?cluster=P09&lang=en&sourced=true", "text=Cluster chain")
    settle(page)
    select = page.locator("[data-testid='stSelectbox']").first
    assert "(P09)" in select.inner_html()
    assert "sourced=true" in page.url and "lang=en" in page.url


def test_the_chain_shows_all_ties_or_sourced_ties_only(browser_page: tuple[Any, list[str]], server: str) -> None:
    page, _ = browser_page
    scores = []
    for sourced in ("false", "true"):
        open_page(page, f"{server}/chain?cluster=P03&sourced={sourced}", "[data-testid='stMetricValue']")
        settle(page)
        scores.append(page.locator("[data-testid='stMetricValue']").first.inner_text())
        assert page.locator("[data-testid='stException']").count() == 0
    # inferred ties fill stages of 智能家电 that its sources leave empty: the score drops without them
    assert scores[0] != scores[1] and all(s.endswith("%") for s in scores), scores


def test_the_report_page_previews_and_downloads_a_word_file(
    browser_page: tuple[Any, list[str]], server: str, tmp_path: Path
) -> None:
    page, _ = browser_page
    open_page(page, f"{server}/report", "[data-testid='stIFrame'], iframe")
    settle(page)
    preview = page.frame_locator("iframe").first
    assert "创新体系执行情况" in preview.locator("body").inner_text(timeout=60_000)
    saved = download_file(page, "下载 Word", tmp_path)
    assert saved.suffix == ".docx" and saved.read_bytes()[:2] == b"PK"  # a real Word (zip) file


def test_the_lists_page_builds_its_excel_when_clicked(
    browser_page: tuple[Any, list[str]], server: str, tmp_path: Path
) -> None:
    import openpyxl

    page, _ = browser_page
    open_page(page, f"{server}/lists?cluster=E01", "[data-testid='stDataFrame']")
    settle(page)
    saved = download_file(page, "下载 Excel", tmp_path)
    book = openpyxl.load_workbook(saved, read_only=True)  # the file is built on the click (a callable)
    assert saved.name == "三单一图_E01.xlsx"
    assert book.sheetnames[:4] == ["关键技术清单", "重点产品清单", "研发机构清单", "产业地图"]
    assert book["产业地图"].max_row > 1  # a header and the cities of E01
    for sheet in book.worksheets:  # headed for a reader, as the tables on the page: Chinese first
        heads = [str(cell.value) for cell in next(sheet.iter_rows(max_row=1))]
        assert all(CJK.match(head) for head in heads), (sheet.title, heads)


def test_six_researcher_tasks_each_take_under_three_seconds(browser_page: tuple[Any, list[str]], server: str) -> None:
    """Each task is timed until its answer shows. A round with a task over the limit is run again (at most twice
    more) only when the machine was measurably busy with other work during it: the hypervisor took a tenth of the
    cores' time, or processes other than the browser, the app and the test used a core-second. Each task counts
    its best round; every round is written to test-artifacts/task-timings.txt and printed."""
    page, _ = browser_page
    quiet_after_s = wait_until_quiet()  # not timing what an earlier test left running
    rounds: list[tuple[dict[str, float], CpuUse]] = []
    while len(rounds) < TASK_ROUNDS:
        window = CpuWindow()
        window.start()
        timings = _six_tasks(page, server)
        rounds.append((timings, window.stop()))
        best = {name: min(r[0][name] for r in rounds) for name in timings}
        use = rounds[-1][1]
        interfered = use.steal_share >= 0.1 or use.others_s(OWN_PROCESSES) >= 1.0
        if not any(v > TASK_LIMIT_S for v in best.values()) or not interfered:
            break
    report = [f"waited {quiet_after_s:.1f} s for a quiet machine"]
    for i, (timings, use) in enumerate(rounds, 1):
        report += [f"round {i}:", *(f"  {k}: {v:.2f} s" for k, v in timings.items()), f"  CPU: {use}"]
    (ARTIFACTS / "task-timings.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))
    slow = {k: round(v, 2) for k, v in best.items() if v > TASK_LIMIT_S}
    assert not slow, "\n".join([str(slow), *report])


TASK_ROUNDS = 3
OWN_PROCESSES = ("chromium", "streamlit", "pytest", "playwright", "node")  # the browser, the app, the test, its driver


def _six_tasks(page: Any, server: str) -> dict[str, float]:
    """The six tasks, each timed until its answer shows (what the researcher waits for); then, untimed, until
    Streamlit's run ends. A task of several steps waits for each run to end before the next step; the fixed pause
    that opens each such wait is the test's, not the app's, and is not counted."""
    timings: dict[str, float] = {}

    def task(name: str, run: Any) -> None:
        started, paused = time.monotonic(), paused_s[0]
        run()
        timings[name] = time.monotonic() - started - (paused_s[0] - paused)
        settle(page)

    task(
        "cluster labs, centres, funds, talent",
        lambda: open_page(page, f"{server}/chain?cluster=P09", "text=实验室", "attached"),
    )

    def find_and_expand() -> None:
        open_page(page, f"{server}/explore?q=中国散裂中子源", CHART_TEXT)
        settle(page)
        _click_a_neighbour(page)
        page.get_by_role("button", name="展开 Expand").first.click()
        page.wait_for_url(lambda url: "expanded=" in url, timeout=10_000)
        settle(page)  # the answer is the graph redrawn, which the run's end shows

    task("find CSNS and expand it", find_and_expand)
    task(
        "shortest path drawn",
        lambda: open_page(page, f"{server}/explore?entity=infrastructure/6389197a8400&to={PATH_TARGET}", "text=长度"),
    )
    task("compare 深圳 and 东莞", lambda: open_page(page, f"{server}/compare?cities=深圳市,东莞市", "text=主体总数"))

    def console() -> None:
        open_page(page, f"{server}/console", "textarea")
        page.locator("textarea").first.fill("MATCH (c:City) RETURN c.name_zh AS city")
        page.get_by_role("button", name="运行 Run").click()
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=20_000, state="attached")

    task("a console query", console)

    def rdf() -> None:
        open_page(page, f"{server}/export?scope=E01", "text=RDF")
        page.get_by_role("button", name="生成 RDF 文件").click()
        page.get_by_text("三元组").first.wait_for(timeout=20_000)

    task("a cluster's RDF", rdf)
    return timings


def test_the_map_legend_has_ranges_and_a_clicked_city_shows_its_districts(
    browser_page: tuple[Any, list[str]], server: str
) -> None:
    import re

    from app_pages.map_districts import city_districts

    page, _ = browser_page
    open_page(page, f"{server}/map", CHART_TEXT)
    settle(page)
    province = page.locator(".echarts-container").first
    texts = [t.strip() for t in province.locator("svg text").all_text_contents()]
    ranges = [t for t in texts if re.fullmatch(r"[\d,]+(–[\d,]+)?", t)]  # the legend's swatches, as drawn
    assert len(set(ranges)) >= 3 and any("–" in t for t in ranges), texts
    assert "0 无 none" in texts and "分位数分段 quantile bins" in texts
    inset = page.locator(".echarts-container").nth(1)
    label = inset.locator("svg text", has_text="广州市").first
    label.scroll_into_view_if_needed()
    box = label.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a click on the city
    page.get_by_text("广州市：各县区").first.wait_for(timeout=60_000)
    settle(page)
    districts = page.locator(".echarts-container").nth(2)
    names = {str(f["properties"]["name"]) for f in city_districts("440100")}
    # ECharts draws a frame after the run ends: wait until a district's name is drawn, not a fixed time
    districts.locator("svg text", has_text=re.compile("区$")).first.wait_for(timeout=15_000)
    drawn = {t.strip() for t in districts.locator("svg text").all_text_contents()}
    assert len(names & drawn) >= 5, drawn  # names ECharts hides where they would overlap; most show
    assert districts.locator("svg path").count() >= 11  # the district shapes, read from the drawn SVG
    assert page.get_by_text("城市画像").count() >= 1 and "city=" in page.url
    shot(page, "map-guangzhou-districts")
