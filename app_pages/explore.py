"""Explore: search an entity, see its neighbourhood as a clickable graph (the hops slider drives it), click a node
for its details and sources, expand or collapse it, and draw a shortest path on the picture."""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from app_pages import graph_panel, share
from app_pages.chart_graph import show_graph, top_nodes
from app_pages.chrome import pick_one
from app_pages.common import (
    L,
    class_word,
    data_table,
    page_header,
    plain,
    relationship_word,
    run_named,
    schema,
    settings,
    store,
)
from app_pages.graph_view import GraphData
from app_pages.headers import class_words, frame
from app_pages.text_order import in_order
from queries.paths import shortest_paths

page_header("探索", "Explore")
EXPANDED = "explore_expanded"
FOCUS = "explore_focus"
LINK_SCHEMES = ("http", "https")  # a data file may cite a page, never make the browser run or fetch anything else
MAX_DRAWN = 300
ALTERNATIVES = 3  # next-shortest paths drawn beside the shortest (issue #15)
HOP_SOURCES = 60  # at 2-3 hops, the edges of at most this many inner nodes are read to draw the picture


def link_target(value: object) -> str | None:
    """The value as a link target if it is one plain http(s) URL (no spaces, no markup); else None."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme.lower() in LINK_SCHEMES and parts.netloc and not re.search(r"[\s<>\"'`()\[\]{}]", text):
        return text
    return None


def stage_of(kind: str) -> str | None:
    """A node's colour stage from its class (the ontology's primary stage; enterprises are industry)."""
    if kind == "Enterprise":
        return "industry"
    cls = schema().classes.get(kind)
    return cls.primary_stage if cls is not None else None


def add_edges(data: GraphData, node_id: str) -> set[str]:
    """The node's relationships added to the picture; the ids of its neighbours."""
    others = set()
    for edge in run_named("entity_edges", {"id": node_id}):
        other = edge["other_id"]
        data.add_node(
            other,
            edge["other_name"] or other,
            stage=stage_of(edge["other_class"]),
            kind=edge["other_class"],
            title=f"{edge['other_name']} · {class_word(edge['other_class'])}",
        )
        pair = (node_id, other) if edge["direction"] == "out" else (other, node_id)
        data.add_edge(pair[0], pair[1], edge["relationship"])
        others.add(other)
    return others


def add_root(data: GraphData, node_id: str) -> bool:
    found = run_named("entity_details", {"id": node_id})
    if found:
        entity = found[0]["entity"]
        name = entity.get("name_zh") or node_id
        data.add_node(node_id, name, stage=stage_of(found[0]["class"]), kind=found[0]["class"], title=str(name))
    return bool(found)


def expand(node_id: str) -> None:
    st.session_state[EXPANDED] = [*st.session_state[EXPANDED], node_id]


def collapse(node_id: str) -> None:
    st.session_state[EXPANDED] = [e for e in st.session_state[EXPANDED] if e != node_id]


def centre(node_id: str) -> None:
    st.session_state["explore_entity_id"] = node_id
    for key in ("explore_text", "explore_entity"):
        st.session_state.pop(key, None)


# A link (?entity=…) or the chain page names the entity by id: search by its name so it is among the options.
wanted = st.session_state.pop("explore_entity_id", None) or (
    share.param("entity") if "explore_text" not in st.session_state else None
)
if wanted:
    found = run_named("entity_details", {"id": wanted})
    if found:
        st.session_state["explore_text"] = found[0]["entity"].get("name_zh") or wanted
        st.session_state["explore_entity"] = wanted
        expanded = [e for e in (share.param("expanded") or "").split(",") if e]
        st.session_state["explore_root"] = wanted
        st.session_state[EXPANDED] = [wanted, *[e for e in expanded if e != wanted]]
share.seed("explore_text", "q", "散裂中子源")
share.seed("explore_hops", "hops", 1, (1, 2, 3), int)
text = st.text_input(
    L("搜索名称（中文或英文，可部分匹配）", "Search a name (Chinese or English, partial)"), key="explore_text"
)
hits = run_named("search_entities", {"text": text, "limit": 50}) if text.strip() else []
if not hits:
    st.info(L("没有找到。", "Nothing found."))
    st.stop()
