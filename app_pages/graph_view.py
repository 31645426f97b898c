"""A picture's graph: its nodes and ties (``GraphData``), their colours and stage columns. A graph built from query
rows (``graph_from_rows``) stops taking nodes at its own cap, so a result of any size costs no more than the nodes it
draws. Where its nodes go: app_pages/graph_layout.py; how it is drawn: chart_graph.py (the page's ECharts picture and
its SVG) and graph_html.py (the interactive HTML download).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


def in_use(columns: Mapping[str, Sequence[str]]) -> list[str]:
    """The stage columns in chain order, the departments' column only where it holds a node (else an empty column
    stood between the firms and the cluster)."""
    return [stage for stage in STAGE_COLUMNS if stage != "none" or columns.get(stage)]
