"""Cypher console: read-only, with a timeout and a row cap enforced by the database; named queries as examples.

Bounded and fail closed: on the embedded store each query runs in a confined child (graph/sandbox.py) and the
page refuses to run any when Landlock is not in force; at most ``console_children`` queries run at once in
the app process; an answer is cut at ``result_max_bytes``, each value shown as safe text, at most
``graph_max_nodes`` nodes drawn; only the latest answer stays in the session.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

import streamlit as st

from app_pages.common import L, page_header, parse_params, result_frame, settings, store
from app_pages.graph_view import graph_from_rows, render
from graph.errors import QueryRejectedError, StoreError
from graph.sandbox import (
    CHILD_SLOTS,
    WALL_CLOCK_MARGIN_S,
    SandboxError,
    bounded_rows,
    landlock_problem,
    run_sandboxed,
)
from graph.settings import Settings
from graph.store import GraphStore, QueryResult
from queries.catalog import catalog

log = logging.getLogger(__name__)
LAST = "console_last"  # the latest answer only: each run replaces (and first drops) the one before


def _read_on_server(current: GraphStore, cypher: str, params: dict[str, Any], limits: Settings) -> QueryResult:
    """A server store's read in a worker thread, waited for no longer than the timeout and a margin: a server
    that fails while sending (Neo4j 5 overflows its stack on a deeply nested list and never answers) must
    not hang the page. The worker keeps its console slot until the read ends, so stuck reads stay counted."""
    CHILD_SLOTS.acquire(limits.console_children, limits.console_wait_s)
    answers: queue.Queue[QueryResult | BaseException] = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            answers.put(current.read(cypher, params, timeout_s=limits.query_timeout_s, row_cap=limits.row_cap))
        except BaseException as exc:  # handed to the page, which says what happened
            answers.put(exc)
        finally:
            CHILD_SLOTS.release()

    threading.Thread(target=work, name="console-read", daemon=True).start()
    try:
        answer = answers.get(timeout=limits.query_timeout_s + WALL_CLOCK_MARGIN_S)
    except queue.Empty:
        log.warning("a console read on %s gave no answer in time; its worker is left waiting", current.backend)
        raise SandboxError(
            "数据库在时限内没有返回结果，查询已放弃。", "The database sent no answer within the time limit: given up."
        ) from None
    if isinstance(answer, RecursionError):
        raise SandboxError("结果嵌套过深，无法显示。", "The result nests too deeply to be shown.") from None
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _run(current: GraphStore, cypher: str, params: dict[str, Any], limits: Settings) -> QueryResult:
    if current.backend == "embedded":  # in a confined child process: no network, no files, bounded memory
        return run_sandboxed(
            limits.embedded_path,
            cypher,
            params,
            timeout_s=limits.query_timeout_s,
            row_cap=limits.row_cap,
            max_bytes=limits.result_max_bytes,
            memory_mb=limits.console_child_memory_mb,
            max_children=limits.console_children,
            wait_s=limits.console_wait_s,
        )
    return _read_on_server(current, cypher, params, limits)  # Neo4j: READ access mode, the server's timeout


page_header("Cypher 控制台", "Cypher console")
current = store()
limits = settings()
if current.backend == "neo4j":
    how_zh, how_en = "Neo4j 只读访问模式", "Neo4j read access mode"
else:
    how_zh = "只读打开的嵌入式数据库，在无网络、无文件访问、限内存的子进程中运行"
    how_en = "the embedded database opened read-only, in a child process with no network, no files and a memory limit"
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
refused = landlock_problem() if current.backend == "embedded" else None
if refused is not None:  # fail closed: without the file confinement a query could read the machine's files
    st.error(
        L(
            "控制台已停用：本机未启用 Landlock 文件隔离（需要 Linux ≥ 5.13），查询可能读取本机文件。原因：",
            "The console is off: Landlock file confinement is not in force here (Linux ≥ 5.13 needed), so a "
            "query could read local files. Reason: ",
        )
        + refused
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
if st.button(L("运行", "Run"), key="console_run", type="primary", disabled=refused is not None):
    st.session_state.pop(LAST, None)  # the old answer goes before the new one is read, not after
    try:
        params = parse_params(params_text, limits.param_max_depth)
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    try:
        result = _run(current, text, params, limits)
    except SandboxError as exc:  # busy, no Landlock, no answer in time: the sandbox says why in both languages
        st.error(L(exc.zh, exc.en))
        st.stop()
    except QueryRejectedError as exc:
        st.error(L("数据库拒绝了该查询：", "The database refused the query: ") + str(exc))
        st.stop()
    except StoreError as exc:
        st.error(L("查询失败：", "The query failed: ") + str(exc))
        st.stop()
    rows, _, cut = bounded_rows(result.rows, limits.result_max_bytes, chars=limits.value_max_chars)
    graph = graph_from_rows(rows, limits.graph_max_nodes)
    picture = render(graph, height=480, max_nodes=limits.graph_max_nodes)[0] if graph.nodes else ""
    st.session_state[LAST] = {
        "columns": result.columns,
        "rows": rows,
        "truncated": result.truncated or cut,
        "graph": (picture, len(graph.nodes), graph.cut),
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
    frame = result_frame(last["columns"], last["rows"], limits.value_max_chars)
    st.dataframe(frame, hide_index=True, width="stretch")
    picture, shown, left_out = last["graph"]
    if picture:
        st.markdown("**" + L("图", "As a graph") + "**")
        if left_out:
            st.caption(
                L(
                    f"显示前 {shown} 个节点（另有 {left_out} 个未显示）",
                    f"Showing the first {shown} nodes ({left_out} more not drawn)",
                )
            )
        st.iframe(picture, height=500)