labels = {
    h["id"]: f"{h['name_zh'] or h['id']} · {class_word(h['class'])}" + (f" · {h['name_en']}" if h["name_en"] else "")
    for h in hits
}
if st.session_state.get("explore_entity") not in labels:  # a new search: its first hit (a key taken away instead
    st.session_state["explore_entity"] = next(iter(labels))  # left the browser showing the old entity)
chosen = st.selectbox(
    L("实体", "Entity"),
    list(labels),
    format_func=lambda i: in_order(labels[i]),
    key="explore_entity",
    placeholder=pick_one(),
)

if st.session_state.get("explore_root") != chosen:
    st.session_state["explore_root"] = chosen
    st.session_state[EXPANDED] = [chosen]
    st.session_state.pop(FOCUS, None)

details = run_named("entity_details", {"id": chosen})
if details:
    entity = details[0]["entity"]
    st.subheader(f"{plain(entity.get('name_zh', chosen))}  ·  {plain(class_word(details[0]['class']))}")
    cited = details[0]["cited_source"]
    target = link_target(cited)
    if target:  # a link only for a plain http(s) URL, opened on click, never fetched by the page
        st.link_button(L("打开引用来源", "Open the cited source"), target)

hops = st.slider(L("邻域跳数（图随之变化）", "Hops (the picture follows)"), 1, 3, key="explore_hops")
neighbours = run_named("entity_neighbourhood", {"id": chosen, "hops": hops, "limit": MAX_DRAWN})
data = GraphData()
add_root(data, chosen)
inner = [chosen, *[n["id"] for n in neighbours if n["distance"] < hops][:HOP_SOURCES]]
within = {chosen} | {n["id"] for n in neighbours} | set(st.session_state[EXPANDED])
for node_id in dict.fromkeys(inner + list(st.session_state[EXPANDED])):
    reached = add_edges(data, node_id)
    if node_id in st.session_state[EXPANDED]:
        within |= reached
data = GraphData(
    nodes={k: v for k, v in data.nodes.items() if k in within},
    edges=[e for e in data.edges if e[0] in within and e[1] in within],
)

