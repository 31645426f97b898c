"""Every page of the app on the bundled data, with Streamlit's AppTest (the browser test is test_browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.graph_view import GraphData, external_urls, render
from app_pages.map_view import choropleth
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from queries.catalog import get_query
from tests.conftest import REPO


@pytest.fixture
def app(loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(loaded_embedded_path))
    from app_pages.common import _store

    _store.clear()
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=90)


def _page(app: AppTest, page: str) -> AppTest:
    app.run()
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def test_overview_shows_counts_of_the_bundled_data(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value.startswith("概览")
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics["节点 Nodes"].replace(",", "")) > 5000
    frames = [df.value for df in app.dataframe]
    classes = frames[0]
    assert set(classes["label"]) >= {"City", "IndustryCluster", "Laboratory", "Enterprise", "PolicyMeasure"}
    assert int(classes.set_index("label").loc["City"].iloc[-1]) == 21
    assert len(frames[2]) == 20  # the clusters
    assert "嵌入式" in app.caption[0].value


def test_english_switch(app: AppTest) -> None:
    app.run()
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Overview"


def test_cluster_chain_page_draws_the_chain_of_the_chosen_cluster(app: AppTest) -> None:
    _page(app, "chain")
    app.selectbox(key="chain_cluster").select("P09").run()
    assert not app.exception
    frame = app.dataframe[-1].value
    assert "中国散裂中子源" in set(frame["name_zh"])
    assert any(m.label.startswith("链条完整度") for m in app.metric)
    html = app.get("iframe")[0].proto.srcdoc
    assert "infrastructure/6389197a8400" in html and not external_urls(html)  # CSNS, drawn


def test_explore_page_searches_and_expands(app: AppTest, loaded_embedded_path: Path, schema: Schema) -> None:
    _page(app, "explore")
    app.text_input(key="explore_text").set_value("鹏城").run()
    assert not app.exception
    assert "鹏城" in app.subheader[0].value
    root = app.session_state["explore_root"]
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    neighbour = sorted(r["other_id"] for r in get_query("entity_edges").run(store, {"id": root}).rows)[0]
    app.selectbox(key="explore_expand").set_value(neighbour).run()
    app.button(key="explore_expand_button").click().run()
    assert not app.exception
    assert app.session_state["explore_expanded"] == [root, neighbour]
    app.selectbox(key="explore_collapse").set_value(neighbour).run()
    app.button(key="explore_collapse_button").click().run()
    assert app.session_state["explore_expanded"] == [root]


def test_map_page_colours_cities(app: AppTest) -> None:
    _page(app, "map")
    app.selectbox(key="map_cluster").select("P09").run()
    assert not app.exception
    svg = app.get("iframe")[0].proto.srcdoc
    assert svg.count("<path") == 21 and "广州市" in svg


def test_targets_page_names_the_gaps(app: AppTest) -> None:
    _page(app, "targets")
    frames = [df.value for df in app.dataframe]
    assert len(frames[0]) == 7  # the quantified targets
    assert set(frames[1]["technology_status"]) == {"unknown: list incomplete"}


def test_lists_page_offers_the_excel_workbook(app: AppTest) -> None:
    _page(app, "lists")
    assert not app.exception
    assert len(app.subheader) == 4


def test_console_runs_a_query_and_rejects_a_write(app: AppTest) -> None:
    _page(app, "console")
    app.text_area(key="console_text").set_value("MATCH (c:City) RETURN c.name_zh AS city ORDER BY city").run()
    app.button(key="console_run").click().run()
    assert not app.exception
    assert len(app.dataframe[0].value) == 21
    app.text_area(key="console_text").set_value("CREATE (:City {id: 'city/000000', name_zh: '伪造'})").run()
    app.button(key="console_run").click().run()
    assert not app.exception
    assert "read-only" in app.error[0].value or "只读" in app.error[0].value


def test_export_page_makes_rdf_and_csv(app: AppTest) -> None:
    _page(app, "export")
    app.selectbox(key="export_rdf_scope").select("E04").run()
    app.button(key="export_rdf_make").click().run()
    assert not app.exception
    name, data, triples = app.session_state["export_rdf_file"]
    assert name == "clusterkg-E04.ttl" and triples > 100 and b"dcat:Dataset" in data
    app.selectbox(key="export_query").select("cluster_list").run()
    assert not app.exception
    assert any("20" in m.value for m in app.markdown)


def test_quality_page_shows_the_last_report(app: AppTest) -> None:
    _page(app, "quality")
    files = app.dataframe[0].value
    assert (files["read"] == files["loaded"] + files["rejected"] + files["skipped"]).all()


PAGES = ["overview", "chain", "explore", "map", "targets", "lists", "console", "export", "quality"]


@pytest.mark.neo4j
@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_on_neo4j(page: str, loaded_neo4j: object, neo4j_settings: object) -> None:
    from app_pages.common import _store

    _store.clear()  # NEO4J_URI is set in this environment: the app picks Neo4j
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.run()
    if page != "overview":
        app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, app.exception
    assert "Neo4j" in app.caption[0].value
    _store.clear()


def test_pyvis_html_is_self_contained_and_capped() -> None:
    data = GraphData()
    for i in range(700):
        data.add_node(f"n{i}", f"节点{i}", stage="basic_research")
        data.add_edge("n0", f"n{i}", "R")
    page, cut = render(data)
    assert cut == 200 and not external_urls(page) and "vis-network" in page


def test_map_svg_has_no_tiles() -> None:
    svg = choropleth({"440100": 5}, level="district")
    assert svg.count("<path") >= 120 and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
