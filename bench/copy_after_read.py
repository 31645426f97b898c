"""Why handing the embedded store ties a chunk at a time failed at scale 150: a COPY into a relationship table right
after a read of that table runs LadybugDB's buffer pool out (docs/SCALE.md, "Tried again on 2026-12-01").

The store's upsert looks up which of a chunk's pairs already exist before it COPYs the new ones. This script does
the same with LadybugDB alone, on the scale-150 tables bench/ingest.py wrote as Parquet (bench/work/raw-copy-parquet):
it loads the enterprises and clusters, then COPYs the ``IN_CLUSTER`` files one by one, with, before each COPY after
the first, nothing ("plain"), a look-up of the file's enterprise ids ("ids"), or a look-up of its pairs through the
relationship table ("pairs"). Each mode runs in its own process with the same buffer pool.

Usage:
  .venv/bin/python bench/ingest.py --scale 150 --skip-neo4j    # once: writes bench/work/raw-copy-parquet
  .venv/bin/python bench/copy_after_read.py [--pool-mb 3072]    # ≈ 8 min
Results: bench/results/copy_after_read.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import time
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.parquet as pq
from common import WORK, record

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema

log = logging.getLogger("bench.copy_after_read")
PARQUET = WORK / "raw-copy-parquet"
MODES = ("plain", "ids", "pairs")
LOOKUPS = {
    "ids": "LOAD FROM $ids WITH i MATCH (a:Enterprise {id: i}) RETURN a.id",
    "pairs": "LOAD FROM $ids WITH i MATCH (a:Enterprise {id: i})-[:IN_CLUSTER]->(b:IndustryCluster) RETURN a.id, b.id",
}
BATCH = 50_000  # ids per look-up, as graph/embedded_writes.py


def run_mode(mode: str, pool_mb: int) -> dict[str, Any]:
    """In the child: a fresh store, the nodes, then the IN_CLUSTER files with this mode's read before each COPY."""
    path = WORK / f"copy-after-read-{mode}.lbdb"
    for leftover in path.parent.glob(path.name + "*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    with EmbeddedStore(path, default_schema(), buffer_pool_mb=pool_mb) as tables:
        tables.setup_schema()
    conn = ladybug.Connection(ladybug.Database(str(path), buffer_pool_size=pool_mb * 1024 * 1024))
    started = time.perf_counter()
    for label in ("Enterprise", "IndustryCluster"):
        for part in sorted(PARQUET.glob(f"{label}-*.parquet")):
            conn.execute(f"COPY {label} FROM '{part}'")
    copies: list[float] = []
    error = None
    for number, part in enumerate(sorted(PARQUET.glob("IN_CLUSTER-Enterprise-IndustryCluster-*.parquet"))):
        step = f"look-up before COPY {number + 1}"
        try:
            if number and mode in LOOKUPS:
                ids = sorted(set(pq.read_table(part, columns=["from"]).column(0).to_pylist()))
                for start in range(0, len(ids), BATCH):
                    result = conn.execute(LOOKUPS[mode], {"ids": pa.table({"i": ids[start : start + BATCH]})})
                    assert isinstance(result, ladybug.QueryResult)  # one statement, one result
                    while result.has_next():
                        result.get_next()
            clock, step = time.perf_counter(), f"COPY {number + 1}"
            conn.execute(f"COPY IN_CLUSTER FROM '{part}' (from='Enterprise', to='IndustryCluster')")
        except RuntimeError as exc:
            error = f"{step}: {str(exc).splitlines()[0][:200]}"
            break
        copies.append(round(time.perf_counter() - clock, 1))
    shutil.rmtree(path, ignore_errors=True)
    return {
        "passed": error is None,
        "copies_done": len(copies),
        "copy_seconds": copies,
        "seconds": round(time.perf_counter() - started, 1),
        "error": error,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool-mb", type=int, default=3072)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.child:
        print(json.dumps(run_mode(args.child, args.pool_mb)))
        return
    files = len(list(PARQUET.glob("IN_CLUSTER-Enterprise-IndustryCluster-*.parquet")))
    if not files:
        raise SystemExit(f"no IN_CLUSTER Parquet files in {PARQUET}: run bench/ingest.py --scale 150 first")
    modes: dict[str, Any] = {}
    for mode in args.modes:
        args_ = [sys.executable, __file__, "--child", mode, "--pool-mb", str(args.pool_mb)]
        proc = subprocess.run(args_, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            modes[mode] = {"passed": False, "error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
        else:
            modes[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        log.info("%s: %s", mode, modes[mode])
    path = record("copy_after_read", {"data": "synthetic scale 150", "pool_mb": args.pool_mb, "files": files, **modes})
    log.info("written to %s", path)


if __name__ == "__main__":
    main()
