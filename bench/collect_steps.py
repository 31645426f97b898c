"""The collect phase's steps, timed one by one, before and after a change: trees taking turns, a process each run.

Usage:
  git worktree add /tmp/ckg-before <commit> && \
      .venv/bin/python bench/collect_steps.py --baseline /tmp/ckg-before --scale 50 --runs 2   # ≈ 4 min

The steps are the pipeline's (ingest/pipeline.py ``_run``) on bench/work/synth-SCALE: read and map every source
(``gather``), resolve and infer (``build``), make the nodes' rows (``node_rows``) and the ties' rows
(``relationship_rows``), their tables spilled to a temporary folder as a run spills them. Nothing is written to a
store, so a step's time is its own: bench/ingest_profile.py times whole runs. Each run also gives a digest of every
node and tie table's rows: equal digests mean the change did not change the rows. Results:
bench/results/collect_steps.json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import answered_as_child, bench_trees, record, synthetic_folder, trees_parser, trees_taking_turns

log = logging.getLogger("bench.collect_steps")
STEPS = ("gather", "build", "node_rows", "relationship_rows")


def measure(data: Path) -> dict[str, Any]:
    """In a child, with the tree to measure first on sys.path: each step's seconds, the peak RSS, the rows' digest."""
    from graph.schema import default_schema
    from ingest.build import build, node_rows, relationship_rows

    try:
        from ingest.collector import no_cyclic_collections as quiet_collector
    except ImportError:  # a tree from before 2026-12-07, whose runs made the collections rarer
        from ingest.collector import rare_collections as quiet_collector
    from ingest.collecting import default_inferences, gather
    from ingest.report import Report
    from ingest.sources import bundled_sources

    schema, seconds = default_schema(), {}
    with quiet_collector(), tempfile.TemporaryDirectory() as spill:
        started = time.perf_counter()
        report = Report()
        gathered = gather(bundled_sources(schema), data, report)
        seconds["gather"], started = time.perf_counter() - started, time.perf_counter()
        built = build(gathered.statements, schema, data, report, inferences=default_inferences(schema, data))
        gathered.statements.clear()
        seconds["build"], started = time.perf_counter() - started, time.perf_counter()
        nodes = node_rows(built, schema, Path(spill))
        seconds["node_rows"], started = time.perf_counter() - started, time.perf_counter()
        links = built.links
        del built
        rels = relationship_rows(links, schema, Path(spill))
        seconds["relationship_rows"] = time.perf_counter() - started
        peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # before the digest's copies
        digest = hashlib.sha256()
        for key, table in sorted([*nodes.items(), *rels.items()], key=lambda item: str(item[0])):
            digest.update(str(key).encode())
            digest.update(str(table.to_pylist()).encode())
    return {
        "seconds": {step: round(seconds[step], 2) for step in STEPS},
        "collect_s": round(sum(seconds.values()), 2),
        "peak_rss_mb": peak_mb,
        "digest": digest.hexdigest(),
    }


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """A tree's median seconds by step and for the whole collect, and the distinct digests of its runs."""
    median = {step: statistics.median(r["seconds"][step] for r in results) for step in STEPS}
    median["collect"] = statistics.median(r["collect_s"] for r in results)
    return {"median_s": median, "digests": sorted({r["digest"] for r in results})}


def main() -> None:
    parser = trees_parser(runs=2)
    parser.add_argument("--scale", type=float, default=50)
    args = parser.parse_args()
    if answered_as_child(args, measure):
        return
    trees = bench_trees(args.baseline)
    runs = trees_taking_turns(__file__, synthetic_folder(args.scale), trees, args.runs)
    summary = {name: _summary(results) for name, results in runs.items()}
    trees_run = {name: str(tree) for name, tree in trees.items()}
    path = record("collect_steps", {"scale": args.scale, "trees": trees_run, "runs": runs, "summary": summary})
    log.info("%s", json.dumps(summary, indent=1))
    log.info("written to %s", path)


if __name__ == "__main__":
    main()
