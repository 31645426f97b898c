"""Time to render each page of the app (Streamlit AppTest, server side), on both stores, side by side.

Usage:
  .venv/bin/python bench/app_render.py [--runs 5] [--embedded-path PATH]   # the bundled data
  .venv/bin/python bench/app_render.py --runs 3 --scale 150                # the stores bench/ingest.py left loaded
  .venv/bin/python bench/app_render.py --runs 3 --scale 150 --pages chain map --skip-neo4j   # some pages, one store
  .venv/bin/python bench/app_render.py --runs 3 --pages report --report-cities 深圳市 --warm-topology …  # a city picked
Needs the same graph in the embedded store and, for the Neo4j column, in the Neo4j that NEO4J_* (or, with
--scale, scripts/neo4j-dev) points to. Records the median and each page's first render (the one that reads the
store; later renders reuse the answers it kept until the graph changes). Appends to bench/results/app_render.json
and prints a table.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

from common import REPO, WORK, neo4j_settings_env, record
from streamlit.testing.v1 import AppTest

from graph.settings import Settings

log = logging.getLogger("bench.app_render")
TOPOLOGY_WAIT_S = 600.0
PAGES = ["overview", "chain", "explore", "map", "compare", "targets", "lists", "report", "console", "export", "quality"]


def time_pages(
    runs: int,
    first: dict[str, float] | None = None,
    pages: list[str] = PAGES,
    warm_topology: bool = False,
    report_cities: list[str] | None = None,
) -> dict[str, float]:
    """Each page's median render time; ``first`` receives each page's first render, the one that reads the store
    (the later runs find the answers the first one kept: queries/answer_cache.py). With ``warm_topology`` the pages
    are timed once the store's in-memory snapshot is built, as on an app that has been up for a while, where the app
    keeps one (app_pages/common.py: of either store since 2026-12-04; of the embedded one alone before)."""
    from app_pages.common import forget_store, store
    from graph import topology

    forget_store()
    if warm_topology and topology.kept(store()):
        started = time.perf_counter()
        built = topology.ready(store(), TOPOLOGY_WAIT_S) is not None
        log.info("topology snapshot %s after %.1f s", "ready" if built else "NOT built", time.perf_counter() - started)
    elif warm_topology:
        log.info("the app keeps no snapshot of the %s store: its pages are timed without one", store().backend)
    medians = {}
    for page in pages:
        samples = []
        for _ in range(runs):
            app = AppTest.from_file(str(REPO / "app.py"), default_timeout=900)  # a first yearly report at scale 150
            app.run()  # the router and the overview page; the store is opened once per process
            started = time.perf_counter()
            if page == "overview":
                app.run()
            else:
                app.switch_page(f"app_pages/{page}.py").run()
            samples.append(time.perf_counter() - started)
            assert not app.exception, (page, app.exception)
        medians[page] = statistics.median(samples)
        if first is not None:
            first[page] = samples[0]
    for city in report_cities or []:  # a city picked on the report page, after the default city's report
        samples = []
        for _ in range(runs):
            app = AppTest.from_file(str(REPO / "app.py"), default_timeout=900)
            app.run()
            app.switch_page("app_pages/report.py").run()
            started = time.perf_counter()
            app.selectbox(key="report_city").set_value(city).run()
            samples.append(time.perf_counter() - started)
            assert not app.exception, (city, app.exception)
        medians[f"report {city}"] = statistics.median(samples)
        if first is not None:
            first[f"report {city}"] = samples[0]
    forget_store()
    return medians


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--embedded-path", default=str(Path.home() / ".local/share/clusterkg/graph.lbdb"))
    parser.add_argument("--scale", type=float, help="the synthetic stores of bench/ingest.py at this scale")
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=PAGES, help="only these pages")
    parser.add_argument("--data", help="what the stores hold, as the results name it")
    parser.add_argument("--skip-neo4j", action="store_true", help="the embedded store alone")
    parser.add_argument("--report-cities", nargs="+", default=[], help="also time the report page of these cities")
    parser.add_argument(
        "--warm-topology", action="store_true", help="time the pages once the in-memory snapshot is built"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.scale:
        args.embedded_path = str(WORK / f"scale-{args.scale:g}.lbdb")
        os.environ.update(neo4j_settings_env())
    neo4j_env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("NEO4J_")}
    os.environ["CLUSTERKG_EMBEDDED_PATH"] = args.embedded_path
    firsts: dict[str, dict[str, float]] = {"embedded": {}}
    results = {
        "embedded": time_pages(args.runs, firsts["embedded"], args.pages, args.warm_topology, args.report_cities)
    }
    if neo4j_env and not args.skip_neo4j:
        os.environ.update(neo4j_env)
        firsts["neo4j"] = {}
        results["neo4j"] = time_pages(args.runs, firsts["neo4j"], args.pages, args.warm_topology, args.report_cities)
    out = record(
        "app_render",
        {
            "benchmark": "app page render time (AppTest, server side, median of runs)",
            "data": args.data or (f"synthetic scale {args.scale:g}" if args.scale else args.embedded_path),
            "runs": args.runs,
            "warm_topology": args.warm_topology,
            # the chain page lists a bigger cluster's members on request (CLUSTERKG_LISTED_AT_ONCE)
            "listed_at_once": Settings.from_env().listed_at_once,
            "seconds": results,
            "first_seconds": firsts,
        },
    )
    print(f"{'page':10} " + " ".join(f"{b:>10}" for b in results))
    for page in [*args.pages, *(f"report {city}" for city in args.report_cities)]:
        print(f"{page:10} " + " ".join(f"{results[b][page]:10.3f}" for b in results))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
