"""Overview: what the graph holds — counts per class and chain stage, the clusters, the last ingest."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app_pages.common import L, class_label, data_table, read_rows, schema, store, store_caption, when
from app_pages.ecosystem_view import show_ecosystem
from app_pages.headers import frame, word
from queries import answer_cache

current = store()
st.title(L("概览", "Overview"))
st.caption(store_caption(current))

# a count query per class and per relationship type (forty-odd reads): kept until the graph changes
counts = {
    k: v
    for k, v in answer_cache.remember(current, ("node_counts",), current.node_counts).items()
    if v and current.schema.is_entity(k)
}
ties = answer_cache.remember(current, ("relationship_counts",), current.relationship_counts)
rel_counts = {k: v for k, v in ties.items() if v}
if not counts:
    st.warning(L("图中尚无数据：请先运行 `ckg ingest`。", "The graph is empty: run `ckg ingest` first."))
    st.stop()

left, right = st.columns(2)
left.metric(L("节点", "Nodes"), f"{sum(counts.values()):,}")
right.metric(L("关系", "Relationships"), f"{sum(rel_counts.values()):,}")

st.subheader(L("各类节点", "Nodes per class"))
classes = schema().classes
node_table = pd.DataFrame(
    [
        {
            L("类", "Class"): class_label(name),
            L("图中标签", "Label in the graph"): name,
            L("环节", "Stage"): L(schema().stage(s).labels.zh, schema().stage(s).labels.en)
            if (s := classes[name].primary_stage)
            else "—",
            L("数量", "Count"): n,
        }
        for name, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
)
data_table(node_table, hide_index=True, width="stretch")

st.subheader(L("各类关系（按创新链环节）", "Relationships per type (by chain stage)"))
rels = schema().relationships
rel_table = pd.DataFrame(
    [
        {
            L("关系", "Relationship"): L(rels[name].labels.zh, rels[name].labels.en),
            L("图中类型", "Type in the graph"): name,
            L("环节", "Stage"): L(schema().stage(st_key).labels.zh, schema().stage(st_key).labels.en)
            if (st_key := rels[name].stage)
            else L("结构", "structural"),
            L("数量", "Count"): n,
        }
        for name, n in sorted(rel_counts.items(), key=lambda kv: -kv[1])
    ]
)
data_table(rel_table, hide_index=True, width="stretch")

st.subheader(L("20个战略性产业集群", "The 20 strategic industry clusters"))
clusters = read_rows(
    "MATCH (c:IndustryCluster) RETURN c.cluster_code AS code, c.name_zh AS name_zh, c.name_en AS name_en, "
    "c.kind AS kind ORDER BY code"
)
data_table(frame(clusters), hide_index=True, width="stretch")
show_ecosystem({r["code"]: f"{r['code']} {L(r['name_zh'], r['name_en'] or '')}" for r in clusters})  # on request

st.subheader(L("数据更新", "Data freshness"))
runs = read_rows(
    "MATCH (r:IngestRun) WHERE r.ended_at IS NOT NULL RETURN r.id AS id, r.started_at AS started_at, "
    "r.ended_at AS ended_at, r.status AS status, r.changes_json AS changes ORDER BY r.ended_at DESC LIMIT 1"
)
if runs:
    last = runs[0]
    summary = json.loads(last["changes"] or "{}")
    nodes = summary.get("nodes", {}).get("summary", {})
    st.write(
        L("最近一次导入：", "Last ingest: ")
        + f"{when(last['ended_at'])} · {word(last['status'])} · "
        + L(
            f"节点新增 {nodes.get('added', 0):,}，变更 {nodes.get('changed', 0):,}，"
            f"未变 {nodes.get('unchanged', 0):,}，删除 {nodes.get('dropped', 0):,}",
            f"nodes added {nodes.get('added', 0):,}, changed {nodes.get('changed', 0):,}, "
            f"unchanged {nodes.get('unchanged', 0):,}, dropped {nodes.get('dropped', 0):,}",
        )
    )
else:
    st.info(L("没有导入记录。", "No ingest run recorded."))
