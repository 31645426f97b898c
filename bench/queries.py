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

Before and after a change of query texts, in one run on the same stores:
  git worktree add /tmp/ckg-before <commit>
  .venv/bin/python bench/queries.py --scale 150 --baseline-queries /tmp/ckg-before/queries --only cluster_chain_graph
Each query whose text on a store differs in that folder is timed with both texts, run by run in turn, and its two
answers compared (rows as sets when the cap cut neither unordered answer; otherwise row for row).

The catalogue's hooks (catalog.INDEXED: the in-memory topology, the name index) beside their bare Cypher, in one run:
  .venv/bin/python bench/queries.py --embedded-path bench/work/paths-150/graph.lbdb --cypher-beside-hooks \
      --data "synthetic scale 150 (bench/paths_load.py; Neo4j: bench/ingest.py initial load)"
The snapshots are built first (their build times recorded); bench/summary.py tables the newest such run per data.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import WORK, neo4j_settings_env, percentile, record

from graph import topology
from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.schema import default_schema
from graph.settings import Settings
from graph.store import GraphStore, QueryResult, ReadLimits
from queries.catalog import INDEXED, NamedQuery, catalog

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


@dataclass(frozen=True)
class AsCypher:
    """A named query run as its Cypher alone, past the catalogue's hooks (the in-memory topology, indexes): what
    it costs without them, beside the hooked answer in one run (--cypher-beside-hooks)."""

    query: NamedQuery

    @property
    def ordered(self) -> bool:
        return self.query.ordered

    def run(self, store: GraphStore, params: dict[str, Any] | None, **read_options: Any) -> QueryResult:
        cap = store.read_limits.within(read_options.get("timeout_s"), read_options.get("row_cap"))[1]
        bound = self.query.with_row_cap(store.backend, self.query.bind(params), cap)
        return store.read(self.query.cypher_for(store.backend), bound, **read_options)


def time_query(query: NamedQuery, store: GraphStore, params: dict[str, Any] | None, runs: int) -> dict[str, Any]:
    return time_queries({"now": query}, store, params, runs)["now"]


def time_queries(
    queries: dict[str, NamedQuery | AsCypher], store: GraphStore, params: dict[str, Any] | None, runs: int
) -> dict[str, dict[str, Any]]:
    """Each query's p50/p95 on ``store``, the queries taking turns run by run (so the machine's drift falls on all
    alike); with two, whether they gave the same answer."""
    samples: dict[str, list[float]] = {key: [] for key in queries}
    last: dict[str, QueryResult] = {}
    for attempt in range(runs + 1):
        for key, query in queries.items():
            started = time.perf_counter()
            try:
                last[key] = query.run(store, params, timeout_s=TIMEOUT_S, row_cap=ROW_CAP)
            except Exception as exc:  # a timeout or a store error is a result here, not a crash of the benchmark
                return {k: {"error": f"{type(exc).__name__}: {exc}"[:300]} for k in queries}
            if attempt:  # the first run warms caches and compiles the plan
                samples[key].append(time.perf_counter() - started)
        spent = sum(sum(s) for s in samples.values())
        if attempt >= MIN_RUNS and spent > SAMPLE_BUDGET_S * len(queries):  # a slow query: enough to say so
            break
    timed = {key: _stats(samples[key], last[key]) for key in queries}
    if len(queries) == 2:
        first, second = (last[key] for key in queries)
        same = _same_answer(first, second, next(iter(queries.values())).ordered)
        for key in queries:
            timed[key]["same_answer"] = same
    return timed


def _stats(samples: list[float], result: QueryResult) -> dict[str, Any]:
    return {
        "runs": len(samples),
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "rows": len(result.rows),
        "truncated": result.truncated,
    }


def _same_answer(first: QueryResult, second: QueryResult, ordered: bool) -> bool | None:
    """Row for row when ordered; as multisets when whole; None when the cap cut an unordered answer (which rows a
    cut keeps is the store's choice)."""
    if ordered:
        return first.rows == second.rows and first.truncated == second.truncated
    if first.truncated or second.truncated:
        return None
    return Counter(map(_row_key, first.rows)) == Counter(map(_row_key, second.rows))


def _row_key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=150)
    parser.add_argument("--embedded-path", type=Path)
    parser.add_argument("--data", help="what the stores hold, as the results name it (default: the path or scale)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--only", nargs="+", help="time these queries only (recorded as a subset of the full run)")
    parser.add_argument(
        "--baseline-queries",
        type=Path,
        help="a queries/ folder of an earlier tree: queries whose text differs are timed with both texts",
    )
    parser.add_argument(
        "--warm-topology",
        action="store_true",
        help="build each store's in-memory topology before timing (its time recorded)",
    )
    parser.add_argument(
        "--cypher-beside-hooks",
        action="store_true",
        help="time each hooked query (catalog.INDEXED) beside its bare Cypher, in turns; builds the topology first",
    )
    args = parser.parse_args()
    args.warm_topology = args.warm_topology or args.cypher_beside_hooks
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
    baseline = catalog(args.baseline_queries) if args.baseline_queries else {}
    for name, query in sorted(catalog().items()):
        if args.only and name not in args.only:
            continue
        results[name] = {"path_query": name in PATH_QUERIES}
        for backend, store in stores.items():
            texts: dict[str, NamedQuery | AsCypher] = {"now": query}
            before = baseline.get(name)
            if before is not None and before.cypher_for(backend) != query.cypher_for(backend):
                texts["baseline"] = before
            elif args.cypher_beside_hooks and name in INDEXED:
                texts["baseline"] = AsCypher(query)
            timed = time_queries(texts, store, params.get(name), args.runs)
            results[name][backend] = timed["now"]
            if "baseline" in timed:
                results[name][f"{backend}_baseline"] = timed["baseline"]
        log.info("%-34s %s", name, {b: v for b, v in results[name].items() if b != "path_query"})
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
            "data": args.data or (str(path) if args.embedded_path else f"synthetic scale {args.scale:g}"),
            "sizes": sizes,
            "row_cap": ROW_CAP,
            "embedded_buffer_pool_mb": pool_mb,
            "timeout_s": TIMEOUT_S,
            "params": params,
            "subset": args.only or None,
            "baseline_queries": str(args.baseline_queries) if args.baseline_queries else None,
            "cypher_beside_hooks": args.cypher_beside_hooks,
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
