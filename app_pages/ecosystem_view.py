"""Whole-graph communities and brokers, on request: how the 20 clusters group through the entities they share
(Louvain on the entity–cluster graph of queries/analytics.py) and which entities bridge the most clusters
(betweenness), as tables and as one bounded picture.

Brokers are ranked by their betweenness between clusters: the share of the shortest cluster-to-cluster paths
that pass through them, exact and under a second: the bridges between chains, not between any two entities (which
betweenness over all pairs of the ~4,000 nodes ranks, in 1.5 s; bench/brokers.py).
Computed only when the reader asks (a toggle), once per store and data version.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import networkx as nx
import pandas as pd
import streamlit as st

from app_pages.chart_graph import CLASS_PALETTE, legend_beside_toolbox, short_name, toolbox
from app_pages.chart_safety import draw, label_text
from app_pages.common import L, data_table, read_rows, store, store_caption
from graph.store import GraphStore
from queries.analytics import Broker, Ecosystem, cluster_brokers, community_groups

MAX_DRAWN = 300  # nodes in the picture: the clusters and the best brokers
TOP_BROKERS = 20  # rows of the brokers table
NAMED_BROKERS = 15  # brokers whose names are written on the picture
COLOURED = 10  # the largest communities get a colour each; the rest share grey
OTHER_COLOUR = "#bbbbbb"


@dataclass(frozen=True)
class EcosystemAnalysis:
    eco: Ecosystem
    groups: list[set[str]]  # communities, largest first; clusters as "cluster:CODE"
    ranked: list[Broker]  # entities by betweenness, best first, as many as the picture may draw
    seconds: float

    def community_of(self) -> dict[str, int]:
        return {node: i for i, group in enumerate(self.groups) for node in group}


def analyse(current: GraphStore) -> EcosystemAnalysis:
    started = time.monotonic()
    eco = Ecosystem.pull(current)
    groups = sorted(community_groups(eco), key=lambda g: (-len(g), min(g)))
    ranked = cluster_brokers(eco, top=MAX_DRAWN)
    return EcosystemAnalysis(eco, groups, ranked, time.monotonic() - started)


def _clusters_of(group: set[str]) -> list[str]:
    return sorted(n.removeprefix("cluster:") for n in group if n.startswith("cluster:"))


def community_rows(analysis: EcosystemAnalysis, cluster_names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per community that holds a cluster: its clusters, its entities, its three best brokers."""
    rank = {b.id: i for i, b in enumerate(analysis.ranked)}
    rows = []
    for number, group in enumerate(analysis.groups, start=1):
        codes = _clusters_of(group)
        if not codes:
            continue
        entities = [n for n in group if not n.startswith("cluster:")]
        best = sorted((n for n in entities if n in rank), key=rank.__getitem__)[:3]
        rows.append(
            {
                L("社群", "community"): number,
                L("集群", "clusters"): "；".join(cluster_names.get(c, c) for c in codes),
                L("集群数", "clusters (count)"): len(codes),
                L("主体数", "entities"): len(entities),
                L("主要中介", "leading brokers"): "、".join(analysis.eco.names.get(n, n) for n in best),
            }
        )
    return rows


def broker_rows(analysis: EcosystemAnalysis, top: int = TOP_BROKERS) -> list[dict[str, Any]]:
    community = analysis.community_of()
    return [
        {
            L("名次", "rank"): i,
            L("主体", "entity"): b.name,
            L("集群间介数", "betweenness between clusters"): b.betweenness,
            L("服务集群数", "clusters served"): len(b.clusters),
            L("集群", "clusters"): " ".join(b.clusters),
            L("社群", "community"): community.get(b.id, -1) + 1,
        }
        for i, b in enumerate(analysis.ranked[:top], start=1)
    ]


def picture_graph(analysis: EcosystemAnalysis, max_nodes: int = MAX_DRAWN) -> nx.Graph:
    """The clusters and the best brokers (at most ``max_nodes`` in all) with the ties among them."""
    graph = nx.Graph()
    for code in sorted(analysis.eco.members):
        graph.add_node(f"cluster:{code}")
    for broker in analysis.ranked[: max(0, max_nodes - graph.number_of_nodes())]:
        graph.add_node(broker.id)
    for code, entities in analysis.eco.members.items():
        for entity in entities:
            if entity in graph:
                graph.add_edge(entity, f"cluster:{code}")
    for a, b, _rel in analysis.eco.links:
        if a in graph and b in graph:
            graph.add_edge(a, b)
    return graph


def community_layout(graph: nx.Graph, community: dict[str, int]) -> dict[str, tuple[float, float]]:
    """Clusters on a ring, side by side with their community; each entity at the centre of the clusters it ties
    to (a broker of every cluster in the middle), spread by a seeded jitter that grows with its clusters."""
    import random

    clusters = sorted((n for n in graph if n.startswith("cluster:")), key=lambda n: (community.get(n, 0), n))
    at: dict[str, tuple[float, float]] = {}
    for i, node in enumerate(clusters):
        angle = 2 * math.pi * i / max(1, len(clusters))
        at[node] = (1000 * math.cos(angle), 1000 * math.sin(angle))
    jitter = random.Random(42)
    for node in sorted(n for n in graph if n not in at):
        ties = [at[n] for n in graph[node] if n in at and n.startswith("cluster:")]
        if not ties:
            ties = [at[n] for n in graph[node] if n in at] or [(0.0, 0.0)]
        spread = 40 + 25 * len(ties)
        x = sum(p[0] for p in ties) / len(ties) + jitter.uniform(-spread, spread)
        y = sum(p[1] for p in ties) / len(ties) + jitter.uniform(-spread, spread)
        at[node] = (x, y)
    return at


