"""``entity_neighbourhood`` and ``shortest_path`` answered from the in-memory topology (graph/topology.py) when
its snapshot is ready, with the same rows as their Cypher; the Cypher body answers otherwise.

The query files stay the definitions. A neighbourhood is a breadth-first walk that reaches a hub (a class in
``stops``) but does not go on from it; the entity itself is not in the answer; rows come nearest first, then by
id, up to ``limit``. A shortest path has at most ``MAX_LENGTH`` steps and no hub but at its ends; of several, one
picked by node numbers (the least meeting node, then the least on each level back) is given, the same every time —
the query file asks only its length to agree across stores.
Parameters the walks do not cover the way both query bodies do (hops outside 1-3, the same entity at both ends,
a negative limit) go to the Cypher.

A small walk (up to ``SMALL_WALK`` adjacency entries) runs in plain Python, a node at a time; a larger one a level
at a time, with Python sets while a step is small and numpy once it is large. Each way gives the same levels.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from graph import topology
from graph.store import GraphStore, QueryResult
from graph.topology import Ints, Topology
from queries import anchored

MAX_LENGTH = 6  # as the shortest_path query
MAX_HOPS = 3  # as the entity_neighbourhood query
# A walk step through at most this many adjacency entries (or nodes) uses Python sets: at scale 15 a step through
# 13 / 570 / 2,400 / 4,800 entries took 45 / 114 / 312 / 542 µs with sets, 146 / 212 / 340 / 447 µs with numpy.
FEW_ENTRIES = 1024
# A walk through at most this many adjacency entries in all runs in plain Python, a node at a time (_small_levels,
# _small_shortest); a larger one starts again level by level. A firm's 1-3 hops at scale 15: 11-13 µs, 50-100 µs
# before. Bounds of 256 / 1,024 / 4,096 entries: a hub university's 1 hop 302 / 306 / 238 µs, but a lab's shortest
# path to 深圳市, which outgrows the bound and starts again, 691 / 688 / 1,222 µs (tests/test_topology.py: the same
# levels and paths either way).
SMALL_WALK = 1024
NEIGHBOURHOOD_COLUMNS = ["id", "class", "name_zh", "name_en", "distance"]
PATH_COLUMNS = ["ids", "names", "relationships", "length"]


class _Seen:
    """The nodes a walk has seen: a Python set while its steps are small, a sorted numpy array once one is large.
    A numpy set operation costs some microseconds however small its input; a set's cost grows with it."""

    def __init__(self, start: int) -> None:
        self.few: set[int] | None = {start}
        self.many = np.array([start], dtype=np.int32)

    def _grow(self) -> None:
        if self.few is not None:
            self.many, self.few = np.array(sorted(self.few), dtype=np.int32), None

    def unseen_neighbours(self, topo: Topology, frontier: Ints) -> Ints:
        """The neighbours of ``frontier`` not seen yet: sorted, unique (not recorded as seen: ``add`` does)."""
        if self.few is not None and topo.degree_total(frontier) <= FEW_ENTRIES:
            return np.array(sorted(topo.neighbour_set(frontier) - self.few), dtype=np.int32)
        self._grow()
        _, reached = topo.neighbours(frontier)
        return np.setdiff1d(reached, self.many)

    def add(self, nodes: Ints) -> None:
        if self.few is not None and len(nodes) <= FEW_ENTRIES:
            self.few.update(nodes.tolist())
        else:
            self._grow()
            self.many = np.union1d(self.many, nodes)

    def holds(self, nodes: Ints) -> npt.NDArray[np.bool_]:
        if self.few is not None and len(nodes) <= FEW_ENTRIES:
            return np.array([n in self.few for n in nodes.tolist()], dtype=np.bool_)
        self._grow()
        return np.isin(nodes, self.many)


def neighbourhood_levels(topo: Topology, start: int, hops: int, limit: int, stops: Iterable[str]) -> list[Ints]:
    """The nodes at distance 1, 2 … ``hops`` (each level in node order = id order), stopping once ``limit``
    nodes are found (a farther level cannot enter the answer)."""
    small = _small_levels(topo, start, hops, limit, stops)
    if small is not None:
        return [np.array(level, dtype=np.int32) for level in small]
    return _vector_levels(topo, start, hops, limit, stops)


