"""The pieces behind the pictures and tables: short names and the label rule, filters, header translation, the
console's display helpers, and the two parsing bugs of issue 15 on the real rows."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

from app_pages.chart_graph import LABEL_COUNT, filtered, graph_option, short_name, svg_text, top_nodes
from app_pages.column_words import COLUMNS
from app_pages.console_view import explain, node_columns, query_file_text
from app_pages.graph_html import render
from app_pages.graph_layout import (
    BLOCK_GAP,
    BLOCK_ROWS,
    NAMED_PER_BLOCK,
    NARROW_ACROSS,
    NARROW_BLOCK_ROWS,
    ROW,
    STAGE_GAP,
    named,
    names_in_block,
    stage_blocks,
)
from app_pages.graph_panel import STAGE_CHOICES
from app_pages.graph_view import FADED_OPACITY, STAGE_COLUMNS, GraphData, faint
from app_pages.headers import frame, key_products
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from ingest.values import as_list
from queries.catalog import catalog, parse_query_file
from tests.conftest import REPO

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _star(n: int) -> GraphData:
    data = GraphData()
    data.add_node("hub", "中国科学院高能物理研究所", stage="basic_research", kind="ResearchInstitution")
    for i in range(n):
        data.add_node(f"n{i}", f"广东某某科技股份有限公司{i}", stage="industry", kind="Enterprise")
        data.add_edge(f"n{i}", "hub", "R")
    data.add_node("city", "广州市", kind="City")
    data.add_edge("n0", "city", "LOCATED_IN")
    return data


def test_short_names_drop_legal_forms_and_prefer_the_bracketed_short_name() -> None:
    assert short_name("广州粤芯半导体技术有限公司（粤芯半导体）") == "粤芯半导体"
    assert short_name("中兴通讯股份有限公司") == "中兴通讯"
    assert len(short_name("中国科学院高能物理研究所东莞分部")) == 8
    # a bracket that says where or which part is not the node's name: two pictures named nodes 深圳 and 二期
    assert short_name("中芯国际（深圳）") == "中芯国际（深圳）"
    assert short_name("某产业基金（二期）") == "某产业基金（二…"


def test_the_label_rule_names_the_most_connected_nodes_and_hides_overlaps() -> None:
    option = graph_option(_star(100), layered=True)
    series = option["series"][0]
    shown = [n for n in series["data"] if n["label"]["show"]]
    assert len(shown) == NAMED_PER_BLOCK + 1 and series["labelLayout"] == {"hideOverlap": True}  # firms' block, hub
    spring_shown = [n for n in graph_option(_star(100))["series"][0]["data"] if n["label"]["show"]]
    assert len(spring_shown) == LABEL_COUNT
    assert any(n["id"] == "hub" for n in shown)  # the hub has the highest degree
    assert option["legend"][0]["data"]  # a legend of the stages drawn
    hub = next(n for n in series["data"] if n["id"] == "hub")
    assert hub["symbolSize"] > series["data"][-1]["symbolSize"]  # size by importance
    data = _star(2)
    data.add_edge("n1", "hub", "SERVES")  # the chain picture's own tie, for IN_CLUSTER or SERVES_CLUSTER
    tips = {link["value"] for link in graph_option(data)["series"][0]["links"]}  # an edge's tooltip
    assert {"位于 located in", "属于或服务于集群 in or serving the cluster", "R"} == tips, tips


def test_a_tall_stage_keeps_its_names_clear_of_its_other_nodes() -> None:
    """Folded beside its named column, a tall stage's other nodes sat under the names; they now sit below them, and
    the block stays as tall as a short one's longest column."""
    data = _star(300)
    degree = {f"n{i}": 1 for i in range(300)}
    labelled = named(data, {**degree, "hub": 300, "city": 1}, LABEL_COUNT, True)
    positions = stage_blocks(data, labelled)
    firms = [n for n in data.nodes if data.nodes[n]["stage"] == "industry"]
    names_end = max(positions[n][1] for n in firms if n in labelled)
    others = [positions[n] for n in firms if n not in labelled]
    assert others and min(y for _, y in others) > names_end  # no unnamed firm in a named one's rows
    assert len({x for x, _ in others}) > 1  # folded into a grid
    assert max(y for _, y in positions.values()) <= BLOCK_ROWS * ROW
    assert len(set(positions.values())) == len(positions)  # no two nodes in one place


