"""Path and neighbourhood queries on the embedded store against networkx in memory on the same graph, side by
side in one run, answers checked equal (issue #17: no slower than 2x networkx).

Usage:
  .venv/bin/python bench/paths_load.py --scale 15 [--neo4j]   # once: the graph as LadybugDB, an edge list (+ Neo4j)
  .venv/bin/python bench/paths.py --scale 15 [--runs 5] [--neo4j]

Both sides answer the same question with hubs as stops (queries/paths.HUB_CLASSES) and give the same rows: the
named queries ``entity_neighbourhood`` (hops 1-3, limit 200: ids, classes, names, distances, sorted, capped) and
``shortest_path`` (ids, names, relationships, length), and ``queries.paths.shortest_paths`` (the shortest and up
to 3 next-shortest paths); networkx runs a breadth-first search that does not expand a hub, ``shortest_path``
and ``shortest_simple_paths`` on the graph without hubs. Our side is the routed query with the store's topology
snapshot ready (graph/topology.py); the Cypher alone is timed beside it. Times are medians of --runs warm runs
(the first run of each is dropped); networkx's graph and the snapshots are built once beforehand (their build
times and sizes are recorded apart). Results: bench/results/paths.json.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import resource
import statistics
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

import networkx as nx
import pyarrow.parquet as pq
from common import neo4j_settings_env, record
from paths_load import folder

from graph import topology
from graph.embedded_store import EmbeddedStore
from graph.errors import QueryRejectedError
from graph.neo4j_store import Neo4jStore
from graph.schema import default_schema
from graph.settings import Settings
from graph.store import GraphStore, QueryResult
from queries import topology_route
from queries.catalog import get_query
from queries.paths import HUB_CLASSES, MAX_LENGTH, MAX_RADIUS, SLACK, shortest_paths

log = logging.getLogger("bench.paths")
T = TypeVar("T")
LIMIT = 200
K = 3
TIMEOUT_S = 120.0
BUILD_TIMEOUT_S = 1800.0


Info = dict[str, tuple[str, str | None, str | None]]  # id → class, name_zh, name_en


def networkx_graph(scale: float, store: GraphStore) -> tuple[nx.Graph, Info]:
    """The edge list as an undirected graph (the least relationship type per pair, as queries.paths), and each
    node's class and names (read from the embedded store, which alone holds the names)."""
    nodes = pq.read_table(folder(scale) / "nodes.parquet").to_pydict()
    edges = pq.read_table(folder(scale) / "edges.parquet").to_pydict()
    graph = nx.Graph()
    graph.add_nodes_from(nodes["id"])
    for source, target, rel_type in sorted(zip(edges["source"], edges["target"], edges["relationship"], strict=True)):
        if not graph.has_edge(source, target) or rel_type < graph.edges[source, target]["relationship"]:
            graph.add_edge(source, target, relationship=rel_type)
    info: Info = {i: (label, None, None) for i, label in zip(nodes["id"], nodes["label"], strict=True)}
    for cls in store.schema.node_classes:
        if "name_zh" in cls.property_names:
            for row in store.stream(f"MATCH (n:{cls.name}) RETURN n.id AS id, n.name_zh AS zh, n.name_en AS en"):
                if row["id"] in info:
                    info[row["id"]] = (cls.name, row["zh"], row["en"])
    return graph, info


def nx_neighbourhood(graph: nx.Graph, info: Info, start: str, hops: int) -> list[dict[str, Any]]:
    """Breadth-first, a hub reached but not expanded; the query's rows: nearest first, then by id, capped."""
    distance = {start: 0}
    frontier = [start]
    for step in range(1, hops + 1):
        nxt = []
        for node in frontier:
            if node != start and info[node][0] in HUB_CLASSES:
                continue
            for other in graph[node]:
                if other not in distance:
                    distance[other] = step
                    nxt.append(other)
        frontier = nxt
    del distance[start]
    nearest = sorted((d, n) for n, d in distance.items())[:LIMIT]
    return [
        {"id": n, "class": info[n][0], "name_zh": info[n][1], "name_en": info[n][2], "distance": d} for d, n in nearest
    ]


def without_hubs(graph: nx.Graph, info: Info, ends: tuple[str, str]) -> nx.Graph:
    return nx.subgraph_view(graph, filter_node=lambda n: n in ends or info[n][0] not in HUB_CLASSES)


