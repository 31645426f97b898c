"""A run's report of a file whose every row is wrong: its peak memory and time, before and after a change, trees
taking turns, a process each run.

Usage:
  git worktree add /tmp/ckg-before <commit> && \
      .venv/bin/python bench/report_memory.py --baseline /tmp/ckg-before --rows 500000   # ≈ 3 min

The data folder is the bundled one with its firms' file replaced by ``rows`` hostile rows
(tests/test_collector.py ``_hostile_firms``: each row raises several problems; 500,000 rows are 79 MiB and 2.8 M
problems). Each run reads and maps that source alone (``collect``), then writes the report's CSV as ``ckg ingest``
does, and gives the peak RSS after each step, the problems found and a digest of the CSV: equal digests mean the
report's text did not change. Results: bench/results/report_memory.json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import REPO, answered_as_child, bench_trees, record, trees_parser, trees_taking_turns

log = logging.getLogger("bench.report_memory")


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure(data: Path) -> dict[str, Any]:
    """In a child, with the tree to measure first on sys.path: the collect's and the CSV's seconds and peaks."""
    from graph.schema import default_schema
    from ingest.pipeline import collect
    from ingest.report import Report
    from ingest.sources import bundled_sources

    schema, report = default_schema(), Report()
    started = time.perf_counter()
    collect([s for s in bundled_sources(schema) if s.name == "enterprises"], schema, data, report)
    collect_s, collect_peak = time.perf_counter() - started, _peak_mb()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        report.write_csv(Path(folder) / "rejections.csv")
        csv_s = time.perf_counter() - started
        digest = hashlib.sha256(Path(folder, "rejections.csv").read_bytes()).hexdigest()
    total = getattr(report, "total", None) or len(report.issues)  # a tree from before 2026-12-07 held them all
    return {
        "problems": total,
        "collect_s": round(collect_s, 2),
        "collect_peak_rss_mb": collect_peak,
        "csv_s": round(csv_s, 2),
        "peak_rss_mb": _peak_mb(),
        "csv_digest": digest,
    }


def hostile_folder(rows: int, out: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.test_collector import _hostile_firms

    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(REPO / "data", out)
    _hostile_firms(out, rows)
    return out


def main() -> None:
    parser = trees_parser(runs=1)
    parser.add_argument("--rows", type=int, default=500_000, help="hostile rows in the firms' file")
    args = parser.parse_args()
    if answered_as_child(args, measure):
        return
    data = hostile_folder(args.rows, REPO / "bench" / "work" / f"hostile-{args.rows}")
    trees = bench_trees(args.baseline)
    runs = trees_taking_turns(__file__, data, trees, args.runs)
    firms = (data / "facts" / "enterprises.csv").stat().st_size
    payload = {"rows": args.rows, "file_mb": round(firms / 2**20, 1), "trees": {k: str(v) for k, v in trees.items()}}
    if "before" in runs:
        before, after = runs["before"][-1], runs["after"][-1]
        payload["peak_before_over_after"] = round(before["peak_rss_mb"] / after["peak_rss_mb"], 2)
        payload["same_csv"] = before["csv_digest"] == after["csv_digest"]
    path = record("report_memory", {**payload, "runs": runs})
    log.info("%s", json.dumps({**payload, "runs": runs}, indent=1))
    log.info("written to %s", path)


if __name__ == "__main__":
    main()
