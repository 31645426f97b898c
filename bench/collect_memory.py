"""Where the ingest's collect phase holds its memory: resident size after each step, per row read.

Usage:
  .venv/bin/python bench/collect_memory.py --scale 50      # ≈ 2 min; --scale 15 in 30 s
  .venv/bin/python bench/collect_memory.py --scale 50 --compact   # instead of the steps, in its own process
  .venv/bin/python bench/collect_memory.py --scale 150 --pipeline  # ≈ 4 min: the real run's steps, as below

The steps are the pipeline's (ingest/pipeline.py ``_run``): read every source, resolve, make the nodes' rows, make
the ties' rows, give back the caches. After each it records RSS, the high-water mark (VmHWM), Arrow's own
allocations and the elapsed time. --compact measures instead how much of the enterprises' records and ties is the
allocator's fragmentation rather than the objects: it pickles them, lets the originals go and loads the copy,
whose objects then sit together. --pipeline runs instead the real ``run_ingest`` into a fresh embedded store
(a 3 GiB pool unless CLUSTERKG_BUFFER_POOL_MB says otherwise) and records the highest RSS, sampled every 50 ms,
while each of its collect steps runs; it stops before the write. Results: bench/results/collect_memory.json.
"""

from __future__ import annotations

import argparse
import contextlib
import copyreg
import ctypes
import gc
import logging
import pickle
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import Any

import pyarrow as pa
from common import record, status_mb, synthetic_folder

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema
from graph.settings import Settings
from ingest import pipeline
from ingest import records as ingest_records
from ingest.build import build, node_rows, relationship_rows
from ingest.collecting import default_inferences, gather
from ingest.collector import give_back, no_cyclic_collections
from ingest.report import Report
from ingest.sources import bundled_sources

log = logging.getLogger("bench.collect_memory")


class Steps:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.rows: list[dict[str, Any]] = []

    def note(self, step: str) -> None:
        row = {
            "step": step,
            "s": round(time.perf_counter() - self.started, 1),
            "rss_mb": status_mb("VmRSS"),
            "hwm_mb": status_mb("VmHWM"),
            "arrow_mb": pa.total_allocated_bytes() >> 20,
        }
        self.rows.append(row)
        log.info("%s", row)


def steps(data: Path) -> tuple[list[dict[str, Any]], int]:
    schema = default_schema()
    report = Report()
    clock = Steps()
    clock.note("start")
    with no_cyclic_collections(), tempfile.TemporaryDirectory() as spill:
        gathered = gather(bundled_sources(schema), data, report)
        rows_read = sum(len(part.records) for part in gathered.statements.values())
        clock.note("read every source")
        built = build(gathered.statements, schema, data, report, inferences=default_inferences(schema, data))
        gathered.statements.clear()
        clock.note("resolved")
        nodes = node_rows(built, schema, Path(spill))
        links = built.links
        del built
        clock.note("nodes' rows made")
        rels = relationship_rows(links, schema, Path(spill))
        del links
        clock.note("ties' rows made")
        give_back()
        clock.note("caches given back")
        del nodes, rels
    return clock.rows, rows_read


class _StopBeforeTheWriteError(Exception):
    pass


def pipeline_steps(data: Path) -> list[dict[str, Any]]:
    """The highest RSS while each collect step of ``run_ingest`` runs (and between steps), sampled every 50 ms."""
    step, peaks = ["start"], dict[str, int]()  # the step running; step → MB

    def sample() -> None:
        while True:
            peaks[step[0]] = max(peaks.get(step[0], 0), status_mb("VmRSS"))
            time.sleep(0.05)

    def watched(name: str) -> None:
        inner = getattr(pipeline, name)

        def run(*args: Any, **kwargs: Any) -> Any:
            step[0] = name
            out = inner(*args, **kwargs)
            step[0] = f"after {name}"
            return out

        setattr(pipeline, name, run)

    def stop() -> None:
        raise _StopBeforeTheWriteError

    for name in ("gather", "read_stored", "statement_changes", "build", "node_rows", "relationship_rows"):
        watched(name)
    stop_at = "give_back"  # the step after the ties' rows
    setattr(pipeline, stop_at, stop)
    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as folder:
        schema = default_schema()
        store = EmbeddedStore(Path(folder) / "graph.lbdb", schema, buffer_pool_mb=Settings.from_env().buffer_pool_mb)
        step[0] = "store opened"
        with contextlib.suppress(_StopBeforeTheWriteError):
            pipeline.run_ingest(store, bundled_sources(schema), data_dir=data)
        time.sleep(0.1)
        store.close()
    return [{"step": name, "peak_rss_mb": mb} for name, mb in peaks.items()]


def _no_props() -> Any:
    return ingest_records.NO_PROPS


def compaction(data: Path) -> dict[str, Any]:
    """The enterprises' records and ties as read, then the same objects laid out together (a pickled copy)."""
    schema = default_schema()
    source = next(s for s in bundled_sources(schema) if s.name == "enterprises")
    base = status_mb("VmRSS")
    records, links = source.collect(data, Report())
    give_back()
    as_read = status_mb("VmRSS") - base
    copyreg.pickle(types.MappingProxyType, lambda _: (_no_props, ()))  # the shared empty properties stay shared
    blob = pickle.dumps((records, links), protocol=5)
    del records, links
    give_back()
    floor = status_mb("VmRSS") - (len(blob) >> 20)  # the interpreter's base and what the reading left behind
    records, links = pickle.loads(blob)
    del blob
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)
    laid_out = status_mb("VmRSS") - floor
    return {
        "records": len(records),
        "ties": len(links),
        "rss_as_read_mb": as_read,
        "rss_laid_out_mb": laid_out,
        "bytes_per_record_as_read": round(as_read * 2**20 / len(records)),
        "bytes_per_record_laid_out": round(laid_out * 2**20 / len(records)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--compact", action="store_true", help="also measure the enterprises' fragmentation")
    parser.add_argument("--pipeline", action="store_true", help="instead, the real run's steps, into a fresh store")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = synthetic_folder(args.scale)
    result: dict[str, Any] = {"scale": args.scale}
    if args.compact:  # alone in its process: the steps would leave their heap behind
        result["enterprises_compaction"] = compaction(data)
    elif args.pipeline:
        result["pipeline_steps"] = pipeline_steps(data)
        result["peak_rss_mb"] = max(row["peak_rss_mb"] for row in result["pipeline_steps"])
    else:
        figures, rows_read = steps(data)
        peak = max(row["hwm_mb"] for row in figures)
        result.update(records_read=rows_read, steps=figures, peak_rss_mb=peak)
        result["peak_bytes_per_record"] = round(peak * 2**20 / rows_read)
    log.info("written to %s", record("collect_memory", result))


if __name__ == "__main__":
    main()