def _small_levels(topo: Topology, start: int, hops: int, limit: int, stops: Iterable[str]) -> list[list[int]] | None:
    """``neighbourhood_levels`` in plain Python, one node at a time (a firm's walk: a few dozen reads, where each
    numpy call costs microseconds); None once the walk would read more than SMALL_WALK adjacency entries."""
    one, hub = topo.one, _hub_codes(topo, stops)
    budget = SMALL_WALK
    levels: list[list[int]] = []
    seen = {start}
    frontier = [start]
    found = 0
    for step in range(1, hops + 1):
        walked = frontier if step == 1 else [n for n in frontier if one.codes[n] not in hub]  # the entity walks
        if not walked or found >= limit:
            break
        budget -= sum(one.degree(n) for n in walked)
        if budget < 0:
            return None
        new = sorted({m for n in walked for m in one.adjacent(n)} - seen)
        if not new:
            break
        seen.update(new)
        levels.append(new)
        found += len(new)
        frontier = new
    return levels


def _hub_codes(topo: Topology, stops: Iterable[str]) -> frozenset[int]:
    return _codes_of(topo.classes, tuple(stops))


@functools.lru_cache(maxsize=64)
def _codes_of(classes: tuple[str, ...], stops: tuple[str, ...]) -> frozenset[int]:
    """The codes of the classes among ``stops`` (a few distinct stop lists per process)."""
    return frozenset(code for code, name in enumerate(classes) if name in stops)


def _vector_levels(topo: Topology, start: int, hops: int, limit: int, stops: Iterable[str]) -> list[Ints]:
    """``neighbourhood_levels`` a level at a time (sets while steps are small, numpy once they are large)."""
    hub = topo.hub_mask(stops)
    levels: list[Ints] = []
    seen = _Seen(start)
    frontier = np.array([start], dtype=np.int32)
    found = 0
    for step in range(1, hops + 1):
        walked = frontier if step == 1 else frontier[~hub[topo.class_codes[frontier]]]  # the entity itself walks
        if not len(walked) or found >= limit:
            break
        new = seen.unseen_neighbours(topo, walked)
        if not len(new):
            break
        seen.add(new)
        levels.append(new)
        found += len(new)
        frontier = new
    return levels


def neighbourhood_rows(topo: Topology, node_id: str, hops: int, limit: int, stops: list[str]) -> list[dict[str, Any]]:
    start = topo.index(node_id)
    if start is None or limit <= 0:
        return []
    nodes: list[int] | Ints
    small = _small_levels(topo, start, hops, limit, stops)
    if small is not None:
        nodes = [n for level in small for n in level][:limit]
        distances = [d for d, level in enumerate(small, 1) for _ in level][:limit]
    else:
        levels = _vector_levels(topo, start, hops, limit, stops)
        nodes = np.concatenate(levels)[:limit] if levels else np.empty(0, np.int32)
        distances = np.repeat(np.arange(1, len(levels) + 1), [len(level) for level in levels])[:limit].tolist()
    if not len(nodes):
        return []
    ids, classes, zh, en = topo.rows(nodes)
    return [
        {"id": i, "class": c, "name_zh": z, "name_en": e, "distance": d}
        for i, c, z, e, d in zip(ids, classes, zh, en, distances, strict=True)
    ]


def shortest_nodes(topo: Topology, a: int, b: int, stops: list[str], max_length: int = MAX_LENGTH) -> list[int] | None:
    """One shortest path from ``a`` to ``b`` (a ≠ b) through no hub but its ends, as node numbers; None if none
    has at most ``max_length`` steps. Breadth-first from both ends, a level at a time from the side whose frontier
    has fewer adjacency entries (a hub end has thousands, the entity at the other end a few); hubs other than the
    ends are dropped as they are reached (no path goes on from them)."""
    finished, path = _small_shortest(topo, a, b, stops, max_length)
    if finished:
        return path
    hub = topo.hub_mask(stops)
    levels: tuple[list[Ints], list[Ints]] = ([np.array([a], np.int32)], [np.array([b], np.int32)])
    seen = (_Seen(a), _Seen(b))  # non-hubs only, besides the ends: a path may meet only there
    while len(levels[0]) - 1 + len(levels[1]) - 1 < max_length:
        side = 0 if topo.degree_total(levels[0][-1]) <= topo.degree_total(levels[1][-1]) else 1
        reached = seen[side].unseen_neighbours(topo, levels[side][-1])
        met = reached[seen[1 - side].holds(reached)]
        if len(met):  # every meeting node is as far from the other end (breadth-first from both)
            middle = int(met[0])
            half = _walk_back(topo, middle, levels[side])
            other = _walk_back(topo, middle, levels[1 - side])
            return half[::-1] + other[1:] if side == 0 else other[::-1] + half[1:]
        reached = reached[~hub[topo.class_codes[reached]]]  # the ends were met above: these are middles
        if not len(reached):
            return None
        levels[side].append(reached)
        seen[side].add(reached)
    return None