def test_a_stage_one_node_taller_keeps_most_of_its_names() -> None:
    """A stage of 24 nodes named 24 and one of 25 named 12: the names fall off gradually, the layout still fits."""
    counts = [names_in_block(size) for size in range(1, 400)]
    assert counts[:BLOCK_ROWS] == list(range(1, BLOCK_ROWS + 1))
    assert all(a - b <= 2 for a, b in itertools.pairwise(counts)), counts  # no cliff
    assert min(counts[BLOCK_ROWS:]) == NAMED_PER_BLOCK and counts[BLOCK_ROWS] >= BLOCK_ROWS - 3
    for size in (25, 30, 60, 300):
        data = _star(size)
        degree = {**{f"n{i}": 1 for i in range(size)}, "hub": size, "city": 1}
        labelled = named(data, degree, 10_000, True)
        block = [n for n in data.nodes if n != "hub"]  # the firms and the city: the block of industry
        assert len([n for n in block if n in labelled]) == names_in_block(len(block))
        positions = stage_blocks(data, labelled)
        names_end = max(positions[n][1] for n in block if n in labelled)
        assert min(positions[n][1] for n in block if n not in labelled) > names_end, size
        assert max(y for _, y in positions.values()) <= BLOCK_ROWS * ROW, size
        assert len(set(positions.values())) == len(positions), size


def test_a_tall_stage_leaves_room_for_its_highlighted_nodes() -> None:
    """A stage of 25 named 22 by the rule: two brokers highlighted beside them pushed the block past its height."""
    for size in (25, 40, 60, 300):
        for extra in (1, 2, 5, 10):
            data = _star(size)
            degree = {**{f"n{i}": 1 for i in range(size)}, "hub": size, "city": 1}
            marked = {f"n{size - 1 - i}" for i in range(extra)}  # the least ranked: else the rule names them anyway
            labelled = named(data, degree, 10_000, True, also=marked) | marked
            block = [n for n in data.nodes if n != "hub"]
            assert len([n for n in block if n in labelled]) == names_in_block(len(block)), (size, extra)
            positions = stage_blocks(data, labelled)
            assert max(y for _, y in positions.values()) <= BLOCK_ROWS * ROW, (size, extra)
            assert len(set(positions.values())) == len(positions), (size, extra)


def test_a_phone_s_chain_wraps_its_blocks_three_across() -> None:
    """Every stage's block, fewer names, three to a row of blocks; a row of blocks below the tallest of the one above,
    and the same nodes in the same order as the wide picture (ECharts swaps the data, keeps the links)."""
    data = _star(60)
    for i, stage in enumerate(STAGE_COLUMNS[:5]):
        for j in range(8 * i):
            data.add_node(f"{stage}/{j}", f"某机构{i}{j}", stage=stage, kind="Laboratory")
            data.add_edge(f"{stage}/{j}", "hub", "R")
    option = graph_option(data, layered=True)
    wide, narrow = option["series"][0]["data"], option["media"][0]["option"]["series"][0]["data"]
    assert [n["id"] for n in narrow] == [n["id"] for n in wide]
    assert option["media"][1] == {"option": {"legend": [{"width": "80%"}], "series": [{"right": 120, "data": wide}]}}
    across = sorted({n["x"] for n in narrow if n["label"]["show"]})
    assert across == [0.0, STAGE_GAP, 2 * STAGE_GAP][: len(across)] and len(across) == NARROW_ACROSS
    rows = sorted({n["y"] for n in narrow if n["x"] == 0.0 and n["label"]["show"]})
    assert rows[-1] >= 2 * BLOCK_GAP  # a second row of blocks
    for block in (wide, narrow):
        assert len({(n["x"], n["y"]) for n in block}) == len(block)  # no two nodes in one place
    assert sum(n["label"]["show"] for n in narrow) < sum(n["label"]["show"] for n in wide)
    assert max(names_in_block(size, NARROW_BLOCK_ROWS) for size in range(1, 300)) == NARROW_BLOCK_ROWS


