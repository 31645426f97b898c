"""Editions: time, size and peak memory to create one, to diff two, and to restore one for reading, on a store
holding the bundled data (--scale 0), a synthetic ecosystem loaded by the pipeline (--scale N; 15 ≈ 100k
nodes), or the million-node graph loaded by LadybugDB's raw COPY (--replica 15x10; bench/replicate.py).

    .venv/bin/python bench/editions.py --scale 0 --scale 15 --in-memory   # embedded; also the old in-memory diff
    .venv/bin/python bench/editions.py --replica 15x10                    # ≈ 970k nodes, 3.5 M relationships
    .venv/bin/python bench/editions.py --scale 0 --neo4j                  # also the Neo4j of NEO4J_URI (CLEARED)

Each step runs in its own process. ``*_opened_rss_mb`` is the RSS once the store is open; ``*_peak_rss_mb`` the
peak RSS during the step alone (the kernel's VmHWM, reset after opening) — on the embedded store it includes the
buffer pool's pages as the step fills them; with --trace, ``*_python_peak_mb`` is Python's own peak (tracemalloc).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import WORK, record, status_mb, synthetic_folder

from graph.edition_lines import store_lines
from graph.editions import create_edition, delete_edition, edition_store, load_snapshot
from graph.schema import default_schema
from graph.store import GraphStore
from reports.diff import diff_editions, diff_snapshots

log = logging.getLogger("bench.editions")


def _reset_peak() -> None:
    """Start the kernel's peak-RSS mark (VmHWM) afresh, so that it measures the step alone (Linux ≥ 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def _open(where: str) -> GraphStore:
    if where == "neo4j":
        from graph.neo4j_store import Neo4jStore
        from graph.settings import Settings

        return Neo4jStore.from_settings(Settings.from_env(), default_schema())
    from graph.embedded_store import EmbeddedStore

    return EmbeddedStore(Path(where), default_schema(), buffer_pool_mb=int(os.environ.get("BENCH_POOL_MB", "1024")))


def _ingest(store: GraphStore, scale: float) -> float:
    from ingest.pipeline import run_ingest
    from ingest.sources import DATA_DIR, bundled_sources

    data_dir = DATA_DIR if scale == 0 else synthetic_folder(scale)
    started = time.perf_counter()
    result = run_ingest(store, bundled_sources(store.schema), data_dir=data_dir)
    if not result.ok:
        raise SystemExit(result.report.summary())
    return time.perf_counter() - started


def _change(store: GraphStore, ties: bool) -> None:
    """A year's worth of change: 100 new labs in Dongguan, 100 enterprises renamed, 100 cluster ties removed.
    Without ``ties``, only the nodes: LadybugDB's checkpoint after a relationship is deleted from a table of
    millions rewrites that table (it ran past 15 minutes at a million nodes on the shared machine)."""
    rows = [{"id": f"lab/bench-{i}", "name_zh": f"基准实验室{i}", "chain_stage": "basic_research"} for i in range(100)]
    store.upsert_nodes("Laboratory", rows)
    if not ties:
        names = store.read("MATCH (e:Enterprise) RETURN e.id AS eid ORDER BY eid LIMIT 100").rows
        store.upsert_nodes("Enterprise", [{"id": r["eid"], "name_zh": f"更名企业{i}"} for i, r in enumerate(names)])
        return
    store.upsert_relationships(
        "LOCATED_IN", "Laboratory", "City", [{"from_id": r["id"], "to_id": "city/441900"} for r in rows]
    )
    pairs = store.read(
        "MATCH (e:Enterprise)-[:IN_CLUSTER]->(c:IndustryCluster) RETURN e.id AS eid, c.id AS cid "
        "ORDER BY eid, cid LIMIT 200"
    ).rows
    renamed = [{"id": t["eid"], "name_zh": f"更名企业{i}"} for i, t in enumerate(pairs[::2][:100])]
    store.upsert_nodes("Enterprise", renamed)
    gone = [(str(t["eid"]), str(t["cid"])) for t in pairs[1::2][:100]]
    store.delete_relationships("IN_CLUSTER", "Enterprise", "IndustryCluster", gone)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - started, 2)


