"""Cluster chain: a cluster's five stages as columns of a layered graph, the tables beside it, the score."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import STAGE_KEYS, L, cluster_options, page_header, run_named, stage_name
from app_pages.graph_view import GraphData, render
from queries import analytics

page_header("集群创新链", "Cluster chain")
options = cluster_options()
code = st.selectbox(
    L("产业集群", "Cluster"),
    list(options),
    format_func=options.get,
    key="chain_cluster",
    index=list(options).index("E01") if "E01" in options else 0,
)

sourced_only = st.toggle(
    L("只看来源陈述的关联（不含规则推断）", "Sourced ties only (leave out ties inferred by rules)"),
    key="chain_sourced_only",
    help=L(
        "推断的关联来自 data/crosswalks/ 的对照表与图中的路径，每条都记录了规则与依据。",
        "Inferred ties come from the crosswalks in data/crosswalks/ and from paths in the graph; "
        "each records its rule and evidence.",
    ),
)
params = {"cluster": code, "sourced_only": sourced_only}
edges = run_named("cluster_chain_graph", params)  # the picture and the score from one read
eco = analytics.Ecosystem.of_cluster(code, edges)
result = analytics.completeness(eco.members.get(code, set()), eco, code)
score_col, words_col = st.columns([1, 3])
score_col.metric(L("链条完整度", "Chain completeness"), f"{result.score:.0%}")
words_col.write(result.explanation)
if result.missing_stages or result.missing_links:
    st.markdown("**" + L("补链清单", "Gaps to fill (补链)") + "**")
    for stage in result.missing_stages:
        st.markdown("- " + L("缺少环节：", "empty stage: ") + stage_name(stage))
    for first, second in result.missing_links:
        st.markdown("- " + L("未连接：", "unlinked: ") + f"{stage_name(first)} → {stage_name(second)}")

data = GraphData()
for row in edges:
    data.add_node(row["cluster_id"], row["cluster_name"], stage="cluster", kind="IndustryCluster")
    for end in ("from", "to"):
        if row[f"{end}_id"]:
            name, kind = row[f"{end}_name"], row[f"{end}_class"]
            data.add_node(
                row[f"{end}_id"],
                name or row[f"{end}_id"],
                stage=row[f"{end}_stage"],
                kind=kind,
                title=f"{name} · {kind}",
            )
    data.add_edge(row["member_id"], row["cluster_id"], "SERVES")
    if row["to_id"]:
        data.add_edge(row["from_id"], row["to_id"], row["relationship"])
graph_col, table_col = st.columns([3, 2])
with graph_col:
    st.caption(" → ".join(stage_name(s) for s in STAGE_KEYS) + " · " + stage_name("industry"))
    page, cut = render(data, layered=True, height=640)
    st.iframe(page, height=660)
    if cut:
        st.info(
            L(
                f"图中节点过多，只画出连接最多的 500 个（略去 {cut} 个）。",
                f"Too many nodes: the 500 best connected are drawn ({cut} left out).",
            )
        )
with table_col:
    stages = run_named("cluster_chain", params)  # always the five stages
    st.dataframe(
        pd.DataFrame(
            {
                L("环节", "Stage"): [stage_name(r["stage"]) for r in stages],
                L("主体数", "Entities"): [r["entities"] or L("无数据", "no data") for r in stages],
                L("其中来源陈述", "Of which sourced"): [r["sourced"] for r in stages],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    classes = pd.DataFrame(run_named("cluster_chain_classes", params))
    if not classes.empty:
        classes["stage"] = classes["stage"].map(stage_name)
        st.dataframe(classes.drop(columns=["stage_order"]), hide_index=True, width="stretch")
    links = pd.DataFrame(run_named("cluster_chain_links", {"cluster": code}))
    st.markdown("**" + L("环节之间的联系", "Links between stages") + "**")
    if links.empty:
        st.write(L("没有联系记录。", "No links recorded."))
    else:
        st.dataframe(links, hide_index=True, width="stretch")

st.subheader(L("主体清单", "Entities"))
st.dataframe(pd.DataFrame(run_named("cluster_entities", params)), hide_index=True, width="stretch")
