"""Path and neighbourhood queries on the embedded store against networkx in memory on the same graph, side by
side in one run, answers checked equal (issue #17: no slower than 2x networkx).

Usage:
  .venv/bin/python bench/paths_load.py --scale 15 [--neo4j]   # once: the graph as LadybugDB, an edge list (+ Neo4j)
  .venv/bin/python bench/paths.py --scale 15 [--runs 5] [--neo4j]

Both sides answer the same question with hubs as stops (queries/paths.HUB_CLASSES): the named queries
``entity_neighbourhood`` (hops 1-3, limit 200) and ``shortest_path``, and ``queries.paths.shortest_paths``
(the shortest and up to 3 next-shortest paths); networkx runs a breadth-first search that does not expand a hub,
``shortest_path_length`` and ``shortest_simple_paths`` on the graph without hubs. Times are medians of --runs
warm runs (the first run of each is dropped); networkx's graph is built once beforehand (its build time is
recorded apart). Results: bench/results/paths.json.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import resource
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import networkx as nx
import pyarrow.parquet as pq
from common import neo4j_settings_env, record
from paths_load import folder

from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.schema import default_schema
from graph.settings import Settings
from graph.store import GraphStore
from queries.catalog import get_query
from queries.paths import HUB_CLASSES, MAX_LENGTH, MAX_RADIUS, SLACK, shortest_paths

log = logging.getLogger("bench.paths")
LIMIT = 200
K = 3
TIMEOUT_S = 120.0


def networkx_graph(scale: float) -> tuple[nx.Graph, dict[str, str]]:
    nodes = pq.read_table(folder(scale) / "nodes.parquet").to_pydict()
    edges = pq.read_table(folder(scale) / "edges.parquet").to_pydict()
    graph = nx.Graph()
    graph.add_nodes_from(nodes["id"])
    graph.add_edges_from(zip(edges["source"], edges["target"], strict=True))
    return graph, dict(zip(nodes["id"], nodes["label"], strict=True))


def nx_neighbourhood(graph: nx.Graph, label: dict[str, str], start: str, hops: int) -> list[tuple[int, str]]:
    """Breadth-first, a hub reached but not expanded; (distance, id) nearest first, then by id, capped."""
    distance = {start: 0}
    frontier = [start]
    for step in range(1, hops + 1):
        nxt = []
        for node in frontier:
            if node != start and label[node] in HUB_CLASSES:
                continue
            for other in graph[node]:
                if other not in distance:
                    distance[other] = step
                    nxt.append(other)
        frontier = nxt
    del distance[start]
    return sorted((d, n) for n, d in distance.items())[:LIMIT]


def without_hubs(graph: nx.Graph, label: dict[str, str], ends: tuple[str, str]) -> nx.Graph:
    return nx.subgraph_view(graph, filter_node=lambda n: n in ends or label[n] not in HUB_CLASSES)


def nx_shortest_length(graph: nx.Graph, label: dict[str, str], a: str, b: str) -> int | None:
    try:
        length = int(nx.shortest_path_length(without_hubs(graph, label, (a, b)), a, b))
    except nx.NetworkXNoPath:
        return None
    return length if length <= MAX_LENGTH else None


def nx_alternatives(graph: nx.Graph, label: dict[str, str], a: str, b: str) -> list[int]:
    """Lengths of the shortest and up to K next-shortest simple paths, as queries.paths bounds them."""
    shortest = nx_shortest_length(graph, label, a, b)
    if shortest is None:
        return []
    longest = min(MAX_LENGTH, shortest + SLACK)
    if (label[a] in HUB_CLASSES) != (label[b] in HUB_CLASSES):
        longest = min(longest, MAX_RADIUS + 1)  # as queries.paths: one hub end, the other end's 2 steps read
    lengths: list[int] = []
    try:
        for ids in itertools.islice(nx.shortest_simple_paths(without_hubs(graph, label, (a, b)), a, b), K + 1):
            if len(ids) - 1 > longest:
                break
            lengths.append(len(ids) - 1)
    except nx.NetworkXNoPath:  # no further simple path
        pass
    return lengths


def timed(fn: Callable[[], Any], runs: int) -> tuple[Any, float]:
    """The answer and the median seconds of ``runs`` warm runs (one more first, dropped)."""
    answer = fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = fn()
        samples.append(time.perf_counter() - started)
    return answer, statistics.median(samples)


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


def row(kind: str, case: str, stores: dict[str, tuple[float, bool]], theirs: float, **extra: Any) -> dict[str, Any]:
    """One measurement: per store its median time, its ratio to networkx and whether its answer was networkx's."""
    result: dict[str, Any] = {"query": kind, "case": case, "networkx_ms": round(theirs * 1000, 2)}
    for backend, (seconds, equal) in stores.items():
        result[f"{backend}_ms"] = round(seconds * 1000, 1)
        result[f"{backend}_ratio"] = round(seconds / theirs, 1) if theirs else None
        result[f"{backend}_answers_equal"] = equal
    result.update(extra)
    log.info("%s", result)
    return result


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
    graph, label = networkx_graph(args.scale)
    build_s = time.perf_counter() - started
    ids = sample_ids(stores["embedded"])
    log.info("graph: %d nodes, %d edges (networkx built in %.1f s); ids %s", len(graph), graph.size(), build_s, ids)
    neighbourhood = get_query("entity_neighbourhood")
    results = []
    for case in ("hub_lab", "firm", "hub_university"):
        for hops in (1, 2, 3):
            params = {"id": ids[case], "hops": hops, "limit": LIMIT}
            theirs, theirs_s = timed(partial(nx_neighbourhood, graph, label, ids[case], hops), args.runs)
            measured = {}
            for backend, store in stores.items():
                ours, ours_s = timed(
                    partial(neighbourhood.run, store, params, timeout_s=TIMEOUT_S, row_cap=LIMIT), args.runs
                )
                measured[backend] = (ours_s, [(r["distance"], r["id"]) for r in ours.rows] == theirs)
            results.append(row("entity_neighbourhood", f"{case}, {hops} hop(s)", measured, theirs_s))
    pairs = {
        "hub lab → firm": (ids["hub_lab"], ids["firm"]),
        "hub lab → 深圳市 (a hub end)": (ids["hub_lab"], ids["city"]),
        "firm → hub university": (ids["firm"], ids["hub_university"]),
        "hub lab → a lab of another university": (ids["hub_lab"], ids["other_lab"]),
    }
    shortest = get_query("shortest_path")
    for case, (a, b) in pairs.items():
        length, length_s = timed(partial(nx_shortest_length, graph, label, a, b), args.runs)
        lengths, lengths_s = timed(partial(nx_alternatives, graph, label, a, b), args.runs)
        one, several = {}, {}
        for backend, store in stores.items():
            ours, ours_s = timed(
                partial(shortest.run, store, {"from_id": a, "to_id": b}, timeout_s=TIMEOUT_S), args.runs
            )
            one[backend] = (ours_s, (ours.rows[0]["length"] if ours.rows else None) == length)
            ours_k, ours_k_s = timed(partial(shortest_paths, store, a, b, K, timeout_s=TIMEOUT_S), args.runs)
            several[backend] = (ours_k_s, [p.length for p in ours_k] == lengths)
        results.append(row("shortest_path", case, one, length_s, length=length))
        results.append(row("shortest_paths k=3", case, several, lengths_s, lengths=lengths))
    summary = {}
    for backend in stores:
        ratios = [r[f"{backend}_ratio"] for r in results if r[f"{backend}_ratio"] is not None]
        summary[backend] = {
            "all_answers_equal": all(r[f"{backend}_answers_equal"] for r in results),
            "max_ratio": max(ratios, default=None),
            "median_ratio": statistics.median(ratios) if ratios else None,
            "within_2x": sum(1 for r in ratios if r <= 2.0),
            "max_ms": max(r[f"{backend}_ms"] for r in results),
            "measured": len(results),
        }
    out = record(
        "paths",
        {
            "data": f"synthetic scale {args.scale:g} (bench/paths_load.py: pipeline rows, LadybugDB COPY)",
            "stores": list(stores),
            "sizes": {"nodes": len(graph), "edges_undirected": graph.size()},
            "networkx_build_s": round(build_s, 1),
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
