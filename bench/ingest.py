"""Ingest throughput, side by side in one run: the pipeline vs each store's raw bulk path vs a naive loader.

Usage:
  .venv/bin/python bench/ingest.py --scale 150            # ≈ 1 M nodes, 3.5 M relationships (about 25 min)
  .venv/bin/python bench/ingest.py --scale 5 --naive-rows 2000   # a quick look

On one synthetic data folder (``ckg synth``, under bench/work/), it measures
- embedded: the pipeline (``run_ingest``: read, validate, resolve, link, diff, write with COPY) into an empty
  LadybugDB; LadybugDB's raw ``COPY`` of the same final tables from Parquet into another empty one; and a naive
  loader that sends one ``MERGE`` per row (on the first --naive-rows nodes and relationships);
- Neo4j (scripts/neo4j-dev, restarted with --neo4j-heap/--neo4j-pagecache): the naive per-row ``MERGE`` loader
  (one auto-commit transaction per row) and the pipeline's batched ``UNWIND`` path, each into an empty database;
  then the initial-load path: the pipeline writing neo4j-admin files, ``neo4j-admin database import`` alone,
  and the constraints built after it.
Each step runs in its own process (its peak RSS is its own). Throughput is rows (nodes + relationships) per
second. The stores are left loaded for bench/queries.py
(bench/work/scale-SCALE.lbdb and the Neo4j database). Results: bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.compute as pc
from common import (
    REPO,
    WORK,
    TreePeak,
    copy_statements,
    cpu_s,
    json_child,
    neo4j_dev,
    neo4j_settings_env,
    record,
    synthetic_folder,
)

from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.schema import Schema, default_schema
from graph.settings import Settings
from ingest.build import node_rows, relationship_rows
from ingest.neo4j_import import write_import_files
from ingest.pipeline import collect, run_ingest
from ingest.report import Report
from ingest.row_tables import row_count
from ingest.sources import bundled_sources

log = logging.getLogger("bench.ingest")
POOL_MB = Settings.from_env().buffer_pool_mb  # every embedded step: as ckg opens the store

Nodes = dict[str, dict[str, dict[str, Any]]]
Rels = dict[tuple[str, str, str, str, str], dict[str, Any]]


def fresh_path(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    for leftover in path.parent.glob(path.name + "*"):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
    return path


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - started


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class WriteClock:
    """This process's CPU seconds from the first table written to the end of the run: beside the write phase's
    wall time it says how much of the write is the client's (Python) and how much the store's (Neo4j's server)."""

    def __init__(self) -> None:
        self.started: float | None = None

    def __call__(self, step: str, done: int) -> None:
        if self.started is None and step.startswith("wrote"):
            self.started = cpu_s()

    def spent(self) -> float | None:
        return None if self.started is None else round(cpu_s() - self.started, 1)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pipeline(store: Any, schema: Schema, data: Path) -> dict[str, Any]:
    clock, cpu, children_cpu = WriteClock(), cpu_s(), _children_cpu_s()
    with TreePeak() as tree:  # the collect runs in a child of its own when the files are large
        result, seconds = timed(run_ingest, store, bundled_sources(schema), data_dir=data, progress=clock)
    rows = sum(result.node_counts.values()) + sum(result.relationship_counts.values())
    return {
        "seconds": round(seconds, 1),
        "rows": rows,
        "rows_per_s": round(rows / seconds),
        "phases_s": {k: round(v, 1) for k, v in result.seconds.items()},
        "write_rows_per_s": round(rows / result.seconds["write"]),
        "peak_rss_mb": tree.peak_mb,  # this process and its collect's child together
        "peak_rss_self_mb": peak_mb(),
        "client_cpu_s": round(cpu_s() - cpu + _children_cpu_s() - children_cpu, 1),  # the collect's child's too
        "write_client_cpu_s": clock.spent(),  # from the first table written: the write phase, as the client spent it
    }


def embedded_pipeline(schema: Schema, data: Path, scale: float) -> dict[str, Any]:
    # the pool the CLI gives it (a run commits as one transaction: its pages must fit)
    store = EmbeddedStore(fresh_path(WORK / f"scale-{scale:g}.lbdb"), schema, buffer_pool_mb=POOL_MB)
    figures = run_pipeline(store, schema, data)
    store.close()
    return figures


def prepare_raw(schema: Schema, data: Path, naive_rows: int) -> dict[str, Any]:
    """The pipeline's output without writing it (not timed): Parquet files for the raw COPY, a sample for
    the naive loaders."""
    built = collect(bundled_sources(schema), schema, data, Report())
    nodes, rels = node_rows(built, schema), relationship_rows(built.links, schema)
    del built
    statements = copy_statements(schema, nodes, rels, WORK / "raw-copy-parquet", POOL_MB)
    picked = [_present(row) for row in nodes["Enterprise"].slice(0, naive_rows).to_pylist()]
    ids = {row["id"] for row in picked}
    chosen: list[list[Any]] = []
    for (rel_type, from_label, to_label), table in rels.items():
        if rel_type in ("IN_CLUSTER", "LOCATED_IN") and from_label == "Enterprise":
            for row in table.filter(pc.is_in(table["from_id"], value_set=pa.array(sorted(ids)))).to_pylist():
                key = [rel_type, from_label, row.pop("from_id"), to_label, row.pop("to_id")]
                chosen.append([key, _present(row)])
    chosen = chosen[:naive_rows]
    ends = {(k[3], k[4]) for k, _ in chosen}
    node_sample = [["Enterprise", row] for row in picked] + [[label, _node(nodes[label], i)] for label, i in ends]
    rel_sample = chosen
    (WORK / "raw-copy.json").write_text(json.dumps(statements), encoding="utf-8")
    (WORK / "naive-sample.json").write_text(
        json.dumps({"nodes": node_sample, "rels": rel_sample}, ensure_ascii=False), encoding="utf-8"
    )
    return {"rows": row_count(nodes) + row_count(rels), "peak_rss_mb": peak_mb()}


def _present(row: dict[str, Any], *leave_out: str) -> dict[str, Any]:
    """A row as the pipeline made it: only the properties it has."""
    return {k: v for k, v in row.items() if v is not None and k not in leave_out}


def _node(table: pa.Table, node_id: str) -> dict[str, Any]:
    return _present(table.filter(pc.equal(table["id"], node_id)).to_pylist()[0])


def embedded_raw_copy(schema: Schema) -> dict[str, Any]:
    """LadybugDB's bulk path alone: COPY each final table from its Parquet file into an empty store."""
    statements = json.loads((WORK / "raw-copy.json").read_text(encoding="utf-8"))
    path = fresh_path(WORK / "raw-copy.lbdb")
    # the tables, from the ontology; then LadybugDB alone
    with EmbeddedStore(path, schema, buffer_pool_mb=POOL_MB) as tables:
        tables.setup_schema()
    raw = ladybug.Connection(ladybug.Database(str(path), buffer_pool_size=POOL_MB * 1024 * 1024))
    started = time.perf_counter()
    for statement in statements:
        raw.execute(statement)
    seconds = time.perf_counter() - started
    del raw
    store = EmbeddedStore(path, schema, read_only=True, buffer_pool_mb=POOL_MB)
    rows = sum(store.node_counts().values()) + sum(store.relationship_counts().values())
    store.close()
    return {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds), "peak_rss_mb": peak_mb()}


