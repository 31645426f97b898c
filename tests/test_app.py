"""Every page of the app on the bundled data, with Streamlit's AppTest (the browser test is test_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.common import MISSING, plain
from app_pages.graph_html import external_urls, render
from app_pages.graph_view import GraphData
from app_pages.map_view import choropleth
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from queries.catalog import get_query
from tests.app_driver import chart, embedded_app, on_page
from tests.bilingual import CJK
from tests.conftest import REPO, shown


@pytest.fixture
def app(loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return embedded_app(loaded_embedded_path, monkeypatch)


def test_overview_shows_counts_of_the_bundled_data(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value.startswith("概览")
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics["节点 Nodes"].replace(",", "")) > 5000
    frames = [df.value for df in app.dataframe]
    classes = frames[0]
    label = "图中标签 Label in the graph"
    assert set(classes[label]) >= {"City", "IndustryCluster", "Laboratory", "Enterprise", "PolicyMeasure"}
    assert int(classes.set_index(label).loc["City"].iloc[-1]) == 21
    assert len(frames[2]) == 20  # the clusters
    assert "嵌入式" in app.caption[0].value


def test_english_switch(app: AppTest) -> None:
    app.run()
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Overview"
    assert app.query_params["lang"] == "en"  # a reload or a copied link keeps the reader's language
    app.sidebar.radio[0].set_value("zh").run()
    assert app.title[0].value.startswith("概览") and "lang" not in app.query_params


def test_explore_page_searches_and_expands(app: AppTest, loaded_embedded_path: Path, schema: Schema) -> None:
    on_page(app, "explore")
    app.text_input(key="explore_text").set_value("鹏城").run()
    assert not app.exception
    assert "鹏城" in app.subheader[0].value and "重大科技基础设施" in app.subheader[0].value  # its class, in words
    properties = [str(p) for table in app.table for p in table.value.iloc[:, 0]]
    assert properties and all(CJK.match(p) for p in properties), properties  # named as the ontology's labels
    root = app.session_state["explore_root"]
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    neighbour = sorted(r["other_id"] for r in get_query("entity_edges").run(store, {"id": root}).rows)[0]
    app.selectbox(key="explore_focus").set_value(neighbour).run()  # what a click on the picture does
    app.button(key="explore_expand_button").click().run()
    assert not app.exception
    assert app.session_state["explore_expanded"] == [root, neighbour]
    assert app.query_params["expanded"] == neighbour
    app.selectbox(key="explore_focus").set_value(neighbour).run()
    app.button(key="explore_collapse_button").click().run()
    assert app.session_state["explore_expanded"] == [root]
    # 鹏城实验室's second step would pass through hubs only (a city, clusters): the hops slider is tried on
    # 中国散裂中子源, whose institute leads projects
    app.text_input(key="explore_text").set_value("散裂中子源").run()
    drawn = {n["id"] for n in chart(app, "explore_graph")["options"]["series"][0]["data"]}
    app.slider(key="explore_hops").set_value(2).run()
    assert len({n["id"] for n in chart(app, "explore_graph")["options"]["series"][0]["data"]}) > len(drawn)


PATH_TARGET = "软件与信息服务"  # from 中国散裂中子源: one path of 2 steps and two of 3, none through a hub


def _paths_drawn(app: AppTest) -> list[str]:
    """The picture's node ids, with the path picked in red checked and the table read off."""
    app.text_input(key="path_text").set_value(PATH_TARGET).run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert list(table.columns) == ["路径 Path", "长度 Length", "途经 Through", "关系 Relationships"]
    assert len(table) >= 2 and list(table["长度 Length"]) == sorted(table["长度 Length"])
    assert all(through.startswith("中国散裂中子源") for through in table["途经 Through"])
    series = chart(app, "explore_graph")["options"]["series"][0]
    assert any(link.get("lineStyle", {}).get("color") == "#d62728" for link in series["links"])
    return [n["id"] for n in series["data"]]


