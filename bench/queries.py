"""p50/p95 latency of every named query on both stores, side by side, at the benchmark scale.

Usage:
  .venv/bin/python bench/queries.py --scale 150 [--runs 20]
  .venv/bin/python bench/queries.py --embedded-path ~/.local/share/clusterkg/graph.lbdb   # any loaded store

Needs the stores that bench/ingest.py leaves loaded: bench/work/scale-SCALE.lbdb and the same graph in the
Neo4j of scripts/neo4j-dev. Each query runs as the app runs it (row cap 5,000; a 30 s timeout, three times the
app's, so that slow queries are measured rather than cut), once to warm up and then --runs times (fewer, but at
least three, when the samples pass 10 s), alternating the stores query by query. Queries on one entity take a
real id from the store (a hub university, one of its labs, a city). The embedded store gets the buffer pool the
app gives it (CLUSTERKG_BUFFER_POOL_MB, by default a quarter of memory). Results: bench/results/queries.json,
with each query's rows and whether the cap cut them.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any

from common import WORK, neo4j_settings_env, record

from graph import topology
from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.schema import default_schema
from graph.settings import Settings
from graph.store import GraphStore, ReadLimits
from queries.catalog import NamedQuery, catalog

log = logging.getLogger("bench.queries")
ROW_CAP = 5000
TIMEOUT_S = 30.0
SAMPLE_BUDGET_S = 10.0  # stop sampling a slow query after this much time (at least MIN_RUNS runs)
MIN_RUNS = 3
PATH_QUERIES = ("shortest_path", "entity_neighbourhood", "neighbourhood_edges")


def sample_params(store: GraphStore) -> dict[str, dict[str, Any]]:
    """Real ids from the loaded graph: the university hosting the most labs, one of its labs, a city."""
    hub = store.read(
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University) RETURN u.id AS id, u.name_zh AS name, count(l) AS labs "
        "ORDER BY labs DESC, id LIMIT 1"
    ).rows[0]
    lab = store.read(
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University {id: $u}) RETURN l.id AS id ORDER BY id LIMIT 1",
        {"u": hub["id"]},
    ).rows[0]["id"]
    return {
        "search_entities": {"text": hub["name"][:4]},
        "entity_details": {"id": hub["id"]},
        "entity_neighbourhood": {"id": lab, "hops": 2},
        "entity_edges": {"id": hub["id"]},
        "entity_clusters": {"id": lab},
        "neighbourhood_edges": {"id": lab, "radius": 2},
        "shortest_path": {"from_id": lab, "to_id": "city/440300"},
    }


def time_query(query: NamedQuery, store: GraphStore, params: dict[str, Any] | None, runs: int) -> dict[str, Any]:
    samples: list[float] = []
    rows = 0
    truncated = False
    for attempt in range(runs + 1):
        started = time.perf_counter()
        try:
            result = query.run(store, params, timeout_s=TIMEOUT_S, row_cap=ROW_CAP)
        except Exception as exc:  # a timeout or a store error is a result here, not a crash of the benchmark
            return {"error": f"{type(exc).__name__}: {exc}"[:300]}
        elapsed = time.perf_counter() - started
        if attempt:  # the first run warms caches and compiles the plan
            samples.append(elapsed)
        rows, truncated = len(result.rows), result.truncated
        if len(samples) >= MIN_RUNS and sum(samples) > SAMPLE_BUDGET_S:  # a slow query: enough to say so
            break
    samples.sort()
    return {
        "runs": len(samples),
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))] * 1000, 1),
        "rows": rows,
        "truncated": truncated,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=150)
    parser.add_argument("--embedded-path", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--only", nargs="+", help="time these queries only (recorded as a subset of the full run)")
    parser.add_argument(
        "--warm-topology",
        action="store_true",
        help="build each store's in-memory topology before timing (its time recorded)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    schema = default_schema()
    path = args.embedded_path or WORK / f"scale-{args.scale:g}.lbdb"
    pool_mb = Settings.from_env().buffer_pool_mb  # as the app opens it
    limits = ReadLimits(timeout_s=TIMEOUT_S, row_cap=ROW_CAP)  # a caller may only lower the store's limits
    stores: dict[str, GraphStore] = {
        "embedded": EmbeddedStore(path, schema, read_only=True, buffer_pool_mb=pool_mb, read_limits=limits)
    }
    if not args.skip_neo4j:
        env = {**os.environ, **neo4j_settings_env(), "CLUSTERKG_QUERY_TIMEOUT": str(TIMEOUT_S)}
        stores["neo4j"] = Neo4jStore.from_settings(Settings.from_env(env), schema)
    sizes = {
        name: {"nodes": sum(s.node_counts().values()), "relationships": sum(s.relationship_counts().values())}
        for name, s in stores.items()
    }
    log.info("graph sizes: %s", sizes)
    params = sample_params(stores["embedded"])
    topology_build_s = {}
    if args.warm_topology:  # otherwise the paths run as Cypher until the background build is done
        for backend, store in stores.items():
            started = time.perf_counter()
            snapshot = topology.ready(store, 900)
            topology_build_s[backend] = round(time.perf_counter() - started, 1) if snapshot else None
        log.info("topology build: %s", topology_build_s)
    results: dict[str, dict[str, Any]] = {}
    for name, query in sorted(catalog().items()):
        if args.only and name not in args.only:
            continue
        results[name] = {"path_query": name in PATH_QUERIES}
        for backend, store in stores.items():
            results[name][backend] = time_query(query, store, params.get(name), args.runs)
        log.info("%-34s %s", name, {b: results[name].get(b) for b in stores})
    summary = {}
    for backend in stores:
        measured = [r[backend] for r in results.values() if "p95_ms" in r[backend]]
        limit = {n: 1000.0 if r["path_query"] else 300.0 for n, r in results.items()}
        summary[backend] = {
            "queries": len(results),
            "failed": [n for n, r in results.items() if "error" in r[backend]],
            "over_target": [n for n, r in results.items() if r[backend].get("p95_ms", 1e9) > limit[n]],
            "max_p95_ms": max((m["p95_ms"] for m in measured), default=None),
        }
    out = record(
        "queries",
        {
            "data": str(path) if args.embedded_path else f"synthetic scale {args.scale:g}",
            "sizes": sizes,
            "row_cap": ROW_CAP,
            "embedded_buffer_pool_mb": pool_mb,
            "timeout_s": TIMEOUT_S,
            "params": params,
            "subset": args.only or None,
            "topology_build_s": topology_build_s or None,
            "summary": summary,
            "queries": results,
        },
    )
    for backend, s in summary.items():
        log.info("%s: %s", backend, s)
    log.info("written to %s", out)
    for store in stores.values():
        store.close()


if __name__ == "__main__":
    main()
