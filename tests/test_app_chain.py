"""The cluster chain page on the bundled data, with Streamlit's AppTest: its picture, its tables and its links (the
browser tests are test_browser.py and test_browser_words.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.graph_view import FADED_OPACITY
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from queries.catalog import get_query
from tests.app_driver import chart, embedded_app, on_page

TIE = "关联方式 tie"


@pytest.fixture
def app(loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return embedded_app(loaded_embedded_path, monkeypatch)


def test_cluster_chain_page_draws_the_chain_of_the_chosen_cluster(app: AppTest) -> None:
    on_page(app, "chain")
    app.selectbox(key="chain_cluster").select("P09").run()
    assert not app.exception
    frame = app.dataframe[-1].value
    assert "中国散裂中子源" in set(frame["中文名称 Chinese name"])
    assert any(m.label.startswith("链条完整度") for m in app.metric)
    words = next(m.value for m in app.markdown if "of 5 stages" in m.value)  # the score's words, in both languages
    assert words.startswith("5 个环节中") and words.index("环节中") < words.index("of 5 stages"), words
    option = chart(app, "chain_graph")["options"]
    assert "infrastructure/6389197a8400" in {n["id"] for n in option["series"][0]["data"]}  # CSNS, drawn
    assert option["legend"][0]["data"] and sum(n["label"]["show"] for n in option["series"][0]["data"]) >= 20


def test_the_chain_picture_draws_a_department_apart_from_the_firms(app: AppTest) -> None:
    """省科技厅 and the other departments were drawn in the firms' column, in the firms' colour and under their legend
    entry, where the links table calls them "no stage"."""
    on_page(app, "chain")
    app.selectbox(key="chain_cluster").select("E03").run()
    assert not app.exception
    option = chart(app, "chain_graph")["options"]
    series = option["series"][0]
    names = [c["name"] for c in series["categories"]]
    departments = [n for n in series["data"] if "厅" in n["name"] or "人民政府" in n["name"]]
    assert departments, "E03's picture draws a department"
    no_stage = "不属于任何环节（如政府部门） no stage (a department, for instance)"
    assert {names[n["category"]] for n in departments} == {no_stage}
    firms = [n for n in series["data"] if names[n["category"]].startswith("产业主体")]
    assert firms and max(n["x"] for n in firms) < min(n["x"] for n in departments)  # a column of their own


def test_the_chain_picture_fades_what_is_outside_the_cluster(
    app: AppTest, loaded_embedded_path: Path, schema: Schema
) -> None:
    """E03's tables said talent support had no entity while its picture drew 华中科技大学 in that column, a partner
    of a member: the partners are drawn faint, and the page says so."""
    on_page(app, "chain")
    app.selectbox(key="chain_cluster").select("E03").run()
    assert not app.exception
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    rows = get_query("cluster_chain_graph").run(store, {"cluster": "E03", "sourced_only": False}).rows
    store.close()
    members = {r["member_id"] for r in rows}
    series = chart(app, "chain_graph")["options"]["series"][0]
    faint = {n["id"] for n in series["data"] if n.get("itemStyle", {}).get("opacity") == FADED_OPACITY}
    drawn = {n["id"] for n in series["data"] if not n["id"].startswith("cluster/")}
    assert faint and faint == drawn - members
    assert any(
        f"半透明的 {len(faint)} 个" in c.value and f"Faded: {len(faint)} entities" in c.value for c in app.caption
    )


def test_cluster_chain_page_shows_all_ties_or_sourced_ties_only(app: AppTest) -> None:
    on_page(app, "chain")
    app.selectbox(key="chain_cluster").select("P03").run()
    stages = app.dataframe[0].value
    assert [s.split()[0] for s in stages["环节 Stage"]] == ["基础研究", "技术攻关", "成果转化", "科技金融", "人才支撑"]
    assert any("无数据" in v for v in stages["主体数 Entities"])  # an empty stage says so, never a gap
    all_ties = len(app.dataframe[-1].value)
    assert set(app.dataframe[-1].value[TIE]) == {"来源陈述 sourced", "规则推断 inferred"}
    app.toggle(key="chain_sourced_only").set_value(True).run()
    assert not app.exception
    sourced = app.dataframe[-1].value
    assert 0 < len(sourced) < all_ties and set(sourced[TIE]) == {"来源陈述 sourced"}
    assert app.query_params["sourced"] == "true" and app.query_params["cluster"] == "P03"  # shareable


def test_a_shared_link_reopens_the_same_view(app: AppTest) -> None:
    app.query_params["cluster"] = "E04"
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page("app_pages/chain.py").run()
    assert not app.exception
    assert app.selectbox(key="chain_cluster").value == "E04" and app.title[0].value == "Cluster chain"


def test_a_link_naming_an_unknown_cluster_says_so(app: AppTest) -> None:
    app.query_params["cluster"] = "E99"
    app.run()
    app.switch_page("app_pages/chain.py").run()
    assert not app.exception
    said = " ".join(w.value for w in app.warning)
    assert "链接中的 cluster=" in said and "E99" in said, said  # and which cluster it shows instead
    assert app.selectbox(key="chain_cluster").value == "E01"


def test_a_big_clusters_members_are_listed_on_request(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    on_page(app, "chain")
    listed = len(app.dataframe)
    members = len(app.dataframe[-1].value)  # under the row cap: every member
    assert 100 < members < 5000
    monkeypatch.setenv("CLUSTERKG_LISTED_AT_ONCE", "100")  # fewer than the cluster has
    on_page(app, "chain")
    assert len(app.dataframe) == listed - 1 and any("按需列出" in c.value for c in app.caption)
    app.toggle(key="chain_list_members").set_value(True).run()
    assert not app.exception
    assert len(app.dataframe) == listed and len(app.dataframe[-1].value) == members


def test_chain_page_says_when_the_row_cap_cut_its_lists(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    on_page(app, "chain")
    assert not app.warning and not any("只显示前" in c.value for c in app.caption)
    score = app.metric[0].value
    monkeypatch.setenv("CLUSTERKG_ROW_CAP", "20")  # a cluster with more ties than the cap
    on_page(app, "chain")
    assert any("前 20 条" in w.value and "first 20" in w.value for w in app.warning)
    assert app.metric[0].value == score  # the score still counts every tie (queries/scoped_chain.py)
    assert any("只显示前 20 行" in c.value for c in app.caption)
    assert len(app.dataframe[-1].value) == 20