def nx_shortest_path(graph: nx.Graph, info: Info, a: str, b: str) -> list[dict[str, Any]]:
    """The shortest_path query's row: one shortest path through no hub but its ends, at most MAX_LENGTH."""
    try:
        ids = nx.shortest_path(without_hubs(graph, info, (a, b)), a, b)
    except nx.NetworkXNoPath:
        return []
    if len(ids) - 1 > MAX_LENGTH:
        return []
    return [
        {
            "ids": ids,
            "names": [info[n][1] for n in ids],
            "relationships": [graph.edges[x, y]["relationship"] for x, y in itertools.pairwise(ids)],
            "length": len(ids) - 1,
        }
    ]


def nx_shortest_length(graph: nx.Graph, info: Info, a: str, b: str) -> int | None:
    rows = nx_shortest_path(graph, info, a, b)
    return int(rows[0]["length"]) if rows else None


def nx_alternatives(graph: nx.Graph, info: Info, a: str, b: str) -> list[int]:
    """Lengths of the shortest and up to K next-shortest simple paths, as queries.paths bounds them."""
    shortest = nx_shortest_length(graph, info, a, b)
    if shortest is None:
        return []
    longest = min(MAX_LENGTH, shortest + SLACK)
    if (info[a][0] in HUB_CLASSES) != (info[b][0] in HUB_CLASSES):
        longest = min(longest, MAX_RADIUS + 1)  # as queries.paths: one hub end, the other end's 2 steps read
    lengths: list[int] = []
    try:
        for ids in itertools.islice(nx.shortest_simple_paths(without_hubs(graph, info, (a, b)), a, b), K + 1):
            if len(ids) - 1 > longest:
                break
            lengths.append(len(ids) - 1)
    except nx.NetworkXNoPath:  # no further simple path
        pass
    return lengths


def entity_at(graph: nx.Graph, info: Info, start: str, steps: int) -> str | None:
    """The least id exactly ``steps`` steps from ``start`` through no hub (a pair the path queries have a path
    for: the first pairs above have none within MAX_LENGTH at scales 15 and 50, a tie-poor firm at one end)."""
    hubs = {n for n in graph if info[n][0] in HUB_CLASSES and n != start}
    lengths = nx.single_source_shortest_path_length(graph.subgraph(set(graph) - hubs), start, cutoff=steps)
    return min((n for n, d in lengths.items() if d == steps), default=None)


def same_rows(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], names: bool) -> bool:
    """The same neighbourhood rows (names compared where the store holds them: paths_load gives Neo4j ids only)."""
    keys = ("id", "class", "distance", *(("name_zh", "name_en") if names else ()))
    return [[r[k] for k in keys] for r in ours] == [[r[k] for k in keys] for r in theirs]


def timed(fn: Callable[[], T], runs: int) -> tuple[T, float]:
    """The answer and the median seconds of ``runs`` warm runs (one more first, dropped)."""
    answer = fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = fn()
        samples.append(time.perf_counter() - started)
    return answer, statistics.median(samples)


def timed_cypher(fn: Callable[[], T], runs: int) -> tuple[T | None, float | str]:
    """As ``timed``, for the Cypher alone (the fallback while a snapshot builds): (None, the store's message) when
    the store refused it (past TIMEOUT_S, or its memory), which the results record instead of ending the run."""
    try:
        return timed(fn, runs)
    except QueryRejectedError as exc:
        log.warning("the Cypher alone gave no answer: %s", exc)
        return None, str(exc)


def sample_ids(store: GraphStore) -> dict[str, str]:
    """A hub university (hosting the most labs), one of its labs, a firm, and the biggest city."""
    hub = store.read(
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University) RETURN u.id AS id, count(l) AS labs "
        "ORDER BY labs DESC, id LIMIT 1"
    ).rows[0]["id"]
    lab = store.read(
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University {id: $u}) RETURN l.id AS id ORDER BY id LIMIT 1", {"u": hub}
    ).rows[0]["id"]
    # a firm with a tie that is not a hub (most synthetic firms have only their city, cluster and industry)
    firm = store.read(
        "MATCH (e:Enterprise)-[]-(x) WHERE NOT label(x) IN $stops RETURN e.id AS id ORDER BY id LIMIT 1",
        {"stops": list(HUB_CLASSES)},
    ).rows
    other_lab = store.read(  # a lab hosted elsewhere: a path of several steps through projects or technologies
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University) WHERE u.id <> $u RETURN l.id AS id ORDER BY id LIMIT 1",
        {"u": hub},
    ).rows[0]["id"]
    return {
        "hub_university": hub,
        "hub_lab": lab,
        "other_lab": other_lab,
        "firm": firm[0]["id"] if firm else lab,
        "city": "city/440300",
    }


# the routed query, its Cypher (or why it gave no answer), answers equal, the walk alone
Measured = tuple[float, float | str, bool, float | None]


