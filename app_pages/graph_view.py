"""Graph pictures for the app: pyvis HTML made self-contained (no CDN), with layout computed here.

The only module that imports pyvis. Positions come from the server (stage columns for a chain, a
networkx layout otherwise) and physics is off, so large views draw at once; beyond MAX_NODES the view is
cut and says so. A graph built from query rows (``graph_from_rows``) stops taking nodes at its own cap, so a
result of any size costs no more than the nodes it draws.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import networkx as nx

from app_pages.text_order import in_order

MAX_NODES = 500
MAX_EDGES = 4000  # pyvis checks each edge's ends against a list of nodes: keep that quadratic cost small
STAGE_COLUMNS = (
    "basic_research",
    "technology_breakthrough",
    "achievement_transfer",
    "scitech_finance",
    "talent_support",
    "industry",
    "none",  # of no stage and no firm: a department, a place (the chain picture's own column, beside the firms)
    "cluster",
)
COLOURS = {
    "basic_research": "#4e79a7",
    "technology_breakthrough": "#f28e2b",
    "achievement_transfer": "#59a14f",
    "scitech_finance": "#e15759",
    "talent_support": "#b07aa1",
    "industry": "#9c755f",
    "none": "#bab0ac",
    "cluster": "#222222",
    None: "#bab0ac",
}
FADED_OPACITY = 0.35  # a node drawn for its tie to the scope, not of it: its colour still says its stage


def faint(colour: str) -> str:
    """A ``#rrggbb`` colour at ``FADED_OPACITY``, as vis-network takes it (rgba)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{FADED_OPACITY})"


_EXTERNAL = [
    re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*/?>", re.S),
    re.compile(r"<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", re.S),
]


@dataclass
class GraphData:
    nodes: dict[str, dict[str, object]] = field(default_factory=dict)  # id → {label, title, stage, class}
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # from, to, label
    cut: int = 0  # nodes left out over MAX_NODES (or over ``limit``)
    limit: int | None = None  # take no more nodes than this; later ones are counted in ``cut``, not kept
    _edge_set: set[tuple[str, str, str]] = field(default_factory=set, repr=False)
    _left_out: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._edge_set.update(self.edges)

    def add_node(self, node_id: str, label: str, *, stage: str | None = None, kind: str = "", title: str = "") -> bool:
        """Keep the node unless the graph is full; True if it is (now or already) in the graph."""
        if node_id in self.nodes:
            return True
        if self.limit is not None and len(self.nodes) >= self.limit:
            if node_id not in self._left_out:
                self._left_out.add(node_id)
                self.cut += 1
            return False
        label, title = in_order(label), in_order(title)  # a bidi control as its escape (app_pages/text_order.py)
        self.nodes[node_id] = {"label": label, "stage": stage, "class": kind, "title": title or label}
        return True

    def add_edge(self, a: str, b: str, label: str) -> None:
        if (a, b, label) not in self._edge_set:  # a set: a list's `in` made 150,000 edges take minutes
            self._edge_set.add((a, b, label))
            self.edges.append((a, b, label))


def graph_from_rows(rows: Iterable[Mapping[str, Any]], max_nodes: int) -> GraphData:
    """The node maps of query rows (values with ``_label`` and ``id``) as a graph of at most ``max_nodes``
    nodes, each row's nodes linked in column order."""
    graph = GraphData(limit=max_nodes)
    for row in rows:
        kept = []
        for value in row.values():
            if isinstance(value, Mapping) and "_label" in value and "id" in value:
                node_id = str(value["id"])
                stage = value.get("chain_stage")
                label = str(value.get("name_zh") or node_id)
                if graph.add_node(
                    node_id, label, stage=stage if isinstance(stage, str) else None, kind=str(value["_label"])
                ):
                    kept.append(node_id)
        for a, b in itertools.pairwise(kept):
            if len(graph.edges) < MAX_EDGES:
                graph.add_edge(a, b, "")
    return graph


def self_contained(page: str) -> str:
    """pyvis's HTML without its CDN links (Bootstrap is only used by menus we do not enable)."""
    for pattern in _EXTERNAL:
        page = pattern.sub("", page)
    # physics is off, so vis never fits the view by itself: fit once the positions are known
    return page.replace("return network;", "network.fit(); return network;", 1)


