"""Cypher console: read-only, with a timeout and a row cap enforced by the database; named queries as examples."""

from __future__ import annotations

import itertools
import json

import pandas as pd
import streamlit as st

from app_pages.common import L, page_header, settings, store
from app_pages.graph_view import GraphData, render
from graph.errors import QueryRejectedError, StoreError
from graph.sandbox import run_sandboxed
from queries.catalog import catalog

page_header("Cypher 控制台", "Cypher console")
current = store()
limits = settings()
if current.backend == "neo4j":
    how_zh, how_en = "Neo4j 只读访问模式", "Neo4j read access mode"
else:
    how_zh = "只读打开的嵌入式数据库，在无网络、限内存的子进程中运行"
    how_en = "the embedded database opened read-only, in a child process with no network and a memory limit"
st.caption(
    L(
        f"只读；超时 {limits.query_timeout_s:g} 秒；最多返回 {limits.row_cap} 行。由数据库执行限制（{how_zh}）。",
        f"Read-only; {limits.query_timeout_s:g} s timeout; at most {limits.row_cap} rows. Enforced by the database "
        f"({how_en}).",
    )
)

queries = catalog()
example = st.selectbox(
    L("示例（命名查询）", "Example (a named query)"),
    ["", *sorted(queries)],
    key="console_example",
    format_func=lambda n: f"{n} — {queries[n].title_zh} / {queries[n].title_en}" if n else "—",
)
if example and st.session_state.get("console_loaded") != example:
    query = queries[example]
    st.session_state["console_loaded"] = example
    st.session_state["console_text"] = query.cypher_for(current.backend)
    st.session_state["console_params"] = json.dumps(
        query.bind({p.name: p.default if p.default not in (None, "") else "city/441900" for p in query.params}),
        ensure_ascii=False,
    )
text = st.text_area(
    "Cypher",
    key="console_text",
    height=180,
    value=st.session_state.get("console_text", "MATCH (c:City) RETURN c.name_zh AS city, c.admin_code AS code"),
)
params_text = st.text_input(
    L("参数（JSON）", "Parameters (JSON)"), key="console_params", value=st.session_state.get("console_params", "{}")
)
if st.button(L("运行", "Run"), key="console_run", type="primary"):
    try:
        params = json.loads(params_text or "{}")
        if not isinstance(params, dict):
            raise ValueError("parameters must be a JSON object")
    except ValueError as exc:
        st.error(L("参数不是有效的 JSON 对象：", "The parameters are not a JSON object: ") + str(exc))
        st.stop()
    try:
        if current.backend == "embedded":  # in a child process without network, with a memory limit
            result = run_sandboxed(
                limits.embedded_path, text, params, timeout_s=limits.query_timeout_s, row_cap=limits.row_cap
            )
        else:
            result = current.read(text, params, timeout_s=limits.query_timeout_s, row_cap=limits.row_cap)
    except QueryRejectedError as exc:
        st.error(L("数据库拒绝了该查询：", "The database refused the query: ") + str(exc))
        st.stop()
    except StoreError as exc:
        st.error(L("查询失败：", "The query failed: ") + str(exc))
        st.stop()
    if result.truncated:
        st.warning(L(f"结果超过 {limits.row_cap} 行，已截断。", f"More than {limits.row_cap} rows: cut."))
    frame = pd.DataFrame(
        [
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in row.items()}
            for row in result.rows
        ],
        columns=result.columns,
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    st.session_state["console_last"] = {"columns": result.columns, "rows": result.rows}
    graph = GraphData()
    for row in result.rows:
        nodes = [v for v in row.values() if isinstance(v, dict) and "_label" in v and "id" in v]
        for node in nodes:
            graph.add_node(
                str(node["id"]),
                str(node.get("name_zh") or node["id"]),
                stage=node.get("chain_stage"),  # type: ignore[arg-type]
                kind=str(node["_label"]),
            )
        for a, b in itertools.pairwise(nodes):
            graph.add_edge(str(a["id"]), str(b["id"]), "")
    if graph.nodes:
        st.markdown("**" + L("图", "As a graph") + "**")
        page, _ = render(graph, height=480)
        st.iframe(page, height=500)
