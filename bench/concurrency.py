"""Many users at once on one embedded store, shared the way the app shares it (one per process).

1. Readers: N threads run the named queries of the chain, explore and map pages on one store, each read within the
   app's limits; once with every read on its own connection (the store's pool) and once with one lock around every
   read (one read at a time, what a single shared connection amounts to); same work, same store, side by side,
   alternating ``--rounds`` times. Throughput (reads/s) and per-read latency.
2. Sessions: S Streamlit sessions (AppTest, one thread each, all sharing the cached store of app_pages/common.py)
   walk chain → explore → map (open each page, then pick a cluster or search a name). Per page render: p50/p95,
   errors (an exception or an error box on the page).

Usage:
  .venv/bin/python bench/concurrency.py --embedded-path PATH --data "bundled" [--sessions 16] [--readers 8]
  .venv/bin/ckg ingest --embedded-path /tmp/b.lbdb                  # the bundled data into a fresh store
  .venv/bin/ckg ingest --embedded-path /tmp/s15.lbdb --data-dir bench/work/synth-15   # synthetic scale 15
Results: bench/results/concurrency.json.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import resource
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common import REPO, percentile, record

log = logging.getLogger("bench.concurrency")
TOPOLOGY_WAIT_S = 300.0
CLUSTERS = ["E01", "E02", "E03", "E04", "E05", "E06", "E07", "E08", "E09", "E10"]


def summary_ms(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
    }


def run_all(threads: list[threading.Thread]) -> float:
    """Start every thread before joining any, so they all overlap; the wall seconds from the first start to the
    last join (the threads are built beforehand, outside the time)."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def search_words(store: Any) -> list[str]:
    """Parts of real names in the loaded graph (a university hosting labs, enterprises): what a visitor types."""
    rows = store.read(
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University) RETURN u.name_zh AS name, count(l) AS labs "
        "ORDER BY labs DESC, name LIMIT 4"
    ).rows
    firms = store.read("MATCH (e:Enterprise) RETURN e.name_zh AS name ORDER BY e.id LIMIT 4").rows
    return [str(r["name"])[:4] for r in rows + firms if r["name"]] or ["实验室"]


# ---------------------------------------------------------------- 1. readers: a pool of connections vs one lock
def workload(store: Any) -> list[tuple[str, dict[str, Any]]]:
    """The reads of one walk through chain → explore → map, with real ids."""
    hub = store.read(
        "MATCH (l:Laboratory)-[:HOSTED_BY]->(u:University) RETURN u.id AS id, count(l) AS labs "
        "ORDER BY labs DESC, id LIMIT 1"
    ).rows[0]["id"]
    firm = store.read("MATCH (e:Enterprise) RETURN e.id AS id ORDER BY e.id LIMIT 1").rows[0]["id"]
    word = search_words(store)[0]
    reads: list[tuple[str, dict[str, Any]]] = [("cluster_list", {})]
    for code in CLUSTERS[:2]:
        p = {"cluster": code}
        reads += [("cluster_chain_graph", p), ("cluster_chain", p), ("cluster_chain_links", p), ("cluster_entities", p)]
    reads += [
        ("search_entities", {"text": word}),
        ("entity_details", {"id": hub}),
        ("entity_edges", {"id": hub}),
        ("entity_neighbourhood", {"id": firm, "hops": 1}),
        ("stage_map", {"stage": "all"}),
        ("cluster_map", {"cluster": "E01", "stage": "all"}),
    ]
    return reads


def run_readers(store: Any, readers: int, reads: list[tuple[str, dict[str, Any]]], locked: bool) -> dict[str, Any]:
    from graph.settings import Settings
    from queries.catalog import get_query

    settings = Settings.from_env()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    guard: Callable[[], contextlib.AbstractContextManager[Any]] = (lambda: lock) if locked else contextlib.nullcontext

    def reader(i: int) -> None:
        mine = reads[i % len(reads) :] + reads[: i % len(reads)]  # each reader starts elsewhere in the walk
        for name, params in mine:
            started = time.perf_counter()
            try:
                with guard():
                    get_query(name).run(store, params, timeout_s=settings.query_timeout_s, row_cap=settings.row_cap)
            except Exception as exc:  # a timeout is a result here, not a crash of the benchmark
                errors.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            latencies.append(time.perf_counter() - started)

    wall = run_all([threading.Thread(target=reader, args=(i,)) for i in range(readers)])
    return {"wall_s": round(wall, 2), "reads_per_s": round(len(latencies) / wall, 1), "errors": errors,
            **summary_ms(latencies)}  # fmt: skip