def naive_sample() -> tuple[list[Any], list[Any]]:
    sample = json.loads((WORK / "naive-sample.json").read_text(encoding="utf-8"))
    return sample["nodes"], sample["rels"]


def embedded_naive(schema: Schema) -> dict[str, Any]:
    """One MERGE statement per row, as a hand-written loader would do it."""
    node_sample, rel_sample = naive_sample()
    path = fresh_path(WORK / "naive.lbdb")
    with EmbeddedStore(path, schema, buffer_pool_mb=POOL_MB) as tables:
        tables.setup_schema()
    raw = ladybug.Connection(ladybug.Database(str(path), buffer_pool_size=POOL_MB * 1024 * 1024))
    started = time.perf_counter()
    for label, row in node_sample:
        params = {k: v for k, v in row.items() if v is not None}
        sets = ", ".join(f"n.{k} = ${k}" for k in params if k != "id")
        raw.execute(f"MERGE (n:{label} {{id: $id}}) SET {sets}", params)
    for (rel_type, from_label, from_id, to_label, to_id), props in rel_sample:
        params = {k: v for k, v in props.items() if v is not None}
        sets = ", ".join(f"e.{k} = ${k}" for k in params)
        raw.execute(
            f"MATCH (a:{from_label} {{id: $from_id}}), (b:{to_label} {{id: $to_id}}) "
            f"MERGE (a)-[e:{rel_type}]->(b) SET {sets}",
            {**params, "from_id": from_id, "to_id": to_id},
        )
    seconds = time.perf_counter() - started
    del raw
    rows = len(node_sample) + len(rel_sample)
    return {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds)}


