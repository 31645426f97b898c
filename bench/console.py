"""A console query on the embedded store: a child started for the query vs the spare child that waits with its
libraries loaded (graph/sandbox.py SpareChild), side by side, alternating, on the same store.

Usage:
  .venv/bin/python bench/console.py --embedded-path PATH [--runs 20]

Each "fresh" run first stops the waiting child, so the query starts its own, as every query did before; each
"spare" run finds one waiting (started, then given a pause to load, as while a user types). Both answer the same
rows (checked). Appends to bench/results/console.json and prints p50/p95 and the ratio.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from common import percentile, record

from graph.sandbox import SPARE, child_env, run_sandboxed

log = logging.getLogger("bench.console")
QUERY = "MATCH (c:City) RETURN c.name_zh AS city ORDER BY city"
TYPING_PAUSE_S = 2.0  # between queries: the spare child loads meanwhile


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedded-path", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {"fresh": [], "spare": []}
    answers = set()
    for _ in range(args.runs):
        for way in ("fresh", "spare"):
            if way == "fresh":
                SPARE.close()
            else:
                SPARE.refill(child_env())
            time.sleep(TYPING_PAUSE_S)
            started = time.perf_counter()
            result = run_sandboxed(args.embedded_path, QUERY, {}, timeout_s=10, row_cap=1000)
            samples[way].append(time.perf_counter() - started)
            answers.add(tuple(r["city"] for r in result.rows))
    SPARE.close()
    if len(answers) != 1:
        raise SystemExit("the two ways answered differently")
    summary = {
        way: {"p50_s": round(percentile(s, 0.5), 3), "p95_s": round(percentile(s, 0.95), 3)}
        for way, s in samples.items()
    }
    ratio = summary["fresh"]["p50_s"] / summary["spare"]["p50_s"]
    path = record(
        "console",
        {"query": QUERY, "runs": args.runs, "store": str(args.embedded_path), **summary, "p50_ratio": round(ratio, 2)},
    )
    for way, figures in summary.items():
        log.info("%-6s p50 %.3f s  p95 %.3f s", way, figures["p50_s"], figures["p95_s"])
    log.info("fresh / spare (p50): %.2f×  → %s", ratio, path)


if __name__ == "__main__":
    main()
