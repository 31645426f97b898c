"""Graph pictures for the app: pyvis HTML made self-contained (no CDN), with layout computed here.

The only module that imports pyvis. Positions come from the server (stage columns for a chain, a
networkx layout otherwise) and physics is off, so large views draw at once; beyond MAX_NODES the view is
cut and says so.
"""

from __future__ import annotations

import html as html_lib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
from pyvis.network import Network

MAX_NODES = 500
STAGE_COLUMNS = (
    "basic_research",
    "technology_breakthrough",
    "achievement_transfer",
    "scitech_finance",
    "talent_support",
    "industry",
    "cluster",
)
COLOURS = {
    "basic_research": "#4e79a7",
    "technology_breakthrough": "#f28e2b",
    "achievement_transfer": "#59a14f",
    "scitech_finance": "#e15759",
    "talent_support": "#b07aa1",
    "industry": "#9c755f",
    "cluster": "#222222",
    None: "#bab0ac",
}
_EXTERNAL = [
    re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*/?>", re.S),
    re.compile(r"<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", re.S),
]


@dataclass
class GraphData:
    nodes: dict[str, dict[str, object]] = field(default_factory=dict)  # id → {label, title, stage, class}
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # from, to, label
    cut: int = 0  # nodes left out over MAX_NODES

    def add_node(self, node_id: str, label: str, *, stage: str | None = None, kind: str = "", title: str = "") -> None:
        if node_id not in self.nodes:
            self.nodes[node_id] = {"label": label, "stage": stage, "class": kind, "title": title or label}

    def add_edge(self, a: str, b: str, label: str) -> None:
        if (a, b, label) not in self.edges:
            self.edges.append((a, b, label))


def self_contained(page: str) -> str:
    """pyvis's HTML without its CDN links (Bootstrap is only used by menus we do not enable)."""
    for pattern in _EXTERNAL:
        page = pattern.sub("", page)
    # physics is off, so vis never fits the view by itself: fit once the positions are known
    return page.replace("return network;", "network.fit(); return network;", 1)


def external_urls(page: str) -> list[str]:
    """URLs the page would load (src/href attributes), for tests: should be empty."""
    return re.findall(r"(?:src|href)\s*=\s*\"(https?://[^\"]+)\"", page)


def _cap(data: GraphData) -> GraphData:
    if len(data.nodes) <= MAX_NODES:
        return data
    degree: dict[str, int] = defaultdict(int)
    for a, b, _ in data.edges:
        degree[a] += 1
        degree[b] += 1
    keep = set(sorted(data.nodes, key=lambda n: (-degree[n], n))[:MAX_NODES])
    return GraphData(
        nodes={k: v for k, v in data.nodes.items() if k in keep},
        edges=[e for e in data.edges if e[0] in keep and e[1] in keep],
        cut=len(data.nodes) - MAX_NODES,
    )


def layered_positions(data: GraphData) -> dict[str, tuple[float, float]]:
    """Stage columns left to right (the chain's order), nodes spread down each column."""
    columns: dict[str, list[str]] = defaultdict(list)
    for node_id, node in sorted(data.nodes.items()):
        stage = str(node["stage"]) if node["stage"] in STAGE_COLUMNS else "industry"
        columns[stage].append(node_id)
    positions = {}
    for x, stage in enumerate(STAGE_COLUMNS):
        members = columns.get(stage, [])
        for y, node_id in enumerate(members):
            positions[node_id] = (x * 260.0, (y - len(members) / 2) * 46.0)
    return positions


def spring_positions(data: GraphData) -> dict[str, tuple[float, float]]:
    graph = nx.Graph()
    graph.add_nodes_from(sorted(data.nodes))
    graph.add_edges_from((a, b) for a, b, _ in data.edges)
    layout = nx.spring_layout(graph, seed=42, k=1.2 / max(1, len(graph)) ** 0.5, method="force")
    return {n: (float(p[0]) * 900, float(p[1]) * 900) for n, p in layout.items()}


def render(
    data: GraphData, *, layered: bool = False, height: int = 640, highlight: Sequence[str] = ()
) -> tuple[str, int]:
    """Self-contained HTML of the graph and how many nodes were left out."""
    data = _cap(data)
    positions = layered_positions(data) if layered else spring_positions(data)
    net = Network(height=f"{height - 20}px", width="100%", directed=True, cdn_resources="in_line", bgcolor="#ffffff")
    net.toggle_physics(False)
    for node_id, node in data.nodes.items():
        x, y = positions.get(node_id, (0.0, 0.0))
        net.add_node(
            node_id,
            label=str(node["label"])[:18],
            title=html_lib.escape(str(node["title"])),
            color="#ffd400" if node_id in highlight else COLOURS.get(node["stage"], COLOURS[None]),  # type: ignore[arg-type]
            x=x,
            y=y,
            shape="dot",
            size=18 if node_id in highlight else 11,
            font={"size": 12, "face": "sans-serif"},
        )
    for a, b, label in data.edges:
        net.add_edge(a, b, title=label, arrows="to", color="#999999", width=1)
    net.set_options(
        '{"interaction": {"hover": true, "navigationButtons": false}, "physics": {"enabled": false},'
        ' "edges": {"smooth": false}}'
    )
    return self_contained(net.generate_html(notebook=False)), data.cut