def picture_option(analysis: EcosystemAnalysis, cluster_names: dict[str, str]) -> dict[str, Any]:
    graph = picture_graph(analysis)
    community = analysis.community_of()
    score = {b.id: b.betweenness for b in analysis.ranked}
    named = {b.id for b in analysis.ranked[:NAMED_BROKERS]}
    layout = community_layout(graph, community)
    categories = []
    for i, group in enumerate(analysis.groups[:COLOURED]):
        codes = _clusters_of(group)
        categories.append(
            {
                "name": L(f"社群 {i + 1}", f"community {i + 1}") + (f"（{' '.join(codes)}）" if codes else ""),
                "itemStyle": {"color": CLASS_PALETTE[i % len(CLASS_PALETTE)]},
            }
        )
    categories.append({"name": L("其他社群", "other communities"), "itemStyle": {"color": OTHER_COLOUR}})
    order = {node: i for i, node in enumerate(graph.nodes)}
    nodes = []
    for node in graph.nodes:
        is_cluster = node.startswith("cluster:")
        code = node.removeprefix("cluster:")
        name = cluster_names.get(code, code) if is_cluster else analysis.eco.names.get(node, node)
        x, y = layout[node]
        nodes.append(
            {
                "id": node,
                "name": name,
                "x": x,
                "y": y,
                "category": min(community.get(node, COLOURED), COLOURED),
                "symbol": "roundRect" if is_cluster else "circle",
                "symbolSize": 26 if is_cluster else 6 + 120 * math.sqrt(score.get(node, 0.0)),
                "value": round(score.get(node, 0.0), 5),
                "label": {
                    "show": is_cluster or node in named,
                    "formatter": label_text(code if is_cluster else short_name(name)),
                    "fontWeight": "bold" if is_cluster else "normal",
                },
            }
        )
    links = [{"source": order[a], "target": order[b]} for a, b in graph.edges]
    return {
        "animation": False,
        "tooltip": {"show": True},
        **legend_beside_toolbox({"data": [c["name"] for c in categories]}),
        "toolbox": toolbox("communities-brokers"),
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": True,
                "top": 44,
                "data": nodes,
                "links": links,
                "categories": categories,
                "label": {"position": "right", "fontSize": 11, "color": "#222"},
                "labelLayout": {"hideOverlap": True},
                "lineStyle": {"color": "#bbb", "opacity": 0.35, "width": 0.6},
                "emphasis": {"focus": "adjacency", "label": {"show": True}},
            }
        ],
    }


def _last_ingest() -> str:
    """The last ingest run's id: the cached analysis is redone when the data changes."""
    runs = read_rows("MATCH (r:IngestRun) WHERE r.ended_at IS NOT NULL RETURN max(r.id) AS id")
    return str(runs[0]["id"]) if runs else ""


@st.cache_resource(show_spinner=False, max_entries=4)
def _analysis(store_key: str, ingest_run: str) -> EcosystemAnalysis:
    """Once per store and data version for the whole app process: every reader after the first waits no more."""
    del store_key, ingest_run  # only the cache key
    return analyse(store())


def show_ecosystem(cluster_names: dict[str, str], key: str = "ecosystem") -> None:
    """A toggle; when on, the analysis (computed once per store and data version) as two tables and a picture."""

    st.subheader(L("全图社群与中介", "Whole-graph communities and brokers"))
    if not st.toggle(
        L("计算并显示（需数秒）", "Compute and show (takes a few seconds)"), key=f"{key}_show", value=False
    ):
        st.caption(
            L(
                "集群如何通过共享主体聚成社群，哪些主体连接最多集群。按需计算，不在打开页面时运行。",
                "How the clusters group through the entities they share, and which entities bridge the most "
                "clusters. Computed on request, never on page load.",
            )
        )
        return
    with st.spinner(L("正在计算社群与中介…", "Computing communities and brokers…")):
        analysis = _analysis(store_caption(store()), _last_ingest())
    drawn = picture_graph(analysis)
    st.caption(
        L(
            f"用时 {analysis.seconds:.1f} 秒。中介按集群间介数排序：集群两两之间的最短路径经过它的比例。"
            f"图中画出 {len(drawn)} 个节点"
            f"（{len(analysis.eco.members)} 个集群和介数最高的主体），方块为集群。",
            f"Computed in {analysis.seconds:.1f} s. Brokers are ranked by betweenness between clusters: the share of "
            "the shortest paths between two clusters that pass through them. "
            f"The picture draws {len(drawn)} nodes (the {len(analysis.eco.members)} clusters and the best brokers); "
            "squares are clusters.",
        )
    )
    communities = community_rows(analysis, cluster_names)
    left, right = st.columns(2)
    with left:
        st.markdown(L("**社群（含集群者）**", "**Communities that hold clusters**"))
        data_table(pd.DataFrame(communities), hide_index=True, width="stretch")
        others = [g for g in analysis.groups if not _clusters_of(g)]
        if others:
            st.caption(
                L(
                    f"另有 {len(others)} 个不含集群的小群（共 {sum(map(len, others))} 个主体）。",
                    f"{len(others)} more small groups hold no cluster ({sum(map(len, others))} entities).",
                )
            )
    with right:
        st.markdown(L("**跨集群中介**", "**Brokers across clusters**"))
        data_table(pd.DataFrame(broker_rows(analysis)), hide_index=True, width="stretch")
    draw(picture_option(analysis, cluster_names), height="640px", renderer="svg", key=f"{key}_graph")