# the shortest path and its next-shortest alternatives (hubs only at the ends), drawn on the picture
st.subheader(L("两实体间最短路径", "Shortest path between two entities"))
share.seed("path_text", "to", "")
other_text = st.text_input(
    L("另一实体名称（留空则不画路径）", "The other entity's name (empty: no path)"), key="path_text"
)
others = run_named("search_entities", {"text": other_text, "limit": 20}) if other_text.strip() else []
path_ids: list[str] = []
route_ids: list[str] = []  # the nodes of every path drawn: kept whatever the filters
if others:
    other_labels = {h["id"]: f"{h['name_zh'] or h['id']} · {class_word(h['class'])}" for h in others}
    target_id = st.selectbox(
        L("目标", "Target"),
        list(other_labels),
        format_func=lambda i: in_order(other_labels[i]),
        key="path_target",
        placeholder=pick_one(),
    )
    limits = settings()
    routes = (
        shortest_paths(store(), chosen, target_id, k=ALTERNATIVES, timeout_s=limits.query_timeout_s)
        if target_id != chosen
        else []
    )
    if routes:
        for route in routes:  # every path is drawn; the chosen one in red
            route_ids += route.ids
            for node_id, name in zip(route.ids, route.names, strict=True):
                data.add_node(node_id, name or node_id, title=str(name or node_id))
            for (a, b), rel in zip(itertools.pairwise(route.ids), route.relationships, strict=True):
                data.add_edge(a, b, rel)
        numbers = list(range(len(routes)))
        picked = st.radio(
            L("红色标出的路径", "The path drawn in red"),
            numbers,
            format_func=lambda i: L(
                f"路径 {i + 1}（长度 {routes[i].length}）", f"path {i + 1} (length {routes[i].length})"
            ),
            horizontal=True,
            key="path_choice",
        )
        drawn = routes[picked if picked is not None and picked < len(routes) else 0]
        path_ids = list(drawn.ids)
        steps = [drawn.names[0]] + [
            f" —{relationship_word(rel)}— {name}"
            for name, rel in zip(drawn.names[1:], drawn.relationships, strict=True)
        ]
        st.text(
            L(f"长度 {drawn.length}（图中红色）：", f"length {drawn.length} (red in the picture): ")
            + in_order("".join(steps))
        )
        data_table(
            pd.DataFrame(
                {
                    L("路径", "Path"): [i + 1 for i in numbers],
                    L("长度", "Length"): [p.length for p in routes],
                    L("途经", "Through"): [" → ".join(p.names) for p in routes],
                    L("关系", "Relationships"): [" · ".join(map(relationship_word, p.relationships)) for p in routes],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        if len(routes) == 1:
            st.caption(L("没有其他相近的路径（不经过枢纽）。", "No other path of about that length (through no hub)."))
    else:
        st.write(L("6 步之内没有路径（枢纽只作起点或终点）。", "No path within 6 steps (hubs only at either end)."))

chosen_controls = graph_panel.controls("explore", data)
shown = top_nodes(
    graph_panel.apply(data, chosen_controls, keep=[*st.session_state[EXPANDED], *route_ids]),
    MAX_DRAWN,
    keep=[*st.session_state[EXPANDED], *route_ids],
)
share.publish(
    {
        "q": text,
        "entity": chosen,
        "hops": hops if hops != 1 else "",
        "expanded": [e for e in st.session_state[EXPANDED] if e != chosen],
        "to": other_text,
    }
)
graph_col, side_col = st.columns([3, 2])
with graph_col:
    st.caption(
        L(
            f"{hops} 跳内共有 {len(neighbours)} 个邻居（上限 {MAX_DRAWN}）；图中 {len(shown.nodes)} 个节点。"
            "城市、园区、集群、行业、环节、部门和政策等枢纽是终点，不再向外延伸。",
            f"{len(neighbours)} neighbours within {hops} hop(s) (at most {MAX_DRAWN}); {len(shown.nodes)} nodes drawn. "
            "A hub (a city, park, cluster, industry, stage, department or policy) is a stop: the walk does not go on "
            "through it.",
        )
    )
    clicked = show_graph(
        shown,
        key="explore_graph",
        height=600,
        colour_by=chosen_controls.colour_by,
        label_count=chosen_controls.label_count,
        highlight=st.session_state[EXPANDED],
        path=path_ids,
        file_name=f"explore-{chosen.replace('/', '-')}",
    )
    if clicked and clicked in shown.nodes:
        st.session_state[FOCUS] = clicked
    graph_panel.downloads(shown, f"explore-{chosen.replace('/', '-')}", layered=False, key="explore_download")
with side_col:
    names = {n: str(v["label"]) for n, v in shown.nodes.items()}
    if st.session_state.get(FOCUS) not in names:
        st.session_state[FOCUS] = chosen if chosen in names else next(iter(names), None)
    focus = st.selectbox(
        L("选中的节点（或在图中点击）", "The node in focus (or click one in the picture)"),
        list(names),
        format_func=lambda n: names.get(n, n),
        key=FOCUS,
        placeholder=pick_one(names),
        disabled=not names,
    )
    if focus:
        graph_panel.details(focus)
        buttons = st.container(horizontal=True)  # each as wide as its words: a third of the column cut them
        is_open = focus in st.session_state[EXPANDED]
        # callbacks run before the next script run: one run per click, not two
        buttons.button(
            L("展开", "Expand"), key="explore_expand_button", disabled=is_open, on_click=expand, args=(focus,)
        )
        buttons.button(
            L("收起", "Collapse"),
            key="explore_collapse_button",
            disabled=not is_open or focus == chosen,
            on_click=collapse,
            args=(focus,),
        )
        buttons.button(
            L("设为中心", "Make it the centre"),
            key="explore_centre_button",
            disabled=focus == chosen,
            on_click=centre,
            args=(focus,),
        )

st.subheader(L("邻居", "Neighbours"))
data_table(frame(class_words(neighbours)), hide_index=True, width="stretch")
