"""Before and after the queries that stopped scanning the world (issue #17): maintained tallies, name indexes and
Neo4j's Entity label, measured side by side in one run on the same loaded stores.

Usage:
  .venv/bin/python bench/queries_aggregates.py --scale 15 [--runs 20] [--skip-neo4j] [--keep]
  .venv/bin/python bench/queries_aggregates.py --scale 150 --keep --only cluster_chain   # the cases of some queries

Loads bench/work/synth-SCALE (written by `ckg synth` if missing) through the pipeline into a fresh embedded store
(bench/work/aggregates-SCALE.lbdb) and into the Neo4j the NEO4J_* variables name (cleared first), then times each
affected query as it is now (``query.run``: tallies, name index, Entity label) and as it was (its full-scan text,
run on the same store), checks that both give the same rows, and records p50/p95, the ratios and what the
write-time upkeep costs (a recount of the tallies, a rebuild of the embedded name index) in
bench/results/queries_aggregates.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from common import WORK, percentile, record, synthetic_folder

from graph import aggregates, name_index
from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.schema import default_schema
from graph.settings import Settings
from graph.store import GraphStore, QueryResult
from ingest.pipeline import run_ingest
from ingest.sources import bundled_sources
from queries.catalog import get_query
from queries.full_scans import FULL_SCANS

log = logging.getLogger("bench.queries_aggregates")
ROW_CAP = 5000
TIMEOUT_S = 30.0
SAMPLE_BUDGET_S = 10.0

# The query texts before this change (full scans; label-less lookups by id), as the catalogue held them.
BEFORE = {
    **FULL_SCANS,
    "search_entities": None,  # its body is unchanged: the scan that the index now avoids
    "entity_details": """
        MATCH (n) WHERE n.id = $id
        RETURN n AS entity, ckg_label(n) AS class, n.source_refs AS sources, n.source_url AS cited_source""",
    "entity_edges": None,  # the label-less body (Neo4j now has a variant with the Entity label)
    "entity_clusters": None,
    "cluster_map": None,  # its body: the walk of the cluster's ties that the kept counts answer for all stages
}
# Where Neo4j had a variant of its own before (faster than the full scan above on that store), it is the "before".
BEFORE_NEO4J = {
    "city_profile": """
        MATCH (city:City)
        WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city OR city.name_en = $city
        OPTIONAL MATCH (part)-[:PART_OF]->(city)
        WITH city, [city] + collect(part) AS places
        UNWIND places AS place
        MATCH (e)-[:LOCATED_IN]->(place)
        RETURN city.name_zh AS city,
               CASE WHEN ckg_label(e) = 'Enterprise' THEN 'industry' ELSE coalesce(e.chain_stage, 'other') END AS stage,
               ckg_label(e) AS class, count(DISTINCT e) AS entities
        ORDER BY stage, class""",
    "cluster_chain": """
        MATCH (c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
        OPTIONAL MATCH (e)-[r:SERVES_CLUSTER|IN_CLUSTER]->(c)
        WHERE e.chain_stage IS NOT NULL AND (NOT $sourced_only OR NOT coalesce(r.derived, false))
        WITH e.chain_stage AS key, count(DISTINCT e) AS entities,
             count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END) AS sourced
        WITH collect({key: key, entities: entities, sourced: sourced}) AS counts, count(*) AS groups
        WHERE groups > 0
        MATCH (s:ChainStage)
        WITH s, replace(s.id, 'stage/', '') AS stage, counts
        WITH s, stage, [x IN counts WHERE x.key = stage] AS hit
        RETURN s.stage_order AS stage_order, stage, coalesce(hit[0].entities, 0) AS entities,
               coalesce(hit[0].sourced, 0) AS sourced
        ORDER BY stage_order""",
}


def cases(store: GraphStore) -> list[tuple[str, str, dict[str, Any]]]:
    """(case name, query name, parameters): real names and ids from the loaded graph."""
    hub = store.read(
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University) RETURN u.id AS id, u.name_zh AS name, count(l) AS labs "
        "ORDER BY labs DESC, id LIMIT 1"
    ).rows[0]
    firm = store.read("MATCH (e:Enterprise)-[:IN_CLUSTER]->() RETURN e.id AS id ORDER BY id LIMIT 1").rows[0]["id"]
    found: list[tuple[str, str, dict[str, Any]]] = [
        ("city_cluster_matrix", "city_cluster_matrix", {}),
        ("stage_map all", "stage_map", {"stage": "all"}),
        ("stage_map industry", "stage_map", {"stage": "industry"}),
        ("cluster_list", "cluster_list", {}),
        ("dq_low_confidence", "dq_low_confidence", {}),
        ("dq_orphans", "dq_orphans", {}),
        ("dq_without_source", "dq_without_source", {}),
        ("city_district_counts 深圳市", "city_district_counts", {"city": "深圳市"}),
        ("entities_without_city_count", "entities_without_city_count", {}),
        ("cluster_chain E01", "cluster_chain", {"cluster": "E01"}),
        ("cluster_chain E01 sourced only", "cluster_chain", {"cluster": "E01", "sourced_only": True}),
        ("cluster_chain_classes E01", "cluster_chain_classes", {"cluster": "E01"}),
        ("cluster_map E01 all stages", "cluster_map", {"cluster": "E01", "stage": "all"}),
        ("cluster_chain_links E01", "cluster_chain_links", {"cluster": "E01"}),
        ("city_profile 东莞市", "city_profile", {"city": "东莞市"}),
        ("city_profile 深圳市", "city_profile", {"city": "深圳市"}),
        ("entity_details", "entity_details", {"id": hub["id"]}),
        ("entity_edges", "entity_edges", {"id": firm}),
        ("entity_clusters", "entity_clusters", {"id": firm}),
    ]
    for text in (hub["name"][:4], "华为", "大学", "科技", "university", "lab"):
        found.append((f"search_entities {text}", "search_entities", {"text": text}))
    return found


def before_text(name: str, backend: str) -> str:
    query = get_query(name)
    body = (BEFORE_NEO4J.get(name) if backend == "neo4j" else None) or BEFORE[name] or query.body
    return dataclasses.replace(query, body=body, variants={}).cypher_for(backend)


def timed(run: Callable[[], QueryResult], runs: int) -> tuple[dict[str, Any], QueryResult]:
    samples: list[float] = []
    result = run()  # warm-up: caches, plans, the embedded name index's first open
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - started)
        if len(samples) >= 3 and sum(samples) > SAMPLE_BUDGET_S:
            break
    p95 = percentile(samples, 0.95)
    figures = {
        "runs": len(samples),
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
    }
    return figures, result


def _comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without the quality queries' examples: the full scans collect them in no set order (tests/test_aggregates.py
    checks the kept examples on their own)."""
    return [{k: v for k, v in row.items() if k != "examples"} for row in rows]


