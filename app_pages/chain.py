"""Cluster chain: a cluster's score and gaps, its counts per stage and class, then its five stages as blocks of a
clickable graph, with the node clicked and the links between stages below."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import graph_panel, share
from app_pages.chart_graph import show_graph, top_nodes
from app_pages.chrome import pick_from
from app_pages.common import (
    STAGE_KEYS,
    L,
    class_word,
    cluster_options,
    cut_note,
    data_table,
    fixed_table,
    named_result,
    page_header,
    run_named,
    settings,
    stage_name,
    store,
)
from app_pages.graph_view import GraphData
from app_pages.headers import class_words, frame
from queries import analytics, answer_cache, scoped_chain

MAX_DRAWN = 400  # beyond this a chain picture is a cloud: the best connected are drawn, the rest counted


def remember_scoped_completeness(code: str, sourced_only: bool) -> analytics.Completeness:
    """The cluster's score from every tie (queries/scoped_chain.py), within the page's time limit, kept until the
    graph changes."""
    current = store()
    scope = scoped_chain.Scope("cluster", code, sourced_only)
    timeout = settings().query_timeout_s
    return answer_cache.remember(
        current,
        ("chain_completeness", code, sourced_only),
        lambda: scoped_chain.chain_completeness(current, scope, timeout_s=timeout),
    )


page_header("集群创新链", "Cluster chain")
options = cluster_options()
share.seed("chain_cluster", "cluster", "E01" if "E01" in options else next(iter(options)), options)
share.seed("chain_sourced_only", "sourced", False, parse=share.as_bool)
code = pick_from(L("产业集群", "Cluster"), options, "chain_cluster")

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
edges_result = named_result("cluster_chain_graph", params)  # the picture, and the score when it holds every tie
edges = edges_result.rows
eco = analytics.Ecosystem.of_cluster(code, edges)
if edges_result.truncated:  # a cluster of hundreds of thousands of members: the score reads from the cluster outward
    result = remember_scoped_completeness(code, sourced_only)
else:
    result = analytics.completeness(eco.members.get(code, set()), eco, code)
score_col, words_col = st.columns([1, 3])
score_col.metric(L("链条完整度", "Chain completeness"), f"{result.score:.0%}")
words_col.write(L(result.explanation_zh, result.explanation))
if edges_result.truncated:
    words_col.warning(
        L(
            f"该集群的联系超过行数上限，下图只依据前 {len(edges):,} 条绘制；完整度与右侧各环节主体数是完整的。",
            f"This cluster has more ties than the row cap: the picture uses the first {len(edges):,}; the score and "
            "the counts per stage on the right are complete.",
        )
    )
if result.missing_stages or result.missing_links:
    st.markdown("**" + L("补链清单", "Gaps to fill (补链)") + "**")
    for stage in result.missing_stages:
        st.markdown("- " + L("缺少环节：", "empty stage: ") + stage_name(stage))
    for first, second in result.missing_links:
        st.markdown("- " + L("未连接：", "unlinked: ") + f"{stage_name(first)} → {stage_name(second)}")

# The counts come before the picture: they are what most visits ask (how many labs, funds, talent programmes),
# and the browser shows them before it has laid the picture out.
stage_col, class_col = st.columns(2)
with stage_col:
    stages = run_named("cluster_chain", params)  # always the five stages
    data_table(
        pd.DataFrame(
            {
                L("环节", "Stage"): [stage_name(r["stage"]) for r in stages],
                L("主体数", "Entities"): [
                    str(r["entities"]) if r["entities"] else L("无数据", "no data") for r in stages
                ],
                L("其中来源陈述", "Of which sourced"): [str(r["sourced"]) for r in stages],
            }
        ),
        hide_index=True,
        width="stretch",
    )
with class_col:
    classes = run_named("cluster_chain_classes", params)
    if classes:
        fixed_table(frame(class_words(classes), drop=["stage_order"]), hide_index=True)

data = GraphData()
member_ids = {row["member_id"] for row in edges}  # the rest are drawn for a tie to a member (faded, and said so)
# ... where the rows hold every member: a cut answer leaves some out, and stated ties only leave out the members by
# an inferred tie, which would be called outside the cluster
whole_membership = not edges_result.truncated and not sourced_only
for row in edges:
    data.add_node(row["cluster_id"], row["cluster_name"], stage="cluster", kind="IndustryCluster")
    for end in ("from", "to"):
        if row[f"{end}_id"]:
            name, kind, stage = row[f"{end}_name"], row[f"{end}_class"], row[f"{end}_stage"]
            if stage == "industry" and kind != "Enterprise":  # the query's word for any end of no stage
                stage = "none"  # a department or a place: drawn apart from the firms, as the links table says
            data.add_node(
                row[f"{end}_id"],
                name or row[f"{end}_id"],
                stage=stage,
                kind=kind,
                title=f"{name} · {class_word(kind)}"
                + (
                    ""
                    if row[f"{end}_id"] in member_ids or not whole_membership
                    else " · " + L("集群外", "outside the cluster")
                ),
            )
    data.add_edge(row["member_id"], row["cluster_id"], "SERVES")  # IN_CLUSTER or SERVES_CLUSTER (PICTURE_TIES)
    if row["to_id"]:
        data.add_edge(row["from_id"], row["to_id"], row["relationship"])

chosen = graph_panel.controls("chain", data)
share.publish(
    {
        "cluster": code,
        "sourced": sourced_only,
        "stages": chosen.stages,
        "hubs": "hidden" if chosen.hide_hubs else "",
        "colour": chosen.colour_by if chosen.colour_by != "stage" else "",
    }
)
shown = top_nodes(graph_panel.apply(data, chosen, keep=[]), MAX_DRAWN)
brokers_on = st.toggle(
    L("标出中介（桥接各环节的主体）", "Mark brokers (entities bridging the chain)"), key="chain_brokers"
)
broker_list = analytics.brokers(eco, top=10) if brokers_on else []
marked = [b.id for b in broker_list if b.id in shown.nodes]
graph_col = st.container()  # the chain needs the page's width; details and tables go below it
with graph_col:
    beside = ["industry", *(["none"] if any(n["stage"] == "none" for n in shown.nodes.values()) else [])]
    st.caption(" → ".join(stage_name(s) for s in STAGE_KEYS) + " · " + " · ".join(map(stage_name, beside)))
    outside = {n for n in shown.nodes if n not in member_ids and shown.nodes[n]["stage"] != "cluster"}
    outside = outside - set(marked) if whole_membership else set()  # a broker is drawn marked, not faint
    if outside:  # the tables count members only: the picture says what else it draws
        st.caption(
            L(
                f"实心为集群成员；半透明的 {len(outside)} 个是与成员相连的集群外主体，按其环节放在各列（表中不计）。",
                f"Solid: the cluster's members. Faded: {len(outside)} entities outside the cluster tied to a member, "
                "in their stages' columns (the tables do not count them).",
            )
        )
    clicked = show_graph(
        shown,
        key="chain_graph",
        layered=True,
        height=680,
        colour_by=chosen.colour_by,
        label_count=chosen.label_count,
        highlight=marked,
        file_name=f"chain-{code}",
        faded=outside,
    )
    if clicked:
        st.session_state["chain_focus"] = clicked
    if shown.cut:
        st.info(
            L(
                f"只画出连接最多的 {len(shown.nodes)} 个节点（略去 {shown.cut} 个；筛选可缩小范围）。",
                f"The {len(shown.nodes)} best connected nodes are drawn ({shown.cut} left out; filter to narrow).",
            )
        )
    graph_panel.downloads(shown, f"chain-{code}", layered=True, key="chain_download", faded=outside)
# one above the other: beside the click's details, the links table had half the page for its four bilingual
# columns and scrolled sideways (480 px for 1,023)
side_col, table_col = st.container(), st.container()
with side_col:
    focus = st.session_state.get("chain_focus")
    if focus and focus in data.nodes:
        st.markdown("**" + L("选中的节点", "The node clicked") + "**")
        graph_panel.details(focus)
        if st.button(L("在探索页展开", "Expand it in Explore"), key="chain_to_explore"):
            st.session_state["explore_entity_id"] = focus
            st.switch_page("app_pages/explore.py", query_params={"entity": focus})
    else:
        st.caption(L("点击图中节点查看其详情与来源。", "Click a node in the picture for its details and sources."))
with table_col:
    links = run_named("cluster_chain_links", {"cluster": code})
    st.markdown("**" + L("环节之间的联系", "Links between stages") + "**")
    if not links:
        st.write(L("没有联系记录。", "No links recorded."))
    else:
        data_table(frame(links), hide_index=True, width="stretch")
    if brokers_on:
        st.markdown("**" + L("中介（介数中心性）", "Brokers (betweenness)") + "**")
        data_table(
            pd.DataFrame(
                {
                    L("主体", "Entity"): [b.name for b in broker_list],
                    L("介数", "Betweenness"): [b.betweenness for b in broker_list],
                }
            ),
            hide_index=True,
            width="stretch",
        )

st.subheader(L("主体清单", "Entities"))
members = sum(int(r["entities"] or 0) for r in classes)  # kept counts, enterprises included
if members <= settings().listed_at_once or st.toggle(  # a big cluster's list: on request
    L(f"列出 {members:,} 个成员（按环节、类别排序）", f"List the {members:,} members (by stage and class)"),
    key="chain_list_members",
):
    entities = named_result("cluster_entities", params)
    data_table(frame(class_words(entities.rows)), hide_index=True, width="stretch")
    cut_note(entities)
else:
    st.caption(
        L(
            "成员较多，按需列出；各环节、各类别的数目见上表。",
            "Many members: listed on request; the counts per stage and class are above.",
        )
    )
