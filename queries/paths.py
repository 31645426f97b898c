"""The shortest path between two entities and its next-shortest alternatives, with hubs as stops.

A hub (a city, a cluster, a chain stage, an agency … — the ``stops`` of the path queries, ``HUB_CLASSES``) may
end a path but never lies inside one: through a cluster every two members are two steps apart, which says
nothing. Neither store offers k shortest paths under that rule on both sides (Neo4j's ``SHORTEST k`` may
repeat nodes; LadybugDB has none), so the alternatives are found the same way on both: the named query
``shortest_path`` gives the length L, ``neighbourhood_edges`` reads the bounded graph around each end (every
path of at most L + SLACK steps lies in it: of the nodes a step past both ends' radius only those next to a node
of each end's walk, two different ones; with one hub end, around the other end only, without the nodes a step
past the radius and of those at the radius only the ones next to the hub — no such path passes the others), and
Yen's algorithm (networkx) lists simple paths in order of length on a graph built in sorted order — the same
graph from either store gives the same paths. When the
store's in-memory topology is ready (graph/topology.py) the length, the ends and the bounded graph come from it
instead, the same graph edge for edge (``bounded_graph_from``), so the paths are the same.
"""

from __future__ import annotations

import functools
import itertools
import logging
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from graph import topology
from graph.store import GraphStore
from graph.topology import Ints, Topology
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
    hub_end: str | None = None,
    **read_options: Any,
) -> nx.Graph:
    """The relationships within ``radius`` non-hub steps of the ``expanded`` entities, as an undirected graph
    without hubs other than the ``ends``; nodes and edges added in sorted order, so the graph does not depend on
    the order a store returned its rows in. With the ``shell``, of the nodes one step past the radius those next
    to two walked nodes, one of each expanded entity's walk; without it none (but for the ends). With a
    ``hub_end`` (one entity expanded), of the nodes ``radius`` steps away only those next to it (see
    ``shortest_paths``)."""
    _check_pruning(expanded, radius, shell, hub_end)
    query = get_query("neighbourhood_edges")
    rows: list[dict[str, Any]] = []
    reached: list[set[str]] = []  # the nodes next to each end's walk
    for end in expanded:
        result = query.run(store, {"id": end, "radius": radius}, **read_options)
        if result.truncated:  # a hub-sized neighbourhood: some alternatives (or the path itself) may be missed
            log.warning(
                "%s 的 neighbourhood_edges 在第 %d 行截断：备选路径可能不全 / "
                "neighbourhood_edges of %s cut at %d rows: alternatives may be missing",
                *(end, len(result.rows), end, len(result.rows)),
            )
        rows += result.rows
        reached.append({row["to_id"] for row in result.rows})
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
    if hub_end is not None:
        walked -= _far_from(expanded[0], hub_end, rows, walked, radius)
    middles: set[str] = set()
    if shell and reached:
        beside: dict[str, set[str]] = {}  # a node next to every walk → the walked nodes it is next to
        for row in rows:
            beside.setdefault(row["to_id"], set()).add(row["from_id"])
        middles = {node for node in set.intersection(*reached) if len(beside[node]) >= 2}
    for node in sorted(set(classes) | set(ends)):
        if node in ends or (classes.get(node) not in HUB_CLASSES and (node in walked or node in middles)):
            graph.add_node(node, name=names.get(node, node))
    for (a, b), rel_types in sorted(types.items()):
        if a in graph and b in graph and a != b:
            graph.add_edge(a, b, relationship=min(rel_types))
    return graph


def _check_pruning(expanded: tuple[str, ...], radius: int, shell: bool, hub_end: str | None) -> None:
    """The pruning rules hold for the cases ``shortest_paths`` asks for; both builders refuse the others alike."""
    if hub_end is not None and (shell or len(expanded) != 1 or radius < 1):
        raise ValueError("a hub end prunes the walk of the one other end (radius 1 or more), without a shell")


def _far_from(start: str, hub_end: str, rows: list[dict[str, Any]], walked: set[str], radius: int) -> set[str]:
    """The walked nodes ``radius`` steps from ``start`` (through walked nodes) that are not next to ``hub_end``."""
    around: dict[str, set[str]] = {}
    for row in rows:
        around.setdefault(row["from_id"], set()).add(row["to_id"])
    distance = {start: 0}
    frontier = [start]
    for step in range(1, radius + 1):
        frontier = [m for n in frontier for m in around.get(n, ()) if m in walked and m not in distance]
        distance.update((m, step) for m in frontier)
    return {n for n, d in distance.items() if d == radius and hub_end not in around.get(n, ())}


