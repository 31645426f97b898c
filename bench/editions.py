"""Editions: time and size to create one, to diff two, and to restore one for reading, on a store holding the
bundled data (--scale 0) or a synthetic ecosystem (--scale N; 15 ≈ 100k nodes, 150 ≈ a million).

    .venv/bin/python bench/editions.py --scale 0 --scale 15          # embedded
    .venv/bin/python bench/editions.py --scale 0 --neo4j              # also the Neo4j of NEO4J_URI (it is CLEARED)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import WORK, record, synthetic_folder

from graph.editions import create_edition, edition_store, load_snapshot
from graph.schema import default_schema
from graph.store import GraphStore
from reports.diff import diff_snapshots


def _load(store: GraphStore, scale: float) -> float:
    from ingest.pipeline import run_ingest
    from ingest.sources import DATA_DIR, bundled_sources

    data_dir = DATA_DIR if scale == 0 else synthetic_folder(scale)
    started = time.perf_counter()
    result = run_ingest(store, bundled_sources(store.schema), data_dir=data_dir)
    if not result.ok:
        raise SystemExit(result.report.summary())
    return time.perf_counter() - started


def _change(store: GraphStore) -> None:
    """A year's worth of change: 100 new labs in Dongguan, and every SERVES_CLUSTER tie of one lab removed."""
    rows = [{"id": f"lab/bench-{i}", "name_zh": f"基准实验室{i}", "chain_stage": "basic_research"} for i in range(100)]
    store.upsert_nodes("Laboratory", rows)
    store.upsert_relationships(
        "LOCATED_IN", "Laboratory", "City", [{"from_id": r["id"], "to_id": "city/441900"} for r in rows]
    )


def measure(store: GraphStore, label: str) -> dict[str, Any]:
    figures: dict[str, Any] = {"store": label}
    started = time.perf_counter()
    first = create_edition(store, "bench-a", replace=True)
    figures["create_s"] = round(time.perf_counter() - started, 2)
    figures.update(nodes=first.nodes, relationships=first.relationships, size_bytes=first.size_bytes, parts=first.parts)
    _change(store)
    create_edition(store, "bench-b", replace=True)
    started = time.perf_counter()
    old, new = load_snapshot(store, "bench-a"), load_snapshot(store, "bench-b")
    figures["load_both_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    diff = diff_snapshots(store.schema, old, new, "bench-a", "bench-b")
    figures["diff_s"] = round(time.perf_counter() - started, 2)
    figures["changes"] = diff.totals()
    cache = Path(tempfile.mkdtemp(prefix="edition-cache-"))
    try:
        started = time.perf_counter()
        with edition_store(store, "bench-a", cache=cache):
            figures["restore_for_reading_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        with edition_store(store, "bench-a", cache=cache):
            figures["open_cached_s"] = round(time.perf_counter() - started, 2)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, action="append", help="0 = the bundled data (repeatable)")
    parser.add_argument("--neo4j", action="store_true", help="also on the Neo4j of NEO4J_URI (cleared first!)")
    args = parser.parse_args()
    schema = default_schema()
    runs = []
    for scale in args.scale or [0.0]:
        from graph.embedded_store import EmbeddedStore

        path = WORK / f"editions-{scale:g}.lbdb"
        path.unlink(missing_ok=True)
        with EmbeddedStore(path, schema, buffer_pool_mb=4096) as store:
            store.setup_schema()
            ingest_s = _load(store, scale)
            runs.append({"scale": scale, "ingest_s": round(ingest_s, 1), **measure(store, "embedded")})
        if args.neo4j:
            from graph.neo4j_store import Neo4jStore
            from graph.settings import Settings

            with Neo4jStore.from_settings(Settings.from_env(), schema) as neo:
                neo.clear()
                neo.setup_schema()
                ingest_s = _load(neo, scale)
                runs.append({"scale": scale, "ingest_s": round(ingest_s, 1), **measure(neo, "neo4j")})
    print(record("editions", {"runs": runs}))


if __name__ == "__main__":
    main()