def measure(store: GraphStore, runs: int, only: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for case, name, params in cases(store):
        if only and name not in only:
            continue
        query = get_query(name)
        bound = query.bind(params)
        after, new = timed(partial(query.run, store, bound, timeout_s=TIMEOUT_S, row_cap=ROW_CAP), runs)
        text = before_text(name, store.backend)
        before, old = timed(partial(store.read, text, bound, timeout_s=TIMEOUT_S, row_cap=ROW_CAP), runs)
        out[case] = {
            "before": before,
            "after": after,
            "p95_ratio": round(before["p95_ms"] / max(after["p95_ms"], 0.01), 1),
            "rows": len(new.rows),
            "same_answer": _comparable(new.rows) == _comparable(old.rows),
        }
        log.info("%s %-32s %s", store.backend, case, out[case])
    return out


def upkeep(store: GraphStore) -> dict[str, float]:
    """What a write pays now: a full recount of the tallies (and, embedded, a rebuild of the name index)."""
    started = time.perf_counter()
    epoch = aggregates.refresh(store)
    costs = {"tally_recount_s": round(time.perf_counter() - started, 2)}
    path = name_index.sidecar_path(store)
    if path is not None:
        started = time.perf_counter()
        name_index.rebuild(store, path, epoch)
        costs["name_index_rebuild_s"] = round(time.perf_counter() - started, 2)
    return costs


def load(store: GraphStore, scale: float) -> dict[str, Any]:
    data = synthetic_folder(scale)
    started = time.perf_counter()
    result = run_ingest(store, bundled_sources(store.schema), data_dir=data)
    return {"ingest_s": round(time.perf_counter() - started, 1), "seconds": result.seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=15)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--keep", action="store_true", help="reuse the stores a previous run loaded")
    parser.add_argument("--only", nargs="+", help="only the cases of these queries")
    parser.add_argument(
        "--buffer-pool-mb", type=int, default=1024, help="the embedded store's (scale 150: 8192, for the full scans)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    schema = default_schema()
    results: dict[str, Any] = {"scale": args.scale}
    path = WORK / f"aggregates-{args.scale:g}.lbdb"
    if not args.keep:
        for stale in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + name_index.SUFFIX)):
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    stores: list[GraphStore] = [EmbeddedStore(path, schema, buffer_pool_mb=args.buffer_pool_mb)]
    if not args.skip_neo4j:
        neo = Neo4jStore.from_settings(Settings.from_env(), schema)
        if not args.keep:
            neo.clear()
        stores.append(neo)
    for store in stores:
        entry: dict[str, Any] = {}
        if not args.keep:
            entry["load"] = load(store, args.scale)
        entry["size"] = {
            "nodes": sum(store.node_counts().values()),
            "relationships": sum(store.relationship_counts().values()),
        }
        entry["upkeep"] = upkeep(store)
        entry["queries"] = measure(store, args.runs, args.only)
        results[store.backend] = entry
        store.close()
    print(record("queries_aggregates", results))


if __name__ == "__main__":
    main()