def bounded_graph_from(
    topo: Topology,
    expanded: tuple[str, ...],
    radius: int,
    ends: tuple[str, str],
    *,
    shell: bool = True,
    hub_end: str | None = None,
) -> nx.Graph:
    """``bounded_graph`` from the in-memory topology: the same nodes, edges and relationship types, added in
    the same order, and the same names but an end's that no walk reached (its name here, its id there:
    ``shortest_paths`` names the ends itself)."""
    _check_pruning(expanded, radius, shell, hub_end)
    hub = topo.hub_mask(HUB_CLASSES)
    far = topo.index(hub_end) if hub_end is not None else None
    walks: list[Ints] = []
    for end in expanded:
        start = topo.index(end)
        if start is not None:  # as neighbourhood_edges: the entity, then non-hubs within radius through non-hubs
            levels = topology_route.neighbourhood_levels(topo, start, radius, topo.node_count, HUB_CLASSES)
            levels = [level[~hub[topo.class_codes[level]]] for level in levels]
            if far is not None and len(levels) == radius:  # the farthest: only those next to the hub end
                levels[-1] = levels[-1][topo.adjacent_to(levels[-1], far)]
            walks.append(np.concatenate([np.array([start], np.int32), *levels]))
    nodes = np.unique(np.concatenate(walks)) if walks else np.empty(0, np.int32)
    sources, targets, codes = topo.typed_neighbours(nodes)
    end_numbers = [n for n in (topo.index(e) for e in ends) if n is not None]
    around = nodes
    if shell and len(walks) == len(expanded):  # as bounded_graph: an end the store lacks reaches nothing
        beside_all = functools.reduce(np.intersect1d, [topo.neighbours(walk)[1] for walk in walks])
        beside_all = np.setdiff1d(beside_all[~hub[topo.class_codes[beside_all]]], nodes)
        # of those, the ones next to two walked nodes or more (each pair of a node and a walked one counted once)
        near = np.isin(targets, beside_all)
        pairs = np.unique(targets[near].astype(np.int64) * topo.node_count + sources[near])
        middles, walked_beside = np.unique(pairs // topo.node_count, return_counts=True)
        around = np.union1d(nodes, middles[walked_beside >= 2])
    kept = np.union1d(around, end_numbers).astype(np.int32)
    graph = nx.Graph()
    ids, _, names, _ = topo.rows(kept)
    graph.add_nodes_from((i, {"name": name or i}) for i, name in zip(ids, names, strict=True))
    both = np.isin(sources, kept) & np.isin(targets, kept) & (sources != targets)
    low, high = np.minimum(sources, targets)[both], np.maximum(sources, targets)[both]
    # each pair once, with its least relationship type (as Topology.rel_type), in (low, high) order: node numbers
    # are in id order, so the pairs come sorted as bounded_graph's
    pair = low.astype(np.int64) * topo.node_count + high
    pair_codes = codes[both]
    order = np.lexsort((pair_codes, pair))
    pair, least = pair[order], pair_codes[order]
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
    SLACK steps longer and MAX_LENGTH long), shortest first; [] when there is no path within MAX_LENGTH, and
    with a hub at one end when there is none within MAX_RADIUS + 1 steps (only the other end's surroundings are
    read: a hub's thousands of members are not).
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
    # it is on none (the hub's thousands of members drop out of the graph the alternatives are looked for in),
    # and a node `radius` steps from the other end is on one only next to the hub end (its last step).
    # Between two expanded ends, a node past both radii lies on such a path only as its middle node, next to a
    # node of each walk, two different ones (a path of L <= 2r + 2 steps, r the radius: its node i steps from one
    # end and L - i from the other is in neither walk only when i = L - i = r + 1; nodes r and r + 2 are walked)
    shell = len(hubs) != 1
    if len(hubs) == 1:  # read around the other end only: a hub's thousands of members are not read
        longest = min(longest, MAX_RADIUS + 1)
        expanded: tuple[str, ...] = (to_id if hubs == [from_id] else from_id,)
        radius = longest - 1
    else:
        expanded = (from_id, to_id)
        radius = (longest + 1) // 2 - 1  # every step of a path of `longest` steps starts this near one end
    hub_end = hubs[0] if len(hubs) == 1 else None
    if topo is not None:
        graph = bounded_graph_from(topo, expanded, radius, ends=(from_id, to_id), shell=shell, hub_end=hub_end)
    else:
        graph = bounded_graph(
            store, expanded, radius, ends=(from_id, to_id), shell=shell, hub_end=hub_end, **read_options
        )
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