def row(kind: str, case: str, stores: Mapping[str, Measured], theirs: float, **extra: Any) -> dict[str, Any]:
    """One measurement: per store the routed query's median time (the snapshot ready), its ratio to networkx,
    the Cypher's own median time, whether the answer was networkx's, and (for the named queries) the walk on the
    snapshot alone: the query's time less the catalogue's checks of parameters and limits."""
    result: dict[str, Any] = {"query": kind, "case": case, "networkx_ms": round(theirs * 1000, 3)}
    for backend, (seconds, cypher_s, equal, walk_s) in stores.items():
        result[f"{backend}_ms"] = round(seconds * 1000, 3)
        result[f"{backend}_ratio"] = round(seconds / theirs, 2) if theirs else None
        if isinstance(cypher_s, str):  # answers_equal then compares networkx, the routed query and the walk only
            result[f"{backend}_cypher_ms"], result[f"{backend}_cypher_refused"] = None, cypher_s
        else:
            result[f"{backend}_cypher_ms"] = round(cypher_s * 1000, 1)
        result[f"{backend}_answers_equal"] = equal
        if walk_s is not None:
            result[f"{backend}_walk_ms"] = round(walk_s * 1000, 3)
            result[f"{backend}_walk_ratio"] = round(walk_s / theirs, 2) if theirs else None
    result.update(extra)
    log.info("%s", result)
    return result


def warm_snapshots(stores: dict[str, GraphStore]) -> dict[str, dict[str, Any]]:
    """Each store's topology snapshot, built before anything is timed: its build time and size."""
    built = {}
    for backend, store in stores.items():
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        topology.warm(store)
        snapshot = topology.ready(store, BUILD_TIMEOUT_S)
        if snapshot is None:
            raise SystemExit(f"no topology snapshot for {backend} (an epoch? see the log)")
        built[backend] = {
            "build_s": round(snapshot.build_s, 2),
            "approx_mb": round(snapshot.approx_bytes / 2**20, 1),
            "peak_rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024),
            "nodes": snapshot.node_count,
            "adjacency_entries": len(snapshot.indices),
        }
        log.info("%s snapshot: %s", backend, built[backend])
    return built


def snapshot_of(store: GraphStore) -> topology.Topology:
    snapshot = topology.current(store)
    if snapshot is None:
        raise SystemExit("the topology snapshot went away during the run (did the graph change?)")
    return snapshot