def test_a_shortest_path_and_its_alternatives_are_drawn(app: AppTest) -> None:
    on_page(app, "explore")
    drawn = _paths_drawn(app)
    red = _red(app)
    app.radio(key="path_choice").set_value(1).run()  # the next-shortest, in red instead
    assert not app.exception
    assert {n["id"] for n in chart(app, "explore_graph")["options"]["series"][0]["data"]} == set(drawn)
    assert _red(app) != red and len(_red(app)) >= 3  # every path stays drawn; another one is red


def _red(app: AppTest) -> set[str]:
    nodes = chart(app, "explore_graph")["options"]["series"][0]["data"]
    return {n["id"] for n in nodes if n.get("itemStyle", {}).get("borderColor") == "#d62728"}


@pytest.mark.neo4j
def test_the_same_paths_are_drawn_on_neo4j(
    app: AppTest, loaded_neo4j: object, neo4j_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_page(app, "explore")
    embedded = _paths_drawn(app)
    embedded_table = app.dataframe[0].value
    from app_pages.common import _store

    _store.clear()
    monkeypatch.setenv("NEO4J_URI", str(neo4j_settings.neo4j_uri))  # the app picks Neo4j
    on_neo4j = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    try:
        on_page(on_neo4j, "explore")
        assert "Neo4j" in on_neo4j.caption[0].value
        assert sorted(_paths_drawn(on_neo4j)) == sorted(embedded)
        assert on_neo4j.dataframe[0].value.equals(embedded_table)
    finally:
        _store.clear()


def test_map_page_colours_cities(app: AppTest) -> None:
    on_page(app, "map")
    app.selectbox(key="map_cluster").select("P09").run()
    assert not app.exception
    province = chart(app, "map_chart_province")
    assert len(province["map"]["geoJson"]["features"]) == 21 and province["options"]["visualMap"]["show"]
    assert len(chart(app, "map_chart_prd")["map"]["geoJson"]["features"]) == 9  # the readable inset
    header = next(s.value for s in app.subheader if "未落到城市的主体" in s.value)
    count = int(header.split("：")[1].split(" ")[0].replace(",", ""))  # the kept count, whole
    shown = len(app.dataframe)
    app.toggle(key="map_list_without_city").set_value(True).run()  # listed only when asked
    assert not app.exception and len(app.dataframe) == shown + 1
    assert count > 0 and len(app.dataframe[-1].value) == count  # the bundled data: fewer than the row cap


def test_map_page_counts_a_picked_citys_districts_and_lists_the_unplaced_on_request(app: AppTest) -> None:
    on_page(app, "map")
    app.selectbox(key="map_city").select("广州市").run()
    assert not app.exception and any(s.value.startswith("广州市：各县区") for s in app.subheader)
    line = next(m.value for m in app.markdown if "未定位到县区的主体" in m.value)
    unplaced = int(line.split("：")[1].split(" ")[0].replace(",", ""))
    shown = len(app.dataframe)
    app.toggle(key="map_list_unplaced").set_value(True).run()  # the city's list, read only now
    assert not app.exception and len(app.dataframe) == shown + 1
    assert unplaced > 0 and len(app.dataframe[-2].value) == unplaced  # the bundled data: fewer than the row cap


def test_a_city_profile_names_the_stage_of_a_park_in_both_languages(app: AppTest) -> None:
    """A city's profile showed the stage of its parks and zones as the bare word "other"."""
    on_page(app, "map")
    app.selectbox(key="map_city").select("广州市").run()
    stages = set(app.dataframe[0].value["环节 stage"])
    assert "不属于任何环节（如园区） no stage (a park, for instance)" in stages and "other" not in stages, stages


def test_compare_page_puts_two_cities_side_by_side(app: AppTest, loaded_embedded_path: Path, schema: Schema) -> None:
    on_page(app, "compare")
    assert app.multiselect(key="compare_cities").value == ["深圳市", "东莞市"]
    totals = [int(m.value.replace(",", "")) for m in app.metric if m.label == "主体总数 Entities"]
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    on_map = {r["city"]: r["entities"] for r in get_query("stage_map").run(store, {"stage": "all"}).rows}
    assert totals == [on_map["深圳市"], on_map["东莞市"]]  # the map's figure: a park is on no stage
    assert any(c.value.startswith("另有 1 个不属于任何环节的载体") for c in app.caption)  # each city's zone, named
    # one table, a column per city (three tables side by side cut their words)
    table = next(df.value for df in app.dataframe if "深圳市" in df.value.columns)
    assert list(table.columns) == ["环节 stage", "类别 class", "深圳市", "东莞市"]
    for city in ("深圳市", "东莞市"):
        profile = get_query("city_profile").run(store, {"city": city}).rows
        assert table[city].sum() == sum(r["entities"] for r in profile) and (table[city] > 0).sum() == len(profile)
    heat = chart(app, "compare_heat")["options"]
    assert len(heat["yAxis"]["data"]) == 21 and len(heat["xAxis"]["data"]) == 20
    app.multiselect(key="compare_cities").set_value([]).run()  # none chosen: the page says what to do
    assert not app.exception and any("请选择两到三个城市" in i.value for i in app.info)


def test_targets_page_names_the_gaps(app: AppTest) -> None:
    on_page(app, "targets")
    frames = [df.value for df in app.dataframe]
    assert len(frames[0]) == 7  # the quantified targets
    assert set(frames[1]["技术创新中心覆盖 technology centre coverage"]) == {"未知：名单不全 unknown: list incomplete"}
    notes = [c.value.split("Note: ", 1)[1] for c in app.caption if "Note: " in c.value]  # a source list's words
    assert notes and all(n == plain(shown(n)) for n in notes), notes  # escaped for markdown, as all data is


def test_lists_page_offers_the_excel_workbook(app: AppTest) -> None:
    on_page(app, "lists")
    assert not app.exception
    assert len(app.subheader) == 4
    cells = {str(v) for table in app.dataframe for column in table.value.columns for v in table.value[column]}
    raw = {"state_key_lab", "provincial_lab", "national", "provincial", "Laboratory", "ResearchInstitution"} & cells
    assert not raw, raw  # a level or a class in the reader's words, as the tables' heads


def test_console_runs_a_query_and_rejects_a_write(app: AppTest) -> None:
    on_page(app, "console")
    schema_text = "\n".join(m.value for m in app.markdown)
    assert "**Tally**（记账）" in schema_text and "**Enterprise**（记账）" not in schema_text  # bookkeeping marked
    assert any("不是主体" in c.value and "not entities" in c.value for c in app.caption)
    app.text_area(key="console_text").set_value("MATCH (c:City) RETURN c.name_zh AS city ORDER BY city").run()
    app.button(key="console_run").click().run()
    assert not app.exception
    assert len(app.dataframe[0].value) == 21
    app.text_area(key="console_text").set_value("CREATE (:City {id: 'city/000000', name_zh: '伪造'})").run()
    app.button(key="console_run").click().run()
    assert not app.exception
    said = shown(app.error[0].value)  # the engine's words explained, Chinese first
    assert said.startswith("数据库拒绝了该查询：") and "控制台是只读的" in said and "The console is read-only" in said
    app.text_area(key="console_text").set_value("   ").run()
    app.button(key="console_run").click().run()
    assert "查询是空的" in shown(app.error[0].value), shown(app.error[0].value)
    app.text_area(key="console_text").set_value("MATCH (c:City) WHERE c.name_zh = $city RETURN c").run()
    app.text_input(key="console_params").set_value('{"cluster": "E01"}').run()
    app.button(key="console_run").click().run()  # a parameter the JSON lacks: said in both languages
    said = shown(app.error[0].value)
    assert "参数 $city" in said and "the parameter(s) $city" in said, said
    app.text_input(key="console_params").set_value('{"city": "无此城"}').run()
    app.button(key="console_run").click().run()  # no row: said in both languages, not an empty grid's "empty"
    assert not app.error and not app.dataframe and "没有返回任何行" in app.info[0].value
    app.sidebar.radio[0].set_value("en").run()
    app.text_area(key="console_text").set_value("CREATE (:City {id: 'city/000000', name_zh: 'x'})").run()
    app.button(key="console_run").click().run()  # in English, the engine's words too (they were ours in both)
    said = shown(app.error[0].value)
    assert "The console is read-only" in said and not CJK.search(said), said


def test_the_console_lists_every_label_its_properties_and_every_relationship_type(app: AppTest, schema: Schema) -> None:
    on_page(app, "console")
    labels_text, relationships_text = (  # the list, not the caption above it
        next(m.value for m in app.expander[i].markdown if m.value.startswith("- ")) for i in (0, 1)
    )
    lines = labels_text.splitlines()
    for name, cls in schema.classes.items():
        head = re.compile(rf"- \*\*{name}\*\*(（记账）[^·]*)? · ")  # a bookkeeping label is marked as one
        at = next(i for i, line in enumerate(lines) if head.match(line))
        shown = set(lines[at + 1].strip().removeprefix(":gray[").removesuffix("]").split(", "))
        assert shown == set(cls.property_names) - {"claims_json", "record_hash"}, name
    for name in schema.relationships:
        assert f"- `{name}` · " in relationships_text, name
    assert "claims_json" not in labels_text  # bookkeeping is not offered


def test_export_page_makes_rdf_and_csv(app: AppTest) -> None:
    on_page(app, "export")
    app.selectbox(key="export_rdf_scope").select("E04").run()
    app.button(key="export_rdf_make").click().run()
    assert not app.exception
    name, data, triples = app.session_state["export_rdf_file"]
    assert name == "clusterkg-E04.ttl" and triples > 100 and b"dcat:Dataset" in data
    app.selectbox(key="export_query").select("cluster_list").run()
    assert not app.exception
    assert any("20" in m.value for m in app.markdown)
    app.selectbox(key="export_query").select("city_profile").run()  # a query with a parameter: its label and help
    city = app.text_input(key="export_city_profile_city")
    assert city.label == "参数 city（文本） parameter city (string)"
    assert city.help == "城市名（广州市或广州）或六位行政区划代码 city name (广州市 or 广州) or 6-digit admin code"


def test_quality_page_shows_the_last_report(app: AppTest) -> None:
    on_page(app, "quality")
    files = app.dataframe[0].value
    read, loaded = files["读取行数 rows read"], files["已载入 loaded"]
    assert (read == loaded + files["拒绝 rejected"] + files["跳过 skipped"]).all()


PAGES = ["overview", "chain", "explore", "map", "compare", "targets", "lists", "console", "export", "quality"]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.mark.parametrize("page", PAGES)
def test_no_table_shows_a_snake_case_header_or_none_for_a_missing_value(app: AppTest, page: str) -> None:
    on_page(app, page)
    if page == "console":  # the console's own columns are the analyst's aliases: run one to see node columns
        app.text_area(key="console_text").set_value("MATCH (c:City) RETURN c LIMIT 3").run()
        app.button(key="console_run").click().run()
    for table in app.dataframe:
        assert table.proto.placeholder == MISSING, page  # an empty cell a dash, not Streamlit's "None"
        for column in table.value.columns:
            assert not SNAKE.match(str(column)) or (page == "console" and str(column).startswith("c.")), (page, column)
            if lang_of(app) == "zh" and page != "console":
                assert re.search(r"[\u4e00-\u9fff]", str(column)), (page, column)  # Chinese first


def lang_of(app: AppTest) -> str:
    return str(app.session_state["lang"]) if "lang" in app.session_state else "zh"


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


def test_report_page_previews_and_offers_the_three_downloads(app: AppTest) -> None:
    on_page(app, "report")
    assert app.title[0].value.startswith("年度执行情况报告")
    title = app.subheader[0].value.replace("\\", "")  # Chinese, then English (its punctuation escaped: plain)
    assert re.fullmatch(r"\S+市创新体系执行情况报告 Innovation system execution report: [A-Z][a-z]+", title), title
    assert len(app.get("iframe")) == 1
    downloads = app.get("download_button")
    assert len(downloads) == 3
    app.radio(key="report_scope").set_value("cluster").run()
    assert not app.exception, app.exception
    title = app.subheader[0].value.replace("\\", "")
    assert "产业集群创新体系执行情况报告 Innovation system execution report: " in title
    assert app.query_params["scope"] == "cluster" and app.query_params["cluster"]  # a link reopens this report


def test_the_report_page_keeps_the_city_across_a_change_of_scope(app: AppTest) -> None:
    """深圳市 chosen, then a cluster, then a city again: the page had gone back to 广州市."""
    on_page(app, "report")
    app.selectbox(key="report_city").select("深圳市").run()
    app.radio(key="report_scope").set_value("cluster").run()
    app.selectbox(key="report_cluster").select("P01").run()
    app.radio(key="report_scope").set_value("city").run()
    assert not app.exception and app.selectbox(key="report_city").value == "深圳市"
    app.radio(key="report_scope").set_value("cluster").run()
    assert app.selectbox(key="report_cluster").value == "P01"


@pytest.mark.parametrize(("city", "shown", "warned"), [("深圳市", "深圳市", False), ("火星市", None, True)])
def test_a_report_link_opens_its_city_or_says_it_has_none(
    app: AppTest, city: str, shown: str | None, warned: bool
) -> None:
    app.query_params["city"] = city
    app.run()
    app.switch_page("app_pages/report.py").run()
    assert not app.exception
    assert shown is None or app.subheader[0].value.startswith(f"{shown}创新体系执行情况报告 Innovation system")
    assert any(city in w.value and "本页没有" in w.value for w in app.warning) == warned


@pytest.mark.parametrize(("page", "count"), [("chain", 2), ("lists", 1), ("map", 1), ("report", 3), ("export", 1)])
def test_a_download_does_not_rerun_the_page(app: AppTest, page: str, count: int) -> None:
    """A rerun after the click revoked the file Streamlit was making for it: about one chain-page SVG click in six
    downloaded nothing (tests/test_browser.py saw it; the button spun for ever)."""
    on_page(app, page)
    downloads = app.get("download_button")
    assert len(downloads) == count
    assert all(d.proto.ignore_rerun for d in downloads), [d.proto.label for d in downloads]


def _chrome_widgets() -> None:
    """A page of app_pages/chrome.py's widgets alone (AppTest runs the function's body as a script)."""
    import streamlit as st

    from app_pages.chrome import filter_by, pick_from

    pick_from("some", {"a": "甲 A"}, "some")
    pick_from("none", {}, "none")
    filter_by(st.container(), "filter", ["x", "y"], str, "filter")


def test_chrome_s_widgets_give_their_own_words_and_an_empty_list_is_disabled() -> None:
    app = AppTest.from_function(_chrome_widgets).run()
    assert not app.exception
    some, none = app.selectbox(key="some"), app.selectbox(key="none")
    assert (some.proto.placeholder, some.proto.disabled, some.value) == ("请选择 Choose an option", False, "a")
    assert (none.proto.placeholder, none.proto.disabled) == ("没有可选项 No options to select", True)
    chosen = app.multiselect(key="filter")
    assert chosen.proto.placeholder == "全部 All" and not chosen.proto.select_all


def _table_of_source_values() -> None:
    """A fixed table of values a source's row could hold (AppTest runs the function's body as a script)."""
    import pandas as pd

    from app_pages.common import fixed_table

    notes = ["![x](http://example.invalid/x.png)", "**bold** [link](http://example.invalid)", None]
    fixed_table(pd.DataFrame({"notes": notes, "n": [1, 2, 3]}), hide_index=True)


def test_a_fixed_table_shows_a_value_s_markdown_as_its_characters() -> None:
    """Streamlit renders st.table's cells as markdown: an image in a source's value was fetched by every reader's
    browser from off the machine (seen in Chromium), and a link was drawn. The cells are escaped; a number stays."""
    app = AppTest.from_function(_table_of_source_values).run()
    assert not app.exception
    shown = app.table[0].value
    assert list(shown["notes"]) == [
        r"\!\[x\]\(http\:\/\/example\.invalid\/x\.png\)",
        r"\*\*bold\*\* \[link\]\(http\:\/\/example\.invalid\)",
        "—",
    ]
    assert list(shown["n"]) == [1, 2, 3]
