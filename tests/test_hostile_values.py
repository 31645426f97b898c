"""Values a hostile source's row could hold, drawn by the app's own pictures and tables in a real Chromium: none may
run as code, become markup, or make the browser ask for anything (tests/hostile_page.py draws them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from app_pages.chart_graph import TOOLBOX_PNG_FROM_TOP_RIGHT, graph_option
from app_pages.chart_safety import MARK, inert, js_function, js_text
from app_pages.common import plain
from app_pages.graph_html import render
from app_pages.graph_view import GraphData
from app_pages.text_order import frame_in_order, in_order
from ingest.normalize import clean_value
from tests.browser import CHROMIUM_ARGS, streamlit_server
from tests.conftest import REPO

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_page(chromium: str) -> Iterator[tuple[Any, list[str], str]]:
    from playwright.sync_api import sync_playwright

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["PYTHONPATH"] = str(REPO)  # the page imports the app's modules
    requested: list[str] = []
    with (
        streamlit_server(REPO / "tests" / "hostile_page.py", env, "hostile-page-server.log") as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        page.on("request", lambda request: requested.append(request.url))
        yield page, requested, url
        browser.close()


def test_a_hostile_value_runs_nothing_and_fetches_nothing(hostile_page: tuple[Any, list[str], str]) -> None:
    """A name holding streamlit-echarts' marks ran as JavaScript on load; a node's or an edge's tooltip was HTML; a
    file name broke out of the PNG button's code; a table's cell was markdown (app_pages/chart_safety.py, common.py)."""
    page, requested, url = hostile_page
    page.goto(url, wait_until="domcontentloaded")
    page.locator(".echarts-container svg text").first.wait_for(timeout=60_000)
    page.locator("[data-testid='stTable']").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1_000)  # ECharts draws, and a value run as code would fetch, after the page settles
    graph = page.locator(".echarts-container").first
    box = graph.bounding_box()
    assert box is not None
    tooltips = []
    for symbol in graph.locator("svg path").all():  # the nodes and the edge: each one's tooltip
        try:
            symbol.hover(timeout=1_000, force=True)
        except Exception:  # a path hidden behind another: the next one
            continue
        page.wait_for_timeout(150)
        tooltips += graph.evaluate("(e) => [...e.querySelectorAll('div')].map(d => d.innerHTML)")
    with page.expect_download(timeout=30_000):
        right, down = TOOLBOX_PNG_FROM_TOP_RIGHT  # the toolbox's PNG button
        page.mouse.click(box["x"] + box["width"] - right, box["y"] + down)
    page.wait_for_timeout(500)
    assert not [u for u in requested if "/hostile-" in u], requested
    assert any("&lt;img" in t for t in tooltips), tooltips  # the tooltip showed the value's characters
    assert not any("<img" in t for t in tooltips), tooltips
    table = page.locator("[data-testid='stTable']").first.inner_text()
    assert "![x](/hostile-table.png)" in table
    labels = "".join(page.locator(".echarts-container svg text").all_text_contents())  # the heat map's cities
    for shown in (table, labels):  # a bidi override reordered what followed it; its escape is shown instead
        assert "恶意\\u202egnp.exe" in shown and "\u202e" not in shown, shown


def test_only_the_app_s_own_functions_keep_their_marks() -> None:
    data = GraphData()
    data.add_node("a", f"A{MARK}alert(1){MARK}", stage="industry", kind="Enterprise")
    option = inert(graph_option(data, file_name=f"x{MARK}y"))
    assert str(option).count(MARK) == 4  # the tooltip's and the PNG button's functions, whole; none in a value
    assert inert({"k": [f"{MARK}{MARK}", (f"a{MARK}",)]}) == {
        "k": [f"{MARK[:-1]}\u200b-" * 2, [f"a{MARK[:-1]}\u200b-"]]
    }
    assert inert(js_function("f()")) == f"{MARK}f(){MARK}"
    data.add_node("b", "{b}{s|x}", stage="industry", kind="Enterprise")
    labels = {n["id"]: n["label"]["formatter"] for n in graph_option(data)["series"][0]["data"]}
    assert labels["b"] == "｛b｝｛s|x｝"  # a name's braces, not ECharts' fields
    with pytest.raises(ValueError):
        js_function(f"f('{MARK}')")
    assert MARK not in js_text(f"'{MARK}\\\n") and "'" not in js_text("a'b")[1:-1].replace("\\'", "")


def test_a_bidi_control_is_shown_as_its_escape_in_every_sink() -> None:
    """A value from outside the ingest (a console query, another tool's store) keeps its bidi controls; a page writes
    each as its escape, in markdown, tables, pictures and choices. The ingest drops them (ingest/normalize.py)."""
    spoof = "恶意\u202egnp.exe\u2066x\u2069"
    escaped = "恶意\\u202egnp.exe\\u2066x\\u2069"
    assert in_order(spoof) == escaped and in_order("名\u200e字") == "名\u200e字"  # a mark reorders nothing
    assert plain(spoof) == escaped.replace("\\", "\\\\").replace(".", "\\.")
    assert inert({"a": [spoof]}) == {"a": [escaped]}
    clickable = GraphData()
    clickable.add_node("org/\u202e1", "甲", stage="industry")
    clickable.add_node("org/2", "乙", stage="industry")
    clickable.add_edge("org/\u202e1", "org/2", "R")
    series = inert(graph_option(clickable))["series"][0]
    assert {n["id"] for n in series["data"]} == {"org/\u202e1", "org/2"}  # a click sends back the node's own id
    data = GraphData()
    data.add_node("a", spoof, stage="industry", title=spoof)
    assert data.nodes["a"]["label"] == escaped and data.nodes["a"]["title"] == escaped
    frame = pd.DataFrame({"name": [spoof, "甲", None], "n": [1, 2, 3], spoof: ["x", "y", "z"]})
    shown = frame_in_order(frame)
    assert shown["name"].tolist()[:2] == [escaped, "甲"] and list(shown.columns)[2] == escaped
    assert frame["name"][0] == spoof  # the caller's frame unchanged
    odd = pd.DataFrame([[spoof, spoof, 1]], columns=["a", "a", "n"]).astype({"n": int})
    odd["c"] = pd.Categorical([spoof])
    shown_odd = frame_in_order(odd)
    assert shown_odd.iloc[0, :2].tolist() == [escaped, escaped] and shown_odd["c"].tolist() == [escaped]
    plain_frame = pd.DataFrame({"name": ["甲"]})
    assert frame_in_order(plain_frame) is plain_frame  # nothing to show otherwise: no copy
    assert clean_value(spoof) == "恶意gnp.exex" and clean_value("名\u200e字") == "名\u200e字"


def test_the_interactive_html_shows_a_name_as_its_characters() -> None:
    """The downloaded HTML's tooltip escaped a name twice ("R&amp;D"): vis-network shows a text title as text."""
    data = GraphData()
    data.add_node("a", "R&D", stage="industry", title="R&D <b>中心</b>")
    page, _ = render(data)
    assert "R&amp;D" not in page and "R\\u0026D \\u003cb\\u003e" in page  # the title as JSON text, once
    assert "div.popup" not in page  # pyvis' own HTML popup stays off


def test_a_report_chart_draws_a_dollar_in_a_name_as_a_dollar() -> None:
    """matplotlib read "$…$" in a city's or a cluster's name as a formula: "X$\\foo$" raised, and the report with it."""
    from reports.charts import _figure, _png

    figure = _figure(3, 1)
    figure.suptitle("X$\\foo$ A$\\alpha$B")
    assert _png(figure)[:4] == b"\x89PNG"