def neo4j_store(schema: Schema) -> Neo4jStore:
    env = {**os.environ, **neo4j_settings_env()}
    return Neo4jStore.from_settings(Settings.from_env(env), schema)


def neo4j_naive(schema: Schema) -> dict[str, Any]:
    """One auto-commit transaction per row (driver with its Rust extension), constraints in place."""
    node_sample, rel_sample = naive_sample()
    with neo4j_store(schema) as store:
        store.setup_schema()
        started = time.perf_counter()
        with store.driver.session(database=store.database) as session:
            for label, row in node_sample:
                params = {k: v for k, v in row.items() if v is not None}
                session.run(f"MERGE (n:{label} {{id: $id}}) SET n += $props", id=row["id"], props=params).consume()
            for (rel_type, from_label, from_id, to_label, to_id), props in rel_sample:
                params = {k: v for k, v in props.items() if v is not None}
                session.run(
                    f"MATCH (a:{from_label} {{id: $f}}) MATCH (b:{to_label} {{id: $t}}) "
                    f"MERGE (a)-[e:{rel_type}]->(b) SET e += $props",
                    f=from_id,
                    t=to_id,
                    props=params,
                ).consume()
        seconds = time.perf_counter() - started
    rows = len(node_sample) + len(rel_sample)
    return {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds)}


def neo4j_pipeline(schema: Schema, data: Path) -> dict[str, Any]:
    with neo4j_store(schema) as store:
        return run_pipeline(store, schema, data)


def neo4j_import_files(schema: Schema, data: Path) -> dict[str, Any]:
    folder = WORK / "neo4j-import"
    shutil.rmtree(folder, ignore_errors=True)
    files, seconds = timed(write_import_files, bundled_sources(schema), schema, data_dir=data, out_dir=folder)
    rows = sum(files.result.node_counts.values()) + sum(files.result.relationship_counts.values())
    return {"seconds": round(seconds, 1), "rows": rows, "peak_rss_mb": peak_mb()}


