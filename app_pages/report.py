"""年度执行情况报告 The yearly execution report: pick a city or a cluster and an edition, preview, download."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

import streamlit as st

from app_pages import share
from app_pages.chrome import pick_from, pick_one
from app_pages.common import L, cluster_options, page_header, plain, store
from app_pages.text_order import in_order
from graph.editions import CURRENT, list_editions
from queries import answer_cache
from reports.build import AUTO, Reporter, file_name, render
from reports.html_writer import html_bytes

MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

page_header("年度执行情况报告", "Yearly execution report")
st.caption(
    L(
        "各地市于每年第三季度末报送创新体系执行情况（粤科函高字〔2022〕895号）。",
        "Each city reports on its innovation system by the end of Q3 every year (粤科函高字〔2022〕895号).",
    )
)
KEPT = "kept_"  # a choice's copy under a key no widget owns: Streamlit forgets a widget's value while it is not drawn


def _restore(key: str, name: str, allowed: Collection[object]) -> None:
    """The city (or cluster) chosen before the other scope was picked: switching back had reset it to the first. A
    link's own ``name`` wins (share.seed reads it)."""
    kept = st.session_state.get(KEPT + key)
    if key not in st.session_state and kept in allowed and share.param(name) is None:
        st.session_state[key] = kept


current = store()
share.seed("report_scope", "scope", "city", ("city", "cluster"))  # a link reopens the same report
scope = st.radio(
    L("报告对象", "Report on"), ["city", "cluster"], horizontal=True, key="report_scope",
    format_func=lambda v: L("地市", "a city") if v == "city" else L("产业集群", "a cluster"),
)  # fmt: skip
known = list_editions(current)
editions = [e.name for e in known]
edition = st.selectbox(
    L("版本", "Edition"), [CURRENT, *reversed(editions)], key="report_edition",
    format_func=lambda v: L("当前数据", "current data") if v == CURRENT else v,
    placeholder=pick_one(),
)  # fmt: skip
with Reporter(current, edition, AUTO) as reporter:
    if scope == "city":
        cities = reporter.cities()
        _restore("report_city", "city", cities)
        share.seed("report_city", "city", cities[0] if cities else None, cities)
        chosen = st.selectbox(
            L("地市", "City"),
            cities,
            format_func=in_order,
            key="report_city",
            placeholder=pick_one(cities),
            disabled=not cities,
        )
    else:
        options = cluster_options()
        _restore("report_cluster", "cluster", options)
        share.seed("report_cluster", "cluster", next(iter(options), None), options)
        chosen = pick_from(L("产业集群", "Cluster"), options, "report_cluster")
    st.session_state[f"{KEPT}{'report_city' if scope == 'city' else 'report_cluster'}"] = chosen
    share.publish({"scope": scope, scope: chosen})
    with st.spinner(L("正在生成报告…", "Building the report…")):
        # built once per graph change and shared by every session (a big city's lists hold 100,000s of rows)
        # (the editions' digests: creating or replacing an edition writes no new epoch but changes the report)
        asked = ("report", edition, str(scope), str(chosen), tuple((e.name, e.digest) for e in known))
        ctx = answer_cache.remember(current, asked, lambda: reporter.context(str(scope), str(chosen)))
    charts = st.toggle(L("预览含图表", "Charts in the preview"), value=True, key="report_charts")
    st.subheader(plain(L(ctx.title_zh, ctx.title_en)))  # a name from the data: never markup
    # the preview too: drawing its charts takes a second or two, and the page is drawn again on every click
    preview = answer_cache.remember(current, (*asked, "preview", charts), lambda: html_bytes(ctx, charts=charts))
    st.iframe(preview.decode("utf-8"), height=700, alt=L("报告预览", "The report's preview"))
    columns = st.columns(3)
    for column, fmt, zh in zip(columns, ("docx", "html", "xlsx"), ("Word", "网页", "Excel"), strict=True):
        with column:
            st.download_button(
                L(f"下载 {zh}", f"Download {fmt.upper()}"),
                data=partial(render, ctx, fmt),  # written when clicked, not on every visit
                file_name=file_name(ctx, fmt),
                mime=MIME[fmt],
                key=f"report_download_{fmt}",
                on_click="ignore",
            )