def step(name: str, where: str) -> dict[str, Any]:
    """One measured step on an opened store; the parent runs each in a child process."""
    if name.startswith("ingest:"):  # the pipeline's memory stays in its own process
        with _open(where) as store:
            store.setup_schema()
            return {"ingest_s": round(_ingest(store, float(name.split(":")[1])), 1)}
    with _open(where) as store:
        opened = status_mb("VmRSS")
        _reset_peak()
        cpu = time.process_time()  # all threads' CPU time: steadier than wall time on a shared machine
        if name == "create-a":
            info, seconds = _timed(lambda: create_edition(store, "bench-a", replace=True))
            out = {"create_s": seconds, "nodes": info.nodes, "relationships": info.relationships}
            out |= {"size_bytes": info.size_bytes, "parts": info.parts}
        elif name == "change":  # closing the store checkpoints the change (rewriting the big relationship
            ties = os.environ.get("BENCH_CHANGE", "all") == "all"
            _, seconds = _timed(lambda: _change(store, ties))  # tables): done here, not inside the next create
            out = {"change_s": seconds}
        elif name == "create-b":
            _, seconds = _timed(lambda: create_edition(store, "bench-b", replace=True))
            out = {"create_b_s": seconds}
        elif name == "diff":
            diff, seconds = _timed(lambda: diff_editions(store, "bench-a", "bench-b"))
            out = {"diff_s": seconds, "changes": diff.totals()}
        elif name == "scan":  # the store's read alone (no sort, no compression): create's floor
            lines, seconds = _timed(lambda: sum(1 for _ in store_lines(store)))
            out = {"scan_s": seconds, "scan_lines": lines}
        elif name == "traced":  # Python's own allocations (tracemalloc, slow): what the buffer pool hides in RSS
            tracemalloc.start()
            create_edition(store, "bench-t", replace=True)
            _, create_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            diff_editions(store, "bench-a", "bench-b")
            _, diff_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            delete_edition(store, "bench-t")
            out = {"create_python_peak_mb": round(create_peak / 2**20), "diff_python_peak_mb": round(diff_peak / 2**20)}
        elif name == "diff-in-memory":  # the way before streaming: both snapshots whole, compared as dicts
            (old, new), load_s = _timed(lambda: (load_snapshot(store, "bench-a"), load_snapshot(store, "bench-b")))
            diff, seconds = _timed(lambda: diff_snapshots(store.schema, old, new, "bench-a", "bench-b"))
            out = {"in_memory_load_both_s": load_s, "in_memory_diff_s": seconds}
            out["in_memory_total_s"] = round(load_s + seconds, 2)
        else:  # restore: into a fresh cache, then open the cached copy
            cache = Path(tempfile.mkdtemp(prefix="edition-cache-"))
            try:
                started = time.perf_counter()
                with edition_store(store, "bench-a", cache=cache):
                    restored = round(time.perf_counter() - started, 2)
                started = time.perf_counter()
                with edition_store(store, "bench-a", cache=cache):
                    cached = round(time.perf_counter() - started, 2)
                out = {"restore_for_reading_s": restored, "open_cached_s": cached}
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        during = status_mb("VmHWM")
        cpu = time.process_time() - cpu
    key = "in_memory_peak_rss_mb" if name == "diff-in-memory" else f"{name.replace('-', '_')}_peak_rss_mb"
    # (not ru_maxrss: a child forked from a big parent starts with the parent's peak)
    out[key.replace("peak_rss_mb", "cpu_s")] = round(cpu, 1)
    return {**out, key: during, key.replace("peak", "opened"): opened}


def child(name: str, where: str) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, "--where", where], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"step {name} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    # the whole child: start, open, the step, and closing the store (an embedded store checkpoints then)
    result[f"{name.replace('-', '_')}_process_s"] = round(time.perf_counter() - started, 1)
    log.info("%s: %s", name, result)
    return result


