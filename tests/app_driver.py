"""Driving the app with Streamlit's AppTest: the app on the bundled embedded store, a page opened, a chart's options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO


def embedded_app(loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on the bundled data in the embedded store (NEO4J_URI unset), its store opened afresh."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(loaded_embedded_path))
    from app_pages.common import _store

    _store.clear()
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=90)


def on_page(app: AppTest, page: str) -> AppTest:
    """The app run, then switched to ``app_pages/<page>.py``, with no exception."""
    app.run()
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def chart(app: AppTest, key: str) -> dict[str, Any]:
    """The options an ECharts component was given, by its key."""
    for element in app.get("bidi_component"):
        if element.proto.id.endswith(f"-{key}"):
            return dict(json.loads(element.proto.json))
    raise AssertionError(f"no chart {key}")