def compare_readers(path: Path, readers: int, rounds: int) -> dict[str, Any]:
    from graph.factory import open_store
    from graph.settings import Settings

    store = open_store(Settings.from_env({**os.environ, "CLUSTERKG_EMBEDDED_PATH": str(path)}), read_only=True)
    try:
        reads = workload(store)
        run_readers(store, 1, reads, locked=False)  # warm the caches and plans once, not timed
        runs: dict[str, list[dict[str, Any]]] = {"pool": [], "lock": []}
        for _ in range(rounds):
            for mode in ("pool", "lock"):
                runs[mode].append(run_readers(store, readers, reads, locked=mode == "lock"))
                log.info("readers %s: %s", mode, {k: v for k, v in runs[mode][-1].items() if k != "errors"})
    finally:
        store.close()
    best = {mode: max(r["reads_per_s"] for r in rs) for mode, rs in runs.items()}
    return {
        "readers": readers,
        "reads_per_reader": len(reads),
        "runs": runs,
        "best_reads_per_s": best,
        "pool_over_lock_throughput": round(best["pool"] / best["lock"], 2),
        "median_p95_ms": {m: statistics.median(r["p95_ms"] for r in rs) for m, rs in runs.items()},
    }


# ---------------------------------------------------------------- 2. app sessions (AppTest, one thread each)
def let_app_tests_overlap() -> None:
    """AppTest sets the process-wide Streamlit Runtime (a mock) when a run starts and clears it when the run ends;
    with runs in several threads, one run's end pulls the runtime from under the others ("Runtime hasn't been
    created!"). Keep the last one set for every run. Likewise each run patches config.get_option to say "in a
    test" and puts back what it found, so an overlapping run can end up outside the test mode (its widgets then
    keep stale format functions): say "in a test" for the whole benchmark. Sessions, widgets and pages stay each
    AppTest's own; caches (the store of app_pages/common.py) are process-wide, as in the app."""
    from streamlit import config
    from streamlit.runtime.runtime import Runtime
    from streamlit.testing.v1.util import build_mock_config_get_option

    config.get_option = build_mock_config_get_option({"global.appTest": True})  # type: ignore[assignment]

    last: list[Any] = []

    def current(cls: type[Runtime]) -> Any:
        if cls._instance is not None:
            last[:] = [cls._instance]
        if not last:
            raise RuntimeError("Runtime hasn't been created!")
        return last[0]

    Runtime.instance = classmethod(current)  # type: ignore[method-assign, assignment]
    Runtime.exists = classmethod(lambda cls: cls._instance is not None or bool(last))  # type: ignore[method-assign, assignment]
    scan_components_once()
    share_script_cache()


def share_script_cache() -> None:
    """AppTest gives every run a script cache of its own, so 16 sessions compile every page 16 times, at once. A
    server compiles each page once, under one lock, for every session; so does this benchmark. (The concurrent
    compiles also met a CPython 3.11.7 bug: "AST constructor recursion depth mismatch", in 1–2 runs of 7.)"""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[assignment, attr-defined]
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment, attr-defined]


def scan_components_once() -> None:
    """Every AppTest run looks for installed v2 components by reading the metadata of every installed package (312
    here): 0.84 s of Python a run, held under the GIL, so 16 sessions opening the app at once queue 13 s behind it.
    A Streamlit server scans once, when it starts; so does this benchmark (the app declares no v2 component)."""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


