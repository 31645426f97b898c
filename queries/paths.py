"""The shortest path between two entities and its next-shortest alternatives, with hubs as stops.

A hub (a city, a cluster, a chain stage, an agency … — the ``stops`` of the path queries, ``HUB_CLASSES``) may
end a path but never lies inside one: through a cluster every two members are two steps apart, which says
nothing. Neither store offers k shortest paths under that rule on both sides (Neo4j's ``SHORTEST k`` may
repeat nodes; LadybugDB has none), so the alternatives are found the same way on both: the named query
``shortest_path`` gives the length L, ``neighbourhood_edges`` reads the bounded graph around each end (every
path of at most L + SLACK steps lies in it; with one hub end, around the other end only, without the nodes one
step past the radius, which no such path passes), and Yen's algorithm (networkx) lists simple paths in order of
length on a graph built in sorted order — the same graph from either store gives the same paths. When the
store's in-memory topology is ready (graph/topology.py) the length, the ends and the bounded graph come from it
instead, the same graph edge for edge (``bounded_graph_from``), so the paths are the same.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from graph import topology
from graph.store import GraphStore
from graph.topology import Topology
from queries import anchored, topology_route
from queries.catalog import get_query

log = logging.getLogger(__name__)

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


def _describe(store: GraphStore, topo: Topology | None, node_id: str, **read_options: Any) -> tuple[str | None, str]:
    """An entity's class and name (its id when it has none)."""
    if topo is not None:
        number = topo.index(node_id)
        if number is None:
            return None, node_id
        _, classes, names, _ = topo.rows(np.array([number], np.int32))
        return classes[0], names[0] or node_id
    found = get_query("entity_details").run(store, {"id": node_id}, **read_options).rows
    if not found:
        return None, node_id
    return str(found[0]["class"]), str(found[0]["entity"].get("name_zh") or node_id)


def bounded_graph(
    store: GraphStore,
    expanded: tuple[str, ...],
    radius: int,
    ends: tuple[str, str],
    *,
    shell: bool = True,
    **read_options: Any,
) -> nx.Graph:
    """The relationships within ``radius`` non-hub steps of the ``expanded`` entities, as an undirected graph
    without hubs other than the ``ends``; nodes and edges added in sorted order, so the graph does not depend on
    the order a store returned its rows in. Without the ``shell`` the nodes one step past the radius are left
    out (but for the ends)."""
    query = get_query("neighbourhood_edges")
    rows: list[dict[str, Any]] = []
    for end in expanded:
        result = query.run(store, {"id": end, "radius": radius}, **read_options)
        if result.truncated:  # a hub-sized neighbourhood: some alternatives (or the path itself) may be missed
            log.warning("neighbourhood_edges of %s cut at %d rows: alternatives may be missing", end, len(result.rows))
        rows += result.rows
    names: dict[str, str] = {}
    classes: dict[str, str] = {}
    types: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        names[row["to_id"]] = row["to_name"] or row["to_id"]
        classes[row["to_id"]] = row["to_class"]
        pair = (row["from_id"], row["to_id"])
        types.setdefault((min(pair), max(pair)), set()).add(row["relationship"])
    graph = nx.Graph()
    walked = {row["from_id"] for row in rows}  # the expanded entities and the non-hubs within the radius
    for node in sorted(set(classes) | set(ends)):
        if node in ends or (classes.get(node) not in HUB_CLASSES and (shell or node in walked)):
            graph.add_node(node, name=names.get(node, node))
    for (a, b), rel_types in sorted(types.items()):
        if a in graph and b in graph and a != b:
            graph.add_edge(a, b, relationship=min(rel_types))
    return graph