def cypher(store: GraphStore, name: str, params: dict[str, Any], **read_options: Any) -> QueryResult:
    """The query's Cypher as the store runs it without the snapshot (the fallback)."""
    query = get_query(name)
    return store.read(query.cypher_for(store.backend), query.bind(params), **read_options)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=15)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--neo4j", action="store_true", help="also Neo4j (loaded by paths_load.py --neo4j)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    stores: dict[str, GraphStore] = {
        "embedded": EmbeddedStore(folder(args.scale) / "graph.lbdb", default_schema(), read_only=True)
    }
    if args.neo4j:
        env = {**os.environ, **neo4j_settings_env()}
        stores["neo4j"] = Neo4jStore.from_settings(Settings.from_env(env), default_schema())
    started = time.perf_counter()
    graph, info = networkx_graph(args.scale, stores["embedded"])
    build_s = time.perf_counter() - started
    snapshots = warm_snapshots(stores)
    ids = sample_ids(stores["embedded"])
    log.info("graph: %d nodes, %d edges (networkx built in %.1f s); ids %s", len(graph), graph.size(), build_s, ids)
    neighbourhood = get_query("entity_neighbourhood")
    results = []
    for case in ("hub_lab", "firm", "hub_university"):
        for hops in (1, 2, 3):
            params = {"id": ids[case], "hops": hops, "limit": LIMIT}
            theirs, theirs_s = timed(partial(nx_neighbourhood, graph, info, ids[case], hops), args.runs)
            measured = {}
            for backend, store in stores.items():
                options = {"timeout_s": TIMEOUT_S, "row_cap": LIMIT}
                ours, ours_s = timed(partial(neighbourhood.run, store, params, **options), args.runs)
                slow, slow_s = timed_cypher(
                    partial(cypher, store, "entity_neighbourhood", params, **options), args.runs
                )
                stops = neighbourhood.bind(params)["stops"]
                walk = partial(topology_route.neighbourhood_rows, snapshot_of(store), ids[case], hops, LIMIT, stops)
                walked, walk_s = timed(walk, args.runs)
                equal = same_rows(ours.rows, theirs, backend == "embedded") and ours.rows == walked
                equal = equal and (slow is None or slow.rows == ours.rows)
                measured[backend] = (ours_s, slow_s, equal, walk_s)
            results.append(row("entity_neighbourhood", f"{case}, {hops} hop(s)", measured, theirs_s))
    pairs = {
        "hub lab → firm": (ids["hub_lab"], ids["firm"]),
        "hub lab → 深圳市 (a hub end)": (ids["hub_lab"], ids["city"]),
        "firm → hub university": (ids["firm"], ids["hub_university"]),
        "hub lab → a lab of another university": (ids["hub_lab"], ids["other_lab"]),
        **{
            f"hub lab → an entity {steps} steps away": (ids["hub_lab"], far)
            for steps in (2, 3, 4)
            if (far := entity_at(graph, info, ids["hub_lab"], steps)) is not None
        },
    }
    shortest = get_query("shortest_path")
    for case, (a, b) in pairs.items():
        path, path_s = timed(partial(nx_shortest_path, graph, info, a, b), args.runs)
        length = path[0]["length"] if path else None
        lengths, lengths_s = timed(partial(nx_alternatives, graph, info, a, b), args.runs)
        one, several, same = {}, {}, {}
        for backend, store in stores.items():
            params = {"from_id": a, "to_id": b}
            ours, ours_s = timed(partial(shortest.run, store, params, timeout_s=TIMEOUT_S), args.runs)
            slow, slow_s = timed_cypher(partial(cypher, store, "shortest_path", params, timeout_s=TIMEOUT_S), args.runs)
            stops = shortest.bind(params)["stops"]
            walked, walk_s = timed(
                partial(topology_route.shortest_path_rows, snapshot_of(store), a, b, stops), args.runs
            )
            lengths_equal = (
                [r["length"] for r in ours.rows] == ([length] * bool(path))
                and (slow is None or [r["length"] for r in slow.rows] == [r["length"] for r in ours.rows])
            ) and walked == ours.rows
            one[backend] = (ours_s, slow_s, lengths_equal, walk_s)
            ours_k, ours_k_s = timed(partial(shortest_paths, store, a, b, K, timeout_s=TIMEOUT_S), args.runs)
            slow_k, slow_k_s = timed_cypher(
                partial(shortest_paths, store, a, b, K, use_topology=False, timeout_s=TIMEOUT_S), args.runs
            )
            several[backend] = (ours_k_s, slow_k_s, [p.length for p in ours_k] == lengths, None)
            # the Cypher way reads the bounded graph within the row cap: around a hub it may be cut (logged)
            same[f"{backend}_same_as_cypher"] = ours_k == slow_k if slow_k is not None else None
        results.append(row("shortest_path", case, one, path_s, length=length))
        results.append(row("shortest_paths k=3", case, several, lengths_s, lengths=lengths, **same))
    summary = {}
    for backend in stores:
        ratios = [r[f"{backend}_ratio"] for r in results if r[f"{backend}_ratio"] is not None]
        walks = [r[f"{backend}_walk_ratio"] for r in results if r.get(f"{backend}_walk_ratio") is not None]
        summary[backend] = {
            "all_answers_equal": all(r[f"{backend}_answers_equal"] for r in results),
            "max_ratio": max(ratios, default=None),
            "median_ratio": statistics.median(ratios) if ratios else None,
            "within_2x": sum(1 for r in ratios if r <= 2.0),
            # of the named queries' cases (not the k-alternatives, which have no catalogue checks to leave out)
            "walk_within_2x": sum(1 for r in walks if r <= 2.0),
            "walks_measured": len(walks),
            "max_ms": max(r[f"{backend}_ms"] for r in results),
            "measured": len(results),
        }
    out = record(
        "paths",
        {
            "data": f"synthetic scale {args.scale:g} (bench/paths_load.py: pipeline rows, LadybugDB COPY)",
            "method": "routed queries with the topology snapshot ready (graph/topology.py) against networkx giving "
            "the same rows; *_cypher_ms: the query's Cypher alone (the fallback while a snapshot builds); *_walk_ms: "
            "the snapshot's walk alone (queries/topology_route.py), without the catalogue's checks",
            "stores": list(stores),
            "sizes": {"nodes": len(graph), "edges_undirected": graph.size()},
            "networkx_build_s": round(build_s, 1),
            "snapshots": snapshots,
            "runs": args.runs,
            "hubs": list(HUB_CLASSES),
            "ids": ids,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "summary": summary,
            "results": results,
        },
    )
    log.info("summary: %s; written to %s", summary, out)
    for store in stores.values():
        store.close()


if __name__ == "__main__":
    main()