def measure(
    where: str, label: str, *, in_memory: bool, restore: bool, trace: bool, skip_create: bool = False
) -> dict[str, Any]:
    figures: dict[str, Any] = {"store": label, "buffer_pool_mb": int(os.environ.get("BENCH_POOL_MB", "1024"))}
    figures["change"] = os.environ.get("BENCH_CHANGE", "all")
    for name in ("create-a", "change", "create-b", "diff") if not skip_create else ():
        figures |= child(name, where)
    if in_memory:
        figures |= child("diff-in-memory", where)
    if trace:
        figures |= child("scan", where)
        figures |= child("traced", where)
    if restore:
        figures |= child("restore", where)
    return figures


def _load_replica(replica: str, reuse: bool, into: str | None) -> tuple[str, dict[str, Any]]:
    """The replicated tables (bench/replicate.py) copied into an empty store by bench/ingest.py's raw COPY (into
    bench/work/INTO/raw-copy.lbdb when given, else beside the tables)."""
    from replicate import bench_ingest  # bench/replicate.py, beside this file

    tables = WORK / f"replica-{replica}"
    work = WORK / into if into else tables
    if reuse and (work / "raw-copy.lbdb").exists():
        return str(work / "raw-copy.lbdb"), {"load": "raw COPY of replicated final tables (loaded before)"}
    if not (tables / "raw-copy.json").exists():
        raise SystemExit(f"run bench/replicate.py first: {tables} has no raw-copy.json")
    if work != tables:
        work.mkdir(parents=True, exist_ok=True)
        shutil.copy(tables / "raw-copy.json", work / "raw-copy.json")
    loaded = bench_ingest(work).embedded_raw_copy(default_schema())  # type: ignore[attr-defined]
    return str(work / "raw-copy.lbdb"), {"load": "raw COPY of replicated final tables", "raw_copy": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, action="append", help="0 = the bundled data (repeatable)")
    parser.add_argument("--replica", action="append", help="e.g. 15x10: bench/replicate.py's tables (repeatable)")
    parser.add_argument("--neo4j", action="store_true", help="also on the Neo4j of NEO4J_URI (cleared first!)")
    parser.add_argument("--in-memory", action="store_true", help="also the old in-memory diff (small scales)")
    parser.add_argument("--no-restore", action="store_true", help="skip restoring an edition for reading")
    parser.add_argument("--reuse", action="store_true", help="a replica's store loaded by an earlier run")
    parser.add_argument("--trace", action="store_true", help="also the store's read alone, and Python's own peaks")
    parser.add_argument("--skip-create", action="store_true", help="a --reuse'd store has bench-a and bench-b")
    parser.add_argument("--change", choices=("all", "nodes"), default="all", help="nodes: leave the ties alone")
    parser.add_argument("--load-into", help="a folder under bench/work for the replica's store")
    parser.add_argument("--pool-mb", type=int, default=1024, help="the embedded store's buffer pool in each step")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--where", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.child:
        print(json.dumps(step(args.child, args.where)))
        return
    os.environ["BENCH_POOL_MB"] = str(args.pool_mb)  # the children inherit these
    os.environ["BENCH_CHANGE"] = args.change
    options = {"in_memory": args.in_memory, "restore": not args.no_restore, "trace": args.trace}
    options["skip_create"] = args.skip_create
    runs = []
    for replica in args.replica or []:
        where, loaded = _load_replica(replica, args.reuse, args.load_into)
        runs.append({"replica": replica, **loaded, **measure(where, "embedded", **options)})
    for scale in args.scale or ([] if args.replica else [0.0]):
        path = WORK / f"editions-{scale:g}.lbdb"
        if path.is_dir():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
        ingest = child(f"ingest:{scale:g}", str(path))
        runs.append({"scale": scale, "ingest_s": ingest["ingest_s"], **measure(str(path), "embedded", **options)})
        if args.neo4j:
            with _open("neo4j") as neo:
                neo.clear()
                neo.setup_schema()
                ingest_s = _ingest(neo, scale)
            runs.append({"scale": scale, "ingest_s": round(ingest_s, 1), **measure("neo4j", "neo4j", **options)})
    for run in runs:
        print(json.dumps(run, ensure_ascii=False))
    print(record("editions", {"runs": runs}))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
