"""The map's quantile legend and district view, and the whole-graph communities and brokers, driven through their
controls with AppTest on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_driver import chart
from tests.conftest import REPO


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def app(
    request: pytest.FixtureRequest, loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppTest]:
    """The app on the bundled data, once per store (Neo4j: the module's loaded server, as NEO4J_URI names it)."""
    from app_pages.common import _store

    if request.param == "embedded":
        monkeypatch.delenv("NEO4J_URI", raising=False)
        monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(loaded_embedded_path))
    else:
        request.getfixturevalue("loaded_neo4j")
    _store.clear()
    yield AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    _store.clear()


def test_the_map_legend_shows_quantile_ranges_and_a_picked_city_shows_its_districts(app: AppTest) -> None:
    app.run()
    app.switch_page("app_pages/map.py").run()
    assert not app.exception, app.exception
    legend = chart(app, "map_chart_province")["options"]["visualMap"]
    assert legend["type"] == "piecewise" and len(legend["pieces"]) >= 4  # zero and at least three ranges
    zero, *ranges = legend["pieces"]
    assert zero["lte"] == 0 and zero["color"] not in {p["color"] for p in ranges}
    assert all("–" in p["label"] or p["label"].replace(",", "").isdigit() for p in ranges)
    assert not any(c.proto.id.endswith("-map_districts") for c in app.get("bidi_component"))  # none until picked
    app.selectbox(key="map_city").select("广州市").run()
    assert not app.exception, app.exception
    districts = chart(app, "map_districts")
    assert len(districts["map"]["geoJson"]["features"]) == 11
    drawn = {d["name"]: d["value"] for d in districts["options"]["series"][0]["data"]}
    assert drawn["天河区"] > 0 and len(drawn) == 11
    assert any("个可定位到县区" in c.value and "只知道所在城市" in c.value for c in app.caption)
    assert any("城市画像" in s.value for s in app.subheader)  # the pick still opens the profile
    assert app.query_params["city"] == "广州市"
    app.selectbox(key="map_city").select("东莞市").run()
    assert any("不设县区" in i.value for i in app.info)


def test_whole_graph_communities_and_brokers_only_on_request(app: AppTest) -> None:
    app.run()
    assert not app.exception, app.exception
    assert not any(c.proto.id.endswith("-ecosystem_graph") for c in app.get("bidi_component"))  # not on load
    before = len(app.dataframe)
    app.toggle(key="ecosystem_show").set_value(True).run()
    assert not app.exception, app.exception
    communities, brokers = (df.value for df in app.dataframe[before : before + 2])
    assert communities["集群数 clusters (count)"].sum() == 20  # every cluster in exactly one community
    assert len(brokers) == 20 and brokers["服务集群数 clusters served"].iloc[0] >= 10
    series = chart(app, "ecosystem_graph")["options"]["series"][0]
    assert 20 < len(series["data"]) <= 300 and sum(n["symbol"] == "roundRect" for n in series["data"]) == 20
    assert any(c.value.startswith("用时") for c in app.caption)