def external_urls(page: str) -> list[str]:
    """URLs the page would load (src/href attributes), for tests: should be empty."""
    return re.findall(r"(?:src|href)\s*=\s*\"(https?://[^\"]+)\"", page)


def _cap(data: GraphData, max_nodes: int = MAX_NODES) -> GraphData:
    if len(data.nodes) <= max_nodes and len(data.edges) <= MAX_EDGES:
        return data
    degree: dict[str, int] = defaultdict(int)
    for a, b, _ in data.edges:
        degree[a] += 1
        degree[b] += 1
    keep = set(sorted(data.nodes, key=lambda n: (-degree[n], n))[:max_nodes])
    return GraphData(
        nodes={k: v for k, v in data.nodes.items() if k in keep},
        edges=[e for e in data.edges if e[0] in keep and e[1] in keep][:MAX_EDGES],
        cut=data.cut + max(0, len(data.nodes) - max_nodes),
    )


def layered_positions(data: GraphData) -> dict[str, tuple[float, float]]:
    """Stage columns left to right (the chain's order), nodes spread down each column."""
    columns: dict[str, list[str]] = defaultdict(list)
    for node_id, node in sorted(data.nodes.items()):
        stage = str(node["stage"]) if node["stage"] in STAGE_COLUMNS else "industry"
        columns[stage].append(node_id)
    positions = {}
    for x, stage in enumerate(in_use(columns)):
        members = columns.get(stage, [])
        for y, node_id in enumerate(members):
            positions[node_id] = (x * 260.0, (y - len(members) / 2) * 46.0)
    return positions


def in_use(columns: Mapping[str, Sequence[str]]) -> list[str]:
    """The stage columns in chain order, the departments' column only where it holds a node (else an empty column
    stood between the firms and the cluster)."""
    return [stage for stage in STAGE_COLUMNS if stage != "none" or columns.get(stage)]


def spring_positions(data: GraphData) -> dict[str, tuple[float, float]]:
    graph = nx.Graph()
    graph.add_nodes_from(sorted(data.nodes))
    graph.add_edges_from((a, b) for a, b, _ in data.edges)
    layout = nx.spring_layout(graph, seed=42, k=1.2 / max(1, len(graph)) ** 0.5, method="force")
    return {n: (float(p[0]) * 900, float(p[1]) * 900) for n, p in layout.items()}


@functools.cache
def _pyvis_templates(folder: str) -> jinja2.Environment:
    """One Jinja environment for pyvis's template: each ``Network`` makes its own, which compiles the template anew
    at every ``generate_html`` (the environment keeps what it compiled; it is safe to share between threads)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder))


def _colour(colour: str, faded: bool) -> str:
    return faint(colour) if faded else colour


def render(
    data: GraphData,
    *,
    layered: bool = False,
    height: int = 640,
    highlight: Sequence[str] = (),
    max_nodes: int = MAX_NODES,
    faded: Collection[str] = (),
) -> tuple[str, int]:
    """Self-contained HTML of the graph and how many nodes were left out; the ``faded`` nodes drawn faint."""
    data = _cap(data, max_nodes)
    positions = layered_positions(data) if layered else spring_positions(data)
    from pyvis.network import Network  # here, not at the top: it imports IPython, 0.4 s of the app's first page

    net = Network(height=f"{height - 20}px", width="100%", directed=True, cdn_resources="in_line", bgcolor="#ffffff")
    net.templateEnv = _pyvis_templates(net.template_dir)  # compiled once per process, not once per picture
    net.toggle_physics(False)
    for node_id, node in data.nodes.items():
        x, y = positions.get(node_id, (0.0, 0.0))
        stage = node["stage"] if isinstance(node["stage"], str) else None
        net.add_node(
            node_id,
            label=str(node["label"])[:18],
            title=str(node["title"]),  # vis-network shows a text title as text (pyvis' own HTML popup is off)
            color="#ffd400" if node_id in highlight else _colour(COLOURS.get(stage, COLOURS[None]), node_id in faded),
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