def test_a_department_s_column_is_drawn_and_filtered_only_where_it_has_one() -> None:
    """A department went from the firms' column to one of its own: every stage chosen in the filter dropped it (the
    choices lacked its column), and a picture without one had an empty column before the cluster."""
    data = _star(3)
    data.add_node("cluster/E01", "集群", stage="cluster", kind="IndustryCluster")
    assert stage_blocks(data)["cluster/E01"][0] == 6 * STAGE_GAP  # five stages, the firms, then the cluster
    data.add_node("agency/x", "省科技厅", stage="none", kind="GovernmentAgency")
    positions = stage_blocks(data)
    assert positions["agency/x"][0] == 6 * STAGE_GAP and positions["cluster/E01"][0] == 7 * STAGE_GAP
    assert "agency/x" in filtered(data, stages=list(STAGE_CHOICES)).nodes


def test_the_downloads_draw_the_faint_nodes_faint() -> None:
    """The chain picture drew a cluster's partners faint; its SVG and HTML downloads drew them as members."""
    data = _star(4)
    partners = sorted(data.nodes)[-2:]
    svg = svg_text(data, layered=True, faded=partners)
    assert svg.count(f'fill-opacity="{FADED_OPACITY}"') == 2
    html, _ = render(data, layered=True, faded=partners)
    node_colours = re.findall(r'"color": "(rgba\([^"]*\))"', html)
    assert node_colours == [faint("#9c755f")] * 2 and faint("#4e79a7") == f"rgba(78,121,167,{FADED_OPACITY})"


def test_the_html_download_names_and_places_the_nodes_as_the_svg_does() -> None:
    """The HTML download had a layout of its own (a stage of 100 nodes in one column 4,600 units tall) and wrote
    every name; it now takes the picture's layout and label rule (app_pages/graph_layout.py)."""
    data = _star(100)
    svg = svg_text(data, layered=True)
    html, _ = render(data, layered=True)
    labels = re.findall(r'"label": "((?:[^"\\]|\\.)*)"', html)
    assert len(labels) == len(data.nodes) and 0 < sum(label != " " for label in labels) == svg.count("<text")
    ys = [float(y) for y in re.findall(r'"y": (-?[\d.]+)', html)]
    assert max(ys) - min(ys) <= BLOCK_ROWS * ROW


def test_filters_and_hubs_and_the_cap() -> None:
    data = _star(10)
    assert "city" not in filtered(data, hide_hubs=True).nodes
    assert set(filtered(data, classes=["ResearchInstitution"]).nodes) == {"hub"}
    assert set(filtered(data, stages=["basic_research"]).nodes) == {"hub", "city"}  # hubs stay unless hidden
    assert filtered(data, relationships=["LOCATED_IN"]).edges[0][2] != "R"
    capped = top_nodes(_star(50), 10, keep=["n7"])
    assert len(capped.nodes) == 10 and "n7" in capped.nodes and capped.cut == 42


def test_every_query_column_has_words_in_both_languages() -> None:
    internal = {"member_id", "from_id", "to_id", "from_name", "to_name", "cluster_id", "cluster_name", "other_id"}
    internal |= {"ids", "names", "relationships", "length", "entity", "sources", "files", "counts", "report"}
    internal |= {"started_at", "stage_order", "class_name"}
    for query in catalog().values():
        text = query.cypher_for("neo4j")
        for column in re.findall(r"\bAS\s+(\w+)", text):
            if SNAKE.match(column) and column not in internal and not column.startswith("_"):
                assert column in COLUMNS or column in text.split("RETURN")[0], (query.name, column)
    table = frame([{"technology_status": "unknown: list incomplete", "stage": "achievement_transfer"}])
    assert list(table.columns) == ["技术创新中心覆盖 technology centre coverage", "环节 stage"]
    assert table.iloc[0, 0] == "未知：名单不全 unknown: list incomplete"
    assert table.iloc[0, 1].startswith("成果转化")
    # a level's words in a level's column only: "city" is also the name of a column in a problem report
    table = frame([{"level": "city", "column": "city", "confidence": "high", "status": "under_construction"}])
    assert table.iloc[0].tolist() == ["市级 city", "city", "高 high", "在建 under construction"]


