"""The shortest path between two entities and its next-shortest alternatives, with hubs as stops.

A hub (a city, a cluster, a chain stage, an agency … — the ``stops`` of the path queries, ``HUB_CLASSES``) may
end a path but never lies inside one: through a cluster every two members are two steps apart, which says
nothing. Neither store offers k shortest paths under that rule on both sides (Neo4j's ``SHORTEST k`` may
repeat nodes; LadybugDB has none), so the alternatives are found the same way on both: the named query
``shortest_path`` gives the length L, ``neighbourhood_edges`` reads the bounded graph around each end (every
path of at most L + SLACK steps lies in it), and Yen's algorithm (networkx) lists simple paths in order of
length on a graph built in sorted order — the same graph from either store gives the same paths.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import networkx as nx

from graph.store import GraphStore
from queries.catalog import get_query

HUB_CLASSES: tuple[str, ...] = (
    "City",
    "District",
    "Park",
    "IndustryCluster",
    "IndustryCategory",
    "ChainStage",
    "GovernmentAgency",
    "PolicyDocument",
    "PolicyMeasure",
    "PolicyTarget",
    "SourceList",
    "Edition",
    "IngestRun",
)
MAX_LENGTH = 6  # as the shortest_path query
SLACK = 2  # alternatives at most this many steps longer than the shortest
MAX_RADIUS = 2  # as the neighbourhood_edges query


@dataclass(frozen=True)
class FoundPath:
    ids: tuple[str, ...]
    names: tuple[str, ...]
    relationships: tuple[str, ...]

    @property
    def length(self) -> int:
        return len(self.ids) - 1


def _describe(store: GraphStore, node_id: str, **read_options: Any) -> tuple[str | None, str]:
    """An entity's class and name (its id when it has none)."""
    found = get_query("entity_details").run(store, {"id": node_id}, **read_options).rows
    if not found:
        return None, node_id
    return str(found[0]["class"]), str(found[0]["entity"].get("name_zh") or node_id)


def bounded_graph(
    store: GraphStore, expanded: tuple[str, ...], radius: int, ends: tuple[str, str], **read_options: Any
) -> nx.Graph:
    """The relationships within ``radius`` non-hub steps of the ``expanded`` entities, as an undirected graph
    without hubs other than the ``ends``; nodes and edges added in sorted order, so the graph does not depend on
    the order a store returned its rows in."""
    query = get_query("neighbourhood_edges")
    rows: list[dict[str, Any]] = []
    for end in expanded:
        rows += query.run(store, {"id": end, "radius": radius}, **read_options).rows
    names: dict[str, str] = {}
    classes: dict[str, str] = {}
    types: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        names[row["to_id"]] = row["to_name"] or row["to_id"]
        classes[row["to_id"]] = row["to_class"]
        pair = (row["from_id"], row["to_id"])
        types.setdefault((min(pair), max(pair)), set()).add(row["relationship"])
    graph = nx.Graph()
    for node in sorted(set(classes) | set(ends)):
        if node in ends or classes.get(node) not in HUB_CLASSES:
            graph.add_node(node, name=names.get(node, node))
    for (a, b), rel_types in sorted(types.items()):
        if a in graph and b in graph and a != b:
            graph.add_edge(a, b, relationship=min(rel_types))
    return graph


def shortest_paths(store: GraphStore, from_id: str, to_id: str, k: int = 3, **read_options: Any) -> list[FoundPath]:
    """The shortest path and up to ``k`` next-shortest ones (simple paths, hubs only at the ends, at most
    SLACK steps longer and MAX_LENGTH long), shortest first; [] when there is no path within MAX_LENGTH."""
    if from_id == to_id:
        return []
    first = get_query("shortest_path").run(store, {"from_id": from_id, "to_id": to_id}, **read_options).rows
    if not first:
        return []
    longest = min(MAX_LENGTH, int(first[0]["length"]) + SLACK)
    described = {end: _describe(store, end, **read_options) for end in (from_id, to_id)}
    hubs = [end for end, (cls, _) in described.items() if cls in HUB_CLASSES]
    if len(hubs) == 1:  # read around the other end only: a hub's thousands of members are not read
        longest = min(longest, MAX_RADIUS + 1)
        expanded: tuple[str, ...] = (to_id if hubs == [from_id] else from_id,)
        radius = longest - 1  # a path of `longest` steps: all but its hub end are this near the other end
    else:
        expanded = (from_id, to_id)
        radius = (longest + 1) // 2 - 1  # every step of a path of `longest` steps starts this near one end
    graph = bounded_graph(store, expanded, radius, ends=(from_id, to_id), **read_options)
    for end, (_, name) in described.items():
        graph.nodes[end]["name"] = name
    found = []
    for ids in itertools.islice(nx.shortest_simple_paths(graph, from_id, to_id), k + 1):
        if len(ids) - 1 > longest:
            break
        found.append(
            FoundPath(
                ids=tuple(ids),
                names=tuple(graph.nodes[n]["name"] for n in ids),
                relationships=tuple(graph.edges[a, b]["relationship"] for a, b in itertools.pairwise(ids)),
            )
        )
    return found
