"""Explore: search an entity, see its properties and sources, expand and collapse its neighbours, find paths."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from app_pages.common import L, page_header, run_named
from app_pages.graph_view import GraphData, render

page_header("探索", "Explore")
EXPANDED = "explore_expanded"
LINK_SCHEMES = ("http", "https")  # a data file may cite a page, never make the browser run or fetch anything else


def plain(text: object) -> str:
    """Data for a markdown element (a heading): every ASCII punctuation mark escaped, so a name such as
    ``![](http://…)`` or ``**x**`` shows as those characters and never becomes an image or markup."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", str(text))


def link_target(value: object) -> str | None:
    """The value as a link target if it is one plain http(s) URL (no spaces, no markup); else None."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme.lower() in LINK_SCHEMES and parts.netloc and not re.search(r"[\s<>\"'`()\[\]{}]", text):
        return text
    return None


text = st.text_input(
    L("搜索名称（中文或英文，可部分匹配）", "Search a name (Chinese or English, partial)"),
    key="explore_text",
    value="散裂中子源",
)
hits = run_named("search_entities", {"text": text, "limit": 50}) if text.strip() else []
if not hits:
    st.info(L("没有找到。", "Nothing found."))
    st.stop()
labels = {
    h["id"]: f"{h['name_zh'] or h['id']} · {h['class']}" + (f" · {h['name_en']}" if h["name_en"] else "") for h in hits
}
chosen = st.selectbox(L("实体", "Entity"), list(labels), format_func=lambda i: labels[i], key="explore_entity")

if st.session_state.get("explore_root") != chosen:
    st.session_state["explore_root"] = chosen
    st.session_state[EXPANDED] = [chosen]

details = run_named("entity_details", {"id": chosen})
if details:
    entity = details[0]["entity"]
    st.subheader(f"{plain(entity.get('name_zh', chosen))}  ·  {details[0]['class']}")
    left, right = st.columns(2)
    left.json({k: v for k, v in entity.items() if k not in ("record_hash", "_label")}, expanded=False)
    right.markdown("**" + L("来源", "Sources") + "**")
    for ref in details[0]["sources"] or []:
        right.text(f"• {ref}")  # data shown as text: never markdown
    cited = details[0]["cited_source"]
    if cited:
        right.text(L("引用：", "Cited: ") + str(cited))
        target = link_target(cited)
        if target:  # a link only for a plain http(s) URL, opened on click, never fetched by the page
            right.link_button(L("打开引用来源", "Open the cited source"), target)

hops = st.slider(L("邻域跳数", "Hops"), 1, 3, 1, key="explore_hops")
data = GraphData()
for node_id in st.session_state[EXPANDED]:
    root = run_named("entity_details", {"id": node_id})
    if root:
        data.add_node(
            node_id,
            root[0]["entity"].get("name_zh", node_id),
            stage=root[0]["entity"].get("chain_stage"),
            kind=root[0]["class"],
        )
    for edge in run_named("entity_edges", {"id": node_id}):
        other = edge["other_id"]
        data.add_node(
            other,
            edge["other_name"] or other,
            kind=edge["other_class"],
            title=f"{edge['other_name']} · {edge['other_class']}",
        )
        if edge["direction"] == "out":
            data.add_edge(node_id, other, edge["relationship"])
        else:
            data.add_edge(other, node_id, edge["relationship"])
neighbours = run_named("entity_neighbourhood", {"id": chosen, "hops": hops, "limit": 300})
st.caption(
    L(
        f"{hops} 跳内共有 {len(neighbours)} 个邻居（上限 300）。",
        f"{len(neighbours)} neighbours within {hops} hop(s) (at most 300).",
    )
)

expand_col, collapse_col = st.columns(2)
candidates = {n: str(data.nodes[n]["label"]) for n in data.nodes if n not in st.session_state[EXPANDED]}
to_expand = expand_col.selectbox(
    L("展开邻居", "Expand a neighbour"),
    ["", *sorted(candidates)],
    key="explore_expand",
    format_func=lambda n: candidates.get(n, "—"),
)
if expand_col.button(L("展开", "Expand"), key="explore_expand_button") and to_expand:
    st.session_state[EXPANDED].append(to_expand)
    st.rerun()
expanded = [n for n in st.session_state[EXPANDED] if n != chosen]
to_collapse = collapse_col.selectbox(
    L("收起", "Collapse"),
    ["", *expanded],
    key="explore_collapse",
    format_func=lambda n: str(data.nodes.get(n, {}).get("label", n)) if n else "—",
)
if collapse_col.button(L("收起", "Collapse"), key="explore_collapse_button") and to_collapse:
    st.session_state[EXPANDED].remove(to_collapse)
    st.rerun()

page, cut = render(data, height=560, highlight=st.session_state[EXPANDED])
st.iframe(page, height=580)
if cut:
    st.info(L(f"只画出 500 个节点（略去 {cut} 个）。", f"500 nodes drawn ({cut} left out)."))
st.dataframe(pd.DataFrame(neighbours), hide_index=True, width="stretch")

st.subheader(L("两实体间最短路径", "Shortest path between two entities"))
other_text = st.text_input(L("另一实体名称", "The other entity's name"), key="path_text", value="半导体与集成电路")
others = run_named("search_entities", {"text": other_text, "limit": 20}) if other_text.strip() else []
if others:
    other_labels = {h["id"]: f"{h['name_zh'] or h['id']} · {h['class']}" for h in others}
    target = st.selectbox(
        L("目标", "Target"), list(other_labels), format_func=lambda i: other_labels[i], key="path_target"
    )
    path: list[dict[str, Any]] = (
        run_named("shortest_path", {"from_id": chosen, "to_id": target}) if target != chosen else []
    )
    if path:
        row = path[0]
        steps = [f"{row['names'][0]}"]
        for name, rel in zip(row["names"][1:], row["relationships"], strict=False):
            steps.append(f" —{rel}— {name}")
        st.text(L(f"长度 {row['length']}：", f"length {row['length']}: ") + "".join(steps))
    else:
        st.write(L("6 步之内没有路径。", "No path within 6 steps."))