class Walk:
    """One visitor: chain (pick a cluster) → explore (search a name) → map (pick a cluster)."""

    def __init__(self, number: int, word: str) -> None:
        from streamlit.testing.v1 import AppTest

        self.app = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
        self.cluster = CLUSTERS[number % len(CLUSTERS)]
        self.word = word
        self.pages: dict[str, list[float]] = {}
        self.errors: list[str] = []

    @contextlib.contextmanager
    def page(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except Exception as exc:  # the walk goes on; the error is counted
            self.errors.append(f"{step}: {type(exc).__name__}: {exc}"[:300])
        self.pages.setdefault(step, []).append(time.perf_counter() - started)
        self.errors += [f"{step}: {e.value}"[:300] for e in self.app.exception]
        self.errors += [f"{step}: error box: {e.value}"[:300] for e in self.app.error]

    def run(self) -> None:
        app = self.app
        with self.page("overview"):
            app.run()
        with self.page("chain"):
            app.switch_page("app_pages/chain.py").run()
        with self.page("chain: pick a cluster"):
            app.selectbox(key="chain_cluster").set_value(self.cluster).run()
        with self.page("explore"):
            app.switch_page("app_pages/explore.py").run()
        with self.page("explore: search"):
            app.text_input(key="explore_text").set_value(self.word).run()
        with self.page("map"):
            app.switch_page("app_pages/map.py").run()
        with self.page("map: pick a cluster"):
            app.selectbox(key="map_cluster").set_value(self.cluster).run()


def time_reads(store: Any) -> list[float]:
    """Wrap the shared store's read methods (on this object only) to time every read the pages make."""
    samples: list[float] = []
    for name in ("read", "read_all"):
        method = getattr(store, name)

        def timed(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                samples.append(time.perf_counter() - started)

        setattr(store, name, timed)
    return samples


def run_sessions(path: Path, sessions: int) -> dict[str, Any]:
    from app_pages.common import forget_store, store
    from graph import topology

    os.environ["CLUSTERKG_EMBEDDED_PATH"] = str(path)
    let_app_tests_overlap()
    forget_store()
    words = search_words(store())
    reads = time_reads(store())
    alone = Walk(0, words[0])
    alone.run()  # one visitor first, alone: the store opened and caches warm; its pages are the baseline
    alone_reads = summary_ms(reads)
    # the app's in-memory topology (paths, listings) builds in the background from the store's opening: the
    # sessions start once it is ready, as they would on an app that has been up for a while
    started = time.perf_counter()
    ready = topology.ready(store(), TOPOLOGY_WAIT_S) is not None
    topology_wait_s = round(time.perf_counter() - started, 1)
    reads.clear()
    walks = [Walk(i, words[i % len(words)]) for i in range(sessions)]
    wall = run_all([threading.Thread(target=w.run) for w in walks])
    forget_store()
    by_step: dict[str, list[float]] = {}
    for walk in walks:
        for step, samples in walk.pages.items():
            by_step.setdefault(step, []).extend(samples)
    every = [s for samples in by_step.values() for s in samples]
    errors = [e for w in walks for e in w.errors]
    return {
        "sessions": sessions,
        "topology": {"ready": ready, "waited_after_the_first_walk_s": topology_wait_s},
        "wall_s": round(wall, 1),
        "one_session_alone": {
            "pages": {step: round(s[0] * 1000, 1) for step, s in alone.pages.items()},
            "reads": alone_reads,
            "errors": alone.errors,
        },
        "reads_during_sessions": {**summary_ms(reads), "total_s": round(sum(reads), 1)},
        "pages": summary_ms(every),
        "by_step": {step: summary_ms(samples) for step, samples in by_step.items()},
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:10],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded-path", type=Path, required=True)
    parser.add_argument("--data", required=True, help="what the store holds, for the record (bundled, scale 15 …)")
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--skip-readers", action="store_true")
    parser.add_argument("--skip-sessions", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="print only (a trial run)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ.pop("NEO4J_URI", None)  # the embedded store: the one whose connection handling this measures
    os.environ["CLUSTERKG_BACKEND"] = "embedded"
    from graph.settings import Settings

    settings = Settings.from_env()
    payload: dict[str, Any] = {
        "benchmark": "many users at once on one shared embedded store",
        "data": args.data,
        "limits": {"timeout_s": settings.query_timeout_s, "row_cap": settings.row_cap},
    }
    if not args.skip_readers:
        payload["readers"] = compare_readers(args.embedded_path, args.readers, args.rounds)
        print("readers:", {k: v for k, v in payload["readers"].items() if k != "runs"})
    if not args.skip_sessions:
        payload["sessions"] = run_sessions(args.embedded_path, args.sessions)
        print("sessions:", payload["sessions"])
    payload["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if not args.no_record:
        print(f"written to {record('concurrency', payload)}")


if __name__ == "__main__":
    main()