def _small_shortest(topo: Topology, a: int, b: int, stops: list[str], max_length: int) -> tuple[bool, list[int] | None]:
    """``shortest_nodes`` in plain Python, the same steps and the same path: (True, path or None), or (False, None)
    once the walk would read more than SMALL_WALK adjacency entries."""
    one, hub = topo.one, _hub_codes(topo, stops)
    budget = SMALL_WALK
    levels: tuple[list[list[int]], list[list[int]]] = ([[a]], [[b]])
    seen = ({a}, {b})
    while len(levels[0]) - 1 + len(levels[1]) - 1 < max_length:
        entries = [sum(one.degree(n) for n in levels[end][-1]) for end in (0, 1)]
        side = 0 if entries[0] <= entries[1] else 1
        budget -= entries[side]
        if budget < 0:
            return False, None
        reached = sorted({m for n in levels[side][-1] for m in one.adjacent(n)} - seen[side])
        met = [m for m in reached if m in seen[1 - side]]
        if met:
            half = _small_walk_back(topo, met[0], levels[side])
            other = _small_walk_back(topo, met[0], levels[1 - side])
            return True, half[::-1] + other[1:] if side == 0 else other[::-1] + half[1:]
        reached = [m for m in reached if one.codes[m] not in hub]
        if not reached:
            return True, None
        levels[side].append(reached)
        seen[side].update(reached)
    return True, None


def _small_walk_back(topo: Topology, node: int, levels: list[list[int]]) -> list[int]:
    """``_walk_back`` through small levels: the least member of each level next to the node before (read from the
    members' ties, which the walk has read already: the node itself may be a hub end with thousands)."""
    path = [node]
    depth = next((d for d, level in enumerate(levels) if node in level), len(levels))
    for level in reversed(levels[:depth]):
        last = path[-1]
        path.append(level[0] if len(level) == 1 else next(m for m in level if last in topo.one.adjacent(m)))
    return path


def _walk_back(topo: Topology, node: int, levels: list[Ints]) -> list[int]:
    """From a node one step past ``levels`` (or on its last level) back to its first node, through the least
    node of each level next to the one before: [node, …, start]."""
    path = [node]
    depth = next((d for d, level in enumerate(levels) if node in level), len(levels))
    for level in reversed(levels[:depth]):
        _, around = topo.neighbours(np.array([path[-1]], np.int32))
        path.append(int(around[np.isin(around, level)].min()))
    return path


def shortest_path_rows(topo: Topology, from_id: str, to_id: str, stops: list[str]) -> list[dict[str, Any]]:
    a, b = topo.index(from_id), topo.index(to_id)
    if a is None or b is None:
        return []
    nodes = shortest_nodes(topo, a, b, stops)
    if nodes is None:
        return []
    ids, _, names, _ = topo.rows(nodes)
    relationships = [topo.rel_type(x, y) for x, y in itertools.pairwise(nodes)]
    return [{"ids": ids, "names": names, "relationships": relationships, "length": len(nodes) - 1}]


def entity_neighbourhood(store: GraphStore, params: Mapping[str, Any], body: str, **read_options: Any) -> QueryResult:
    """The rows of ``entity_neighbourhood`` (``body``: its Cypher for this store, the fallback)."""
    hops, limit = int(params["hops"]), int(params["limit"])
    topo = topology.current(store) if 1 <= hops <= MAX_HOPS and limit >= 0 else None
    if topo is None:
        return anchored.read(store, params, body, **read_options)
    rows = neighbourhood_rows(topo, str(params["id"]), hops, limit, list(params["stops"] or []))
    return capped(store, NEIGHBOURHOOD_COLUMNS, rows, read_options)


def shortest_path(store: GraphStore, params: Mapping[str, Any], body: str, **read_options: Any) -> QueryResult:
    """The row of ``shortest_path`` (``body``: its Cypher for this store, the fallback)."""
    from_id, to_id = str(params["from_id"]), str(params["to_id"])
    topo = topology.current(store) if from_id != to_id else None
    if topo is None:
        return anchored.read(store, params, body, **read_options)
    rows = shortest_path_rows(topo, from_id, to_id, list(params["stops"] or []))
    return capped(store, PATH_COLUMNS, rows, read_options)


def capped(
    store: GraphStore, columns: list[str], rows: list[dict[str, Any]], options: Mapping[str, Any]
) -> QueryResult:
    """Rows within the store's row cap, as ``store.read`` would cut them (and its limits checked the same way)."""
    _, cap = store.read_limits.within(options.get("timeout_s"), options.get("row_cap"))
    if len(rows) > cap:
        return QueryResult(columns=columns, rows=rows[:cap], truncated=True)
    return QueryResult(columns=columns, rows=rows)
