"""A cluster's chain completeness read from the kept counts beside the scan of its staged members and their links,
side by side in one process on one loaded store, with the answers checked equal.

Usage:
  .venv/bin/python bench/chain_completeness.py --scale 150 [--runs 6] [--clusters E01 P01] [--skip-neo4j]
Reads the stores bench/ingest.py left loaded (bench/work/scale-SCALE.lbdb and the Neo4j of scripts/neo4j-dev), which
must have been counted by this version (``setup_schema`` recounts an older one). Results:
bench/results/chain_completeness.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from common import WORK, neo4j_settings_env, record

from graph import aggregates
from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.schema import default_schema
from graph.settings import Settings
from graph.store import GraphStore
from queries import scoped_chain

log = logging.getLogger("bench.chain_completeness")


def timed(fn: Callable[[], Any], runs: int) -> tuple[dict[str, float], Any]:
    samples, answer = [], None
    for _ in range(runs):
        started = time.perf_counter()
        answer = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}, answer


def measure(store: GraphStore, clusters: list[str], runs: int) -> dict[str, Any]:
    assert aggregates.is_current(aggregates.read_epoch(store)), "the store's counts are of an older version"
    out: dict[str, Any] = {}
    for code in clusters:
        for sourced in (False, True):
            scope = scoped_chain.Scope("cluster", code, sourced)
            kept, kept_answer = timed(partial(scoped_chain.kept_completeness, store, scope), runs)
            scan, scan_answer = timed(partial(scoped_chain.scanned_completeness, store, scope, timeout_s=120), runs)
            case = f"{code}{' sourced only' if sourced else ''}"
            out[case] = {"kept": kept, "scan": scan, "same_answer": kept_answer == scan_answer}
            log.info("%s %-16s %s", store.backend, case, out[case])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=150)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--clusters", nargs="+", default=["E01", "P01"])
    parser.add_argument("--skip-neo4j", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    schema = default_schema()
    results: dict[str, Any] = {"data": f"synthetic scale {args.scale:g} (bench/ingest.py)", "runs": args.runs}
    with EmbeddedStore(WORK / f"scale-{args.scale:g}.lbdb", schema, read_only=True) as embedded:
        results["embedded"] = measure(embedded, args.clusters, args.runs)
    if not args.skip_neo4j:
        os.environ.update(neo4j_settings_env())
        with Neo4jStore.from_settings(Settings.from_env(), schema) as neo4j:
            results["neo4j"] = measure(neo4j, args.clusters, args.runs)
    print(record("chain_completeness", results))


if __name__ == "__main__":
    main()
