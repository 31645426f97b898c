"""Time to render each page of the app (Streamlit AppTest, server side), on both stores, side by side.

Usage: .venv/bin/python bench/app_render.py [--runs 5] [--embedded-path PATH]
Needs the bundled data in the embedded store (``ckg ingest``) and, for the Neo4j column, NEO4J_* set and
the same data in Neo4j (``ckg ingest --store neo4j``). Writes bench/results/app_render.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
PAGES = ["overview", "chain", "explore", "map", "targets", "lists", "console", "export", "quality"]


def time_pages(runs: int) -> dict[str, float]:
    from app_pages.common import _store

    _store.clear()
    medians = {}
    for page in PAGES:
        samples = []
        for _ in range(runs):
            app = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
            app.run()  # the router and the overview page; the store is opened once per process
            started = time.perf_counter()
            if page == "overview":
                app.run()
            else:
                app.switch_page(f"app_pages/{page}.py").run()
            samples.append(time.perf_counter() - started)
            assert not app.exception, (page, app.exception)
        medians[page] = statistics.median(samples)
    _store.clear()
    return medians


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--embedded-path", default=str(Path.home() / ".local/share/clusterkg/graph.lbdb"))
    args = parser.parse_args()
    neo4j_env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("NEO4J_")}
    os.environ["CLUSTERKG_EMBEDDED_PATH"] = args.embedded_path
    results = {"embedded": time_pages(args.runs)}
    if neo4j_env:
        os.environ.update(neo4j_env)
        results["neo4j"] = time_pages(args.runs)
    record = {
        "benchmark": "app page render time (AppTest, server side, median of runs)",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": args.runs,
        "seconds": results,
    }
    out = REPO / "bench" / "results" / "app_render.json"
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{'page':10} " + " ".join(f"{b:>10}" for b in results))
    for page in PAGES:
        print(f"{page:10} " + " ".join(f"{results[b][page]:10.3f}" for b in results))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
