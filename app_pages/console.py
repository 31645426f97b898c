"""Cypher console: read-only, with a timeout and a row cap enforced by the database; named queries as examples.

The store decides how a user's query runs safely (``GraphStore.read_untrusted``: a confined child process on
the embedded store, plan checks, a reader identity and a disposable server on Neo4j); this page knows no
backend. Bounded and fail closed: no query runs where the store says it cannot guard one; at most
``console_children`` run at once in the app process; an answer is cut at ``result_max_bytes``, each value
shown as safe text, at most ``graph_max_nodes`` nodes drawn; only the latest answer stays in the session.
"""

from __future__ import annotations

import json
import logging

import streamlit as st

from app_pages.chart_graph import show_graph
from app_pages.chrome import pick_one
from app_pages.common import L, data_table, page_header, parse_params, plain, result_frame, settings, store
from app_pages.console_view import explain, node_columns, save_button, schema_panel
from app_pages.graph_panel import downloads
from app_pages.graph_view import graph_from_rows
from graph.errors import BilingualRejectionError, QueryRejectedError, StoreError
from graph.store import UntrustedLimits
from queries.catalog import catalog

log = logging.getLogger(__name__)
LAST = "console_last"  # the latest answer only: each run replaces (and first drops) the one before


page_header("Cypher 控制台", "Cypher console")
current = store()
limits = settings()
how_zh, how_en = current.untrusted_guard()  # the store decides how a user's query runs safely
st.caption(
    L(
        f"只读；超时 {limits.query_timeout_s:g} 秒；最多返回 {limits.row_cap} 行、"
        f"{limits.result_max_bytes // 1024} KB；"
        f"同时最多运行 {limits.console_children} 个查询。由数据库执行限制（{how_zh}）。",
        f"Read-only; {limits.query_timeout_s:g} s timeout; at most {limits.row_cap} rows and "
        f"{limits.result_max_bytes // 1024} KB; at most {limits.console_children} queries at once. Enforced by the "
        f"database ({how_en}).",
    )
)
problem = current.untrusted_problem()
refused = problem is not None
if problem is not None:  # fail closed: the store cannot run a user's query safely here
    st.error(L(*problem))
else:
    current.prepare_untrusted()

queries = catalog()
example = st.selectbox(
    L("示例（命名查询）", "Example (a named query)"),
    ["", *sorted(queries)],
    key="console_example",
    format_func=lambda n: f"{n} — {queries[n].title_zh} / {queries[n].title_en}" if n else "—",
    placeholder=pick_one(),
)
if example and st.session_state.get("console_loaded") != example:
    query = queries[example]
    st.session_state["console_loaded"] = example
    st.session_state["console_text"] = query.text_for(current)
    example_params = {p.name: p.default if p.default not in (None, "") else "city/441900" for p in query.params}
    st.session_state["console_params"] = json.dumps(
        query.with_row_cap(current.backend, query.bind(example_params), current.read_limits.row_cap),
        ensure_ascii=False,
    )
editor_col, schema_col = st.columns([3, 2])  # the schema beside the editor
with schema_col:
    schema_panel()
text = editor_col.text_area(
    L("Cypher 查询", "Cypher query"),
    key="console_text",
    height=180,
    value=st.session_state.get("console_text", "MATCH (c:City) RETURN c.name_zh AS city, c.admin_code AS code"),
)
params_text = editor_col.text_input(
    L("参数（JSON）", "Parameters (JSON)"), key="console_params", value=st.session_state.get("console_params", "{}")
)
if editor_col.button(L("运行", "Run"), key="console_run", type="primary", disabled=refused):  # under the editor
    st.session_state.pop(LAST, None)  # the old answer goes before the new one is read, not after
    try:
        params = parse_params(params_text, limits.param_max_depth)
    except ValueError as exc:
        st.error(plain(exc))
        st.stop()
    try:
        # a reader waits up to the timeout: the page says the query is running (a spinner, not the old answer greyed)
        with st.spinner(L("查询运行中……", "Running the query…")):
            result = current.read_untrusted(text, params, UntrustedLimits.from_settings(limits))
    except BilingualRejectionError as exc:  # refused by a check, busy, no answer in time: said in both languages
        st.error(plain(L(exc.zh, exc.en)))
        st.stop()
    except QueryRejectedError as exc:
        st.error(L("数据库拒绝了该查询：", "The database refused the query: ") + plain(explain(str(exc), text)))
        st.stop()
    except StoreError as exc:
        st.error(L("查询失败：", "The query failed: ") + plain(explain(str(exc), text)))
        st.stop()
    rows = result.rows  # already cut in bytes, and its values bounded, by the store
    graph = graph_from_rows(rows, limits.graph_max_nodes)
    st.session_state[LAST] = {
        "columns": result.columns,
        "rows": rows,
        "truncated": result.truncated,
        "graph": graph,
        "cypher": text,
        "params": params,
    }

last = st.session_state.get(LAST)
if last is not None:
    if last["truncated"]:
        st.warning(
            L(
                f"结果超过 {limits.row_cap} 行或 {limits.result_max_bytes // 1024} KB，"
                f"已截断为前 {len(last['rows'])} 行。",
                f"More than {limits.row_cap} rows or {limits.result_max_bytes // 1024} KB: cut to the first "
                f"{len(last['rows'])} rows.",
            )
        )
    frame = result_frame(*node_columns(last["columns"], last["rows"]), limits.value_max_chars)  # nodes as columns
    if last["rows"]:
        data_table(frame, hide_index=True, width="stretch")
    else:  # an empty grid said "empty", in English only
        st.info(L("查询没有返回任何行。", "The query returned no rows."))
    save_button(last["cypher"], last["params"])
    graph = last["graph"]
    if graph.nodes:
        st.markdown("**" + L("图", "As a graph") + "**")
        if graph.cut:
            st.caption(
                L(
                    f"显示前 {len(graph.nodes)} 个节点（另有 {graph.cut} 个未显示）",
                    f"Showing the first {len(graph.nodes)} nodes ({graph.cut} more not drawn)",
                )
            )
        show_graph(graph, key="console_graph", height=500, colour_by="class", file_name="console")
        downloads(graph, "console", layered=False, key="console_download")
