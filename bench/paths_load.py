"""Load one synthetic scale for bench/paths.py: the pipeline's final tables (``collect`` → rows) written once
as Parquet, COPYed into a fresh LadybugDB, and kept as an edge list for networkx — so both sides read the same
graph. Runs in its own process (``python bench/paths_load.py --scale 15``); the slow full ingest is not needed.

Everything goes under bench/work/paths-SCALE/ (its own folder: other benchmarks share bench/work/)."""

from __future__ import annotations

import argparse
import logging
import resource
import shutil
import time
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.parquet as pq
from common import WORK, copy_statements

from graph import aggregates
from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema
from graph.settings import Settings
from ingest.build import node_rows, relationship_rows
from ingest.manifest import read_manifest
from ingest.pipeline import collect
from ingest.report import Report
from ingest.row_tables import row_count
from ingest.sources import bundled_sources
from ingest.synth import write_synthetic

log = logging.getLogger("bench.paths_load")


def folder(scale: float) -> Path:
    return WORK / f"paths-{scale:g}"


def synthetic(scale: float) -> Path:
    """bench/work/synth-SCALE when it holds this scale (seed 42), else a fresh one in our own folder."""
    shared = WORK / f"synth-{scale:g}"
    manifest = read_manifest(shared) if shared.exists() else None
    if manifest and manifest.get("scale") == scale and manifest.get("seed") == 42:
        return shared
    own = folder(scale) / "synth"
    manifest = read_manifest(own) if own.exists() else None
    if not manifest or manifest.get("scale") != scale:
        write_synthetic(own, scale, seed=42)
    return own


def load(scale: float) -> dict[str, Any]:
    schema = default_schema()
    data = synthetic(scale)
    started = time.perf_counter()
    built = collect(bundled_sources(schema), schema, data, Report())
    nodes, rels = node_rows(built, schema), relationship_rows(built.links, schema)
    del built
    out = folder(scale)
    pool_mb = Settings.from_env().buffer_pool_mb
    statements = copy_statements(schema, nodes, rels, out / "parquet", pool_mb)
    pq.write_table(
        pa.table(
            {
                "id": pa.chunked_array([t["id"] for t in nodes.values()], pa.string()),
                "label": [label for label, table in nodes.items() for _ in range(table.num_rows)],
            }
        ),
        out / "nodes.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "source": pa.chunked_array([t["from_id"] for t in rels.values()], pa.string()),
                "target": pa.chunked_array([t["to_id"] for t in rels.values()], pa.string()),
                "relationship": [group[0] for group, table in rels.items() for _ in range(table.num_rows)],
            }
        ),
        out / "edges.parquet",
    )
    node_count, rel_count = row_count(nodes), row_count(rels)
    del nodes, rels
    prepared = time.perf_counter() - started
    path = out / "graph.lbdb"
    shutil.rmtree(path, ignore_errors=True)
    for leftover in out.glob("graph.lbdb*"):
        leftover.unlink()
    with EmbeddedStore(path, schema) as tables:
        tables.setup_schema()
    raw = ladybug.Connection(ladybug.Database(str(path), buffer_pool_size=pool_mb * 1024 * 1024))
    for statement in statements:
        raw.execute(statement)
    del raw
    with EmbeddedStore(path, schema) as tables, tables.transaction():
        aggregates.refresh(tables)  # an epoch, as every ClusterKG write leaves: the topology snapshot is keyed by it
    return {
        "nodes": node_count,
        "relationships": rel_count,
        "prepare_s": round(prepared, 1),
        "copy_s": round(time.perf_counter() - started - prepared, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def load_neo4j(scale: float) -> dict[str, Any]:
    """The same graph (ids and relationships: what path queries read) into the Neo4j of scripts/neo4j-dev,
    emptied first, through the store's batched writes."""
    from collections import defaultdict

    from graph.neo4j_store import Neo4jStore
    from graph.settings import Settings

    schema = default_schema()
    nodes = pq.read_table(folder(scale) / "nodes.parquet").to_pydict()
    edges = pq.read_table(folder(scale) / "edges.parquet").to_pydict()
    label = dict(zip(nodes["id"], nodes["label"], strict=True))
    started = time.perf_counter()
    store = Neo4jStore.from_settings(Settings.from_env(), schema)
    store.setup_schema()
    store.clear()
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node_id, node_label in label.items():
        by_label[node_label].append({"id": node_id})
    for node_label, rows in by_label.items():
        store.upsert_nodes(node_label, rows)
    by_type: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for source, target, rel_type in zip(edges["source"], edges["target"], edges["relationship"], strict=True):
        by_type[(rel_type, label[source], label[target])].append({"from_id": source, "to_id": target})
    for (rel_type, from_label, to_label), rows in by_type.items():
        store.upsert_relationships(rel_type, from_label, to_label, rows)
    with store.transaction():
        aggregates.refresh(store)
    counts = {"nodes": sum(store.node_counts().values()), "relationships": sum(store.relationship_counts().values())}
    store.close()
    return {**counts, "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=15)
    parser.add_argument("--neo4j", action="store_true", help="load the prepared graph into Neo4j too")
    parser.add_argument("--neo4j-only", action="store_true", help="only load the prepared graph into Neo4j")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.neo4j_only:
        log.info("loaded: %s", load(args.scale))
    if args.neo4j or args.neo4j_only:
        log.info("loaded into Neo4j: %s", load_neo4j(args.scale))


if __name__ == "__main__":
    main()