def test_roles_in_brackets_are_one_value_on_the_real_row(loaded_embedded_path: Path, schema: Schema) -> None:
    with (REPO / "data/facts/enterprises.csv").open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["name_zh"].startswith("广州粤芯"))
    assert as_list(row["roles"]) == ["链主(广东省;广州市)"]
    assert as_list("世界500强;龙头") == ["世界500强", "龙头"]
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    roles = store.read("MATCH (e:Enterprise) WHERE e.name_zh STARTS WITH '广州粤芯' RETURN e.roles AS roles").rows
    assert roles == [{"roles": ["链主(广东省;广州市)"]}]


def test_key_products_say_what_each_cell_rests_on(loaded_embedded_path: Path, schema: Schema) -> None:
    from queries.catalog import get_query

    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    rows = key_products(get_query("cluster_key_products").run(store, {"cluster": "E01"}).rows)
    assert sum(1 for r in rows if r["product"]) > len(rows) // 2  # never None for all
    assert all(r["product"] or r["basis"].startswith("无来源") for r in rows)
    tushare = next(r for r in rows if r["enterprise"] == "中微半导")
    assert tushare["product"] == "半导体" and tushare["basis"].startswith("上市行业")


def test_console_display_helpers(tmp_path: Path) -> None:
    columns, rows = node_columns(["c", "n"], [{"c": {"_label": "City", "id": "city/1", "name_zh": "广州市"}, "n": 1}])
    assert columns[:3] == ["c._label", "c.id", "c.name_zh"] and rows[0]["c.name_zh"] == "广州市"
    said = explain("Binder exception: Cannot find property name for c.", "MATCH (c:City) RETURN c.name")
    assert "name_zh" in said and "Binder exception" in said
    assert "LIMIT" in explain("Buffer manager exception: Unable to allocate memory!", "MATCH p=()-[*]-() RETURN p")
    said = explain("Expected parameter(s): city, cluster", "RETURN $city, $cluster")  # Neo4j names each one
    assert "$city、$cluster" in said and '{"city": …, "cluster": …}' in said
    path = tmp_path / "saved_cities.cypher"
    path.write_text(query_file_text("saved_cities", "城市", "MATCH (c:City) RETURN c.name_zh AS city", {}), "utf-8")
    assert parse_query_file(path).name == "saved_cities"


def test_a_highlighted_node_of_a_tall_stage_is_named_in_its_column() -> None:
    """A highlighted node outside a tall stage's best twelve sat in its grid, its name over its neighbours'."""
    data = _star(300)
    option = graph_option(data, layered=True, highlight=["n250", "n251"])
    nodes = {n["id"]: n for n in option["series"][0]["data"]}
    named_column = {n["x"] for n in nodes.values() if n["label"]["show"] and n["id"].startswith("n")}
    assert len(named_column) == 1  # every named firm, the highlighted ones too, in the one column
    grid_top = min(n["y"] for n in nodes.values() if not n["label"]["show"] and n["id"].startswith("n"))
    assert nodes["n250"]["y"] < grid_top and nodes["n251"]["y"] < grid_top


def test_a_stored_time_reads_as_a_date_and_a_time() -> None:
    """Overview and Data quality showed "2026-12-07T11:45:02.750251+00:00" as it is stored."""
    from app_pages.common import when

    assert when("2026-12-07T11:45:02.750251+00:00") == "2026-12-07 11:45:02 UTC"
    assert when("2026-12-07T11:45:02+08:00") == "2026-12-07 11:45:02+08:00"  # another zone: said, not converted
    assert when("not a time") == "not a time" and when(None) == "None"
