"""The app on the bundled data, with Streamlit's AppTest (the browser test lives in test_browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO


@pytest.fixture
def app(loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(loaded_embedded_path))
    from app_pages.common import _store

    _store.clear()
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60)


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