def neo4j_initial_load(scale: float, env: dict[str, str]) -> dict[str, Any]:
    files = child("neo4j_import_files", scale)
    neo4j_dev("stop", env=env)
    args = (WORK / "neo4j-import" / "import.args").read_text(encoding="utf-8").split()
    started = time.perf_counter()
    subprocess.run(
        [str(REPO / "scripts" / "neo4j-dev"), "admin", "database", "import", "full", "neo4j", *args],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    admin_s = time.perf_counter() - started
    _, start_s = timed(neo4j_dev, "start", env=env)
    with neo4j_store(default_schema()) as store:
        started = time.perf_counter()
        store.setup_schema()
        _await_indexes(store)
        schema_s = time.perf_counter() - started
    total = files["seconds"] + admin_s + start_s + schema_s
    return {
        "pipeline_to_files_s": files["seconds"],
        "pipeline_peak_rss_mb": files["peak_rss_mb"],
        "neo4j_admin_import_s": round(admin_s, 1),
        "server_start_s": round(start_s, 1),
        "constraints_and_indexes_s": round(schema_s, 1),
        "total_s": round(total, 1),
        "rows": files["rows"],
        "rows_per_s": round(files["rows"] / total),
        "ratio_to_admin_import_alone": round(total / admin_s, 2),
    }


STEPS = {
    "embedded_pipeline": lambda schema, data, a: embedded_pipeline(schema, data, a.scale),
    "prepare_raw": lambda schema, data, a: prepare_raw(schema, data, a.naive_rows),
    "embedded_raw_copy": lambda schema, data, a: embedded_raw_copy(schema),
    "embedded_naive": lambda schema, data, a: embedded_naive(schema),
    "neo4j_naive": lambda schema, data, a: neo4j_naive(schema),
    "neo4j_pipeline": lambda schema, data, a: neo4j_pipeline(schema, data),
    "neo4j_import_files": lambda schema, data, a: neo4j_import_files(schema, data),
}


def child(step: str, scale: float, naive_rows: int = 0) -> dict[str, Any]:
    """Run one step in its own process: its memory is its own (peak RSS) and is given back afterwards."""
    args = [sys.executable, __file__, "--child", step, "--scale", str(scale), "--naive-rows", str(naive_rows)]
    return json_child(args, f"step {step}")


def _await_indexes(store: Neo4jStore) -> None:
    with store.driver.session(database=store.database) as session:
        session.run("CALL db.awaitIndexes(600)").consume()


def _round(result: Any) -> dict[str, float]:
    return {k: round(v, 1) for k, v in result.seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=150)
    parser.add_argument("--naive-rows", type=int, default=5000, help="enterprises (and as many relationships)")
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--neo4j-heap", default="3g")
    parser.add_argument("--neo4j-pagecache", default="3g")
    parser.add_argument("--child", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument(
        "--neo4j-initial-load-only",
        action="store_true",
        help="only load Neo4j by its initial-load path (files, neo4j-admin import, constraints): a store to query",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.child:
        data = WORK / f"synth-{args.scale:g}"
        print(json.dumps(STEPS[args.child](default_schema(), data, args)))
        return
    log.info("synthetic data: %s", synthetic_folder(args.scale))
    results: dict[str, Any] = {"scale": args.scale, "naive_rows_per_kind": args.naive_rows}
    if args.neo4j_initial_load_only:
        env = {"NEO4J_DEV_HEAP": args.neo4j_heap, "NEO4J_DEV_PAGECACHE": args.neo4j_pagecache}
        results["neo4j"] = {"server_memory": env, "initial_load": neo4j_initial_load(args.scale, env)}
        log.info("written to %s", record("ingest", {**results, "subset": "neo4j initial load"}))
        return
    emb = results["embedded"] = {"pipeline": child("embedded_pipeline", args.scale)}
    results["final_tables"] = child("prepare_raw", args.scale, args.naive_rows)
    emb["raw_copy"] = child("embedded_raw_copy", args.scale)
    emb["naive_merge"] = child("embedded_naive", args.scale)
    emb["pipeline_vs_raw_copy"] = round(emb["pipeline"]["seconds"] / emb["raw_copy"]["seconds"], 2)
    emb["pipeline_vs_naive_speedup"] = round(emb["pipeline"]["rows_per_s"] / emb["naive_merge"]["rows_per_s"], 1)
    if not args.skip_neo4j:
        env = {"NEO4J_DEV_HEAP": args.neo4j_heap, "NEO4J_DEV_PAGECACHE": args.neo4j_pagecache}
        neo = results["neo4j"] = {"server_memory": env}
        neo4j_dev("reset", env=env)
        neo["naive_merge"] = child("neo4j_naive", args.scale)
        neo4j_dev("reset", env=env)
        neo["pipeline_unwind"] = child("neo4j_pipeline", args.scale)
        neo["initial_load"] = neo4j_initial_load(args.scale, env)
        naive = neo["naive_merge"]["rows_per_s"]
        neo["pipeline_vs_naive_speedup"] = round(neo["pipeline_unwind"]["rows_per_s"] / naive, 1)
        neo["unwind_write_vs_naive_speedup"] = round(neo["pipeline_unwind"]["write_rows_per_s"] / naive, 1)
    path = record("ingest", results)
    log.info("written to %s", path)


if __name__ == "__main__":
    main()
