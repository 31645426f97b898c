"""The app stays bounded whatever a console query returns: the graph drawing is capped and fast, values of any
type and depth show as text, deep parameters are refused with a message, only the latest answer stays in the
session, and the console refuses to run where Landlock is not in force. On Neo4j: temporal values render and
deeply nested lists end in a message, not a traceback or a hung page.

AppTest on the bundled data in a real embedded store (and the real dev Neo4j for the `neo4j` tests).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.graph_html import render
from app_pages.graph_view import graph_from_rows
from graph.sandbox import NO_LANDLOCK_ENV
from tests.conftest import REPO, shown


@pytest.fixture
def app(loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(loaded_embedded_path))
    from app_pages.common import _store

    _store.clear()
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=120)


def _console(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("app_pages/console.py").run()
    assert not app.exception, app.exception
    return app


def _run(app: AppTest, cypher: str, params: str = "{}") -> AppTest:
    app.text_area(key="console_text").set_value(cypher)
    app.text_input(key="console_params").set_value(params)
    app.button(key="console_run").click().run()
    assert not app.exception, app.exception
    return app


def test_five_thousand_rows_of_thirty_node_maps_draw_in_under_five_seconds() -> None:
    rows = [
        {
            f"n{j}": {
                "_label": "Enterprise",
                "id": f"enterprise/{i}-{j}",
                "name_zh": f"企业{i}-{j}",
                "chain_stage": "industry",
            }
            for j in range(30)
        }
        for i in range(5000)
    ]
    started = time.perf_counter()
    graph = graph_from_rows(rows, 300)
    page, cut = render(graph, max_nodes=300)
    elapsed = time.perf_counter() - started
    print(f"5,000 × 30 node maps drawn in {elapsed:.2f} s")
    assert elapsed < 5 and len(graph.nodes) == 300 and cut == 5000 * 30 - 300 and "vis-network" in page


def test_the_console_page_draws_a_wide_result_capped_and_says_so(app: AppTest) -> None:
    _console(app)
    columns = ", ".join(f"n AS c{i}" for i in range(30))
    started = time.perf_counter()
    _run(app, f"MATCH (n) RETURN {columns} LIMIT 5000")
    elapsed = time.perf_counter() - started
    print(f"console page with 5,000 rows × 30 node maps: {elapsed:.2f} s")
    assert elapsed < 20  # the child, the byte cap and the drawing together
    assert not app.error, shown(app.error[0].value)
    assert any("KB" in w.value for w in app.warning), app.warning  # cut by bytes before 5,000 rows
    assert len(app.dataframe[0].value) < 5000
    _run(app, "MATCH (n) RETURN n LIMIT 1000")  # a thousand different nodes: 300 drawn
    assert any("显示前 300 个节点" in c.value and "showing the first 300 nodes" in c.value.lower() for c in app.caption)


def test_odd_characters_deep_values_and_huge_strings_show_as_text(app: AppTest) -> None:
    _console(app)
    odd = "a\u2028b\u2029c\u0085d"
    _run(
        app,
        "RETURN $s AS s, [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]] AS deep, lpad('x', 100000, 'y') AS big, "
        "{a: [1, 2], b: {c: $s}} AS m",
        '{"s": "a\\u2028b\\u2029c\\u0085d"}',
    )
    row = app.dataframe[0].value.iloc[0]
    assert row["s"] == odd
    assert isinstance(row["deep"], str) and "…" in row["deep"]
    assert len(row["big"]) < 2100
    assert odd in row["m"]


def test_deeply_nested_parameters_are_refused_with_a_message(app: AppTest) -> None:
    _console(app)
    _run(app, "RETURN $p AS p", '{"p": ' + "[" * 40_000 + "]" * 40_000 + "}")
    assert "嵌套过深" in shown(app.error[0].value) and "nest too deeply" in shown(app.error[0].value)
    assert not app.dataframe


def test_only_the_latest_answer_stays_in_the_session(app: AppTest) -> None:
    _console(app)
    _run(app, "MATCH (c:City) RETURN c.name_zh AS city")
    assert len(app.session_state["console_last"]["rows"]) == 21
    _run(app, "MATCH (c:City) RETURN c.name_zh AS city LIMIT 2")
    assert len(app.session_state["console_last"]["rows"]) == 2
    _run(app, "CREATE (:City {id: 'city/000000'})")  # refused: the old answer is gone too
    assert "console_last" not in app.session_state and app.error


def test_the_console_refuses_to_run_without_landlock(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_LANDLOCK_ENV, "1")
    _console(app)
    message = shown(app.error[0].value)
    assert "Landlock" in message and "控制台已停用" in message and "console is off" in message
    assert app.button(key="console_run").disabled


@pytest.fixture
def neo4j_app(neo4j_settings: object, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on the dev Neo4j; the queries read nothing from the graph, so its data is left alone."""
    from app_pages.common import _store

    monkeypatch.setenv("CLUSTERKG_QUERY_TIMEOUT", "3")
    _store.clear()
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=120)


@pytest.mark.neo4j
def test_neo4j_temporal_values_render_as_text(neo4j_app: AppTest) -> None:
    _console(neo4j_app)
    _run(neo4j_app, "RETURN {since: date('2020-01-01'), at: point({x: 1, y: 2})} AS m, duration('P1D') AS d")
    row = neo4j_app.dataframe[0].value.iloc[0]
    assert "2020-01-01" in row["m"] and row["d"] == "P1D"


@pytest.mark.neo4j
def test_neo4j_deeply_nested_lists_end_in_a_message(neo4j_app: AppTest) -> None:
    _console(neo4j_app)
    _run(neo4j_app, "RETURN reduce(acc = [], i IN range(1, 500) | [acc]) AS deep")  # the driver's values recurse
    cells = [str(d.value.iloc[0, 0]) for d in neo4j_app.dataframe]  # cut to a bounded text, or refused
    errors = [shown(e.value) for e in neo4j_app.error]
    assert (cells and "…" in cells[0] and len(cells[0]) < 2_000) or any("嵌套过深" in e for e in errors)
    started = time.perf_counter()
    # Neo4j may overflow its stack sending this and never answer: the page gives up after its time limit.
    _run(neo4j_app, "RETURN reduce(acc = [], i IN range(1, 5000) | [acc]) AS deep")
    assert time.perf_counter() - started < 3 + 10 + 10
    message = shown(neo4j_app.error[0].value)  # refused before it runs (range bound), or stopped, never a hang
    assert any(word in message for word in ("没有返回结果", "嵌套过深", "控制台拒绝运行")), message