def bounded_graph_from(
    topo: Topology, expanded: tuple[str, ...], radius: int, ends: tuple[str, str], *, shell: bool = True
) -> nx.Graph:
    """``bounded_graph`` from the in-memory topology: the same nodes, edges, names and relationship types,
    added in the same order."""
    hub = topo.hub_mask(HUB_CLASSES)
    walked: list[np.ndarray[Any, Any]] = []
    for end in expanded:
        start = topo.index(end)
        if start is not None:  # as neighbourhood_edges: the entity, then non-hubs within radius through non-hubs
            levels = topology_route.neighbourhood_levels(topo, start, radius, topo.node_count, HUB_CLASSES)
            walked += [np.array([start], np.int32), *(level[~hub[topo.class_codes[level]]] for level in levels)]
    nodes = np.unique(np.concatenate(walked)) if walked else np.empty(0, np.int32)
    sources, targets, codes = topo.typed_neighbours(nodes)
    end_numbers = [n for n in (topo.index(e) for e in ends) if n is not None]
    around = targets[~hub[topo.class_codes[targets]]] if shell else nodes
    kept = np.union1d(around, end_numbers).astype(np.int32)
    graph = nx.Graph()
    ids, _, names, _ = topo.rows(kept)
    graph.add_nodes_from((i, {"name": name or i}) for i, name in zip(ids, names, strict=True))
    both = np.isin(sources, kept) & np.isin(targets, kept) & (sources != targets)
    low, high = np.minimum(sources, targets)[both], np.maximum(sources, targets)[both]
    # each pair once, with its least relationship type (as Topology.rel_type), in (low, high) order: node numbers
    # are in id order, so the pairs come sorted as bounded_graph's
    pair = low.astype(np.int64) * topo.node_count + high
    order = np.lexsort((codes[both], pair))
    pair, least = pair[order], codes[both][order]
    first = np.ones(len(pair), dtype=np.bool_)
    first[1:] = pair[1:] != pair[:-1]
    at_low = np.searchsorted(kept, pair[first] // topo.node_count).tolist()
    at_high = np.searchsorted(kept, pair[first] % topo.node_count).tolist()
    types = [topo.rel_types[c] for c in least[first].tolist()]
    graph.add_edges_from((ids[a], ids[b], {"relationship": t}) for a, b, t in zip(at_low, at_high, types, strict=True))
    return graph


def _first_length(
    store: GraphStore, topo: Topology | None, from_id: str, to_id: str, **read_options: Any
) -> int | None:
    """The length of the shortest path (None: none within MAX_LENGTH), from the topology or the query's Cypher."""
    query = get_query("shortest_path")
    params = query.bind({"from_id": from_id, "to_id": to_id})
    if topo is not None:
        rows = topology_route.shortest_path_rows(topo, from_id, to_id, params["stops"])
    else:
        rows = anchored.read(store, params, query.cypher_for(store.backend), **read_options).rows
    return int(rows[0]["length"]) if rows else None


def shortest_paths(
    store: GraphStore, from_id: str, to_id: str, k: int = 3, *, use_topology: bool = True, **read_options: Any
) -> list[FoundPath]:
    """The shortest path and up to ``k`` next-shortest ones (simple paths, hubs only at the ends, at most
    SLACK steps longer and MAX_LENGTH long), shortest first; [] when there is no path within MAX_LENGTH.
    From the in-memory topology when it is ready (and ``use_topology``), from the store's Cypher otherwise."""
    if from_id == to_id:
        return []
    topo = topology.current(store) if use_topology else None  # one snapshot for the whole answer
    length = _first_length(store, topo, from_id, to_id, **read_options)
    if length is None:
        return []
    longest = min(MAX_LENGTH, length + SLACK)
    described = {end: _describe(store, topo, end, **read_options) for end in (from_id, to_id)}
    hubs = [end for end, (cls, _) in described.items() if cls in HUB_CLASSES]
    # a path of `longest` steps: all but its hub end are within radius of the other end, so a node one step past
    # it is on none (the hub's thousands of members drop out of the graph the alternatives are looked for in)
    shell = len(hubs) != 1
    if len(hubs) == 1:  # read around the other end only: a hub's thousands of members are not read
        longest = min(longest, MAX_RADIUS + 1)
        expanded: tuple[str, ...] = (to_id if hubs == [from_id] else from_id,)
        radius = longest - 1
    else:
        expanded = (from_id, to_id)
        radius = (longest + 1) // 2 - 1  # every step of a path of `longest` steps starts this near one end
    if topo is not None:
        graph = bounded_graph_from(topo, expanded, radius, ends=(from_id, to_id), shell=shell)
    else:
        graph = bounded_graph(store, expanded, radius, ends=(from_id, to_id), shell=shell, **read_options)
    for end, (_, name) in described.items():
        graph.nodes[end]["name"] = name
    found = []
    try:
        for ids in itertools.islice(nx.shortest_simple_paths(graph, from_id, to_id), k + 1):
            if len(ids) - 1 > longest:
                break
            found.append(_found(graph, ids))
    except nx.NetworkXNoPath:  # only in a bounded graph cut at the row cap (logged above)
        pass
    return found


def _found(graph: nx.Graph, ids: list[str]) -> FoundPath:
    return FoundPath(
        ids=tuple(ids),
        names=tuple(graph.nodes[n]["name"] for n in ids),
        relationships=tuple(graph.edges[a, b]["relationship"] for a, b in itertools.pairwise(ids)),
    )
