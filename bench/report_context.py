"""A yearly report's first build (``Reporter.context``: every number it says, before any file is written), with
the code of two trees side by side on one store: this checkout and a copy from before a change (--baseline).
With --warm-topology each build starts once the store's in-memory snapshot is built, as in the app.

  git worktree add /tmp/ckg-before <commit>       # the tree to compare with
  .venv/bin/python bench/report_context.py --baseline /tmp/ckg-before --store bench/work/scale-150.lbdb \
      --data "synthetic scale 150 (bench/ingest.py)" --cities 深圳市 --clusters E01

Each build runs in a fresh process (nothing kept from an earlier build) that opens the store read-only, with the
buffer pool the app gives it (graph/settings.py); the two
trees alternate. Wall and CPU time and the process's peak RSS are recorded. The contexts' chain, stage counts,
sources and lists (each list's rows, as a set) are compared between the trees: equal means the change did not
change the report.
Results: bench/results/report_context.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import REPO, record

log = logging.getLogger("bench.report_context")

CHILD = """
import hashlib, json, resource, sys, time
sys.path.insert(0, {tree!r})
from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema
from graph.settings import default_buffer_pool_mb
from reports.build import Reporter
store = EmbeddedStore({store!r}, default_schema(), read_only=True, buffer_pool_mb=default_buffer_pool_mb())
with store, Reporter(store, since=None) as r:  # the buffer pool the app gives it
    if {warm!r}:  # as in the app, which keeps a snapshot of its store (graph/topology.py)
        from graph import topology
        waited = time.perf_counter()
        assert topology.ready(store, 900) is not None, "no topology snapshot"
        print("snapshot ready after", round(time.perf_counter() - waited, 1), "s", file=sys.stderr)
    cpu, wall = time.process_time(), time.perf_counter()
    ctx = r.context({scope!r}, {key!r})
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{
    "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": usage.ru_maxrss // 1024,
    "answer": {{
        "stages": [[s.stage, s.entities, s.sourced] for s in ctx.stages],
        "cluster_stages": ctx.cluster_stages,
        "score": ctx.chain.score, "linked": [[list(k), v] for k, v in sorted(ctx.chain.linked.items())],
        "lists": {{k: len(v) for k, v in sorted(ctx.lists.items())}},
        # each list's rows as a set (rows its sort ranks equal may come in either order): the tests check the order
        "list_rows": {{k: hashlib.sha256(repr(sorted(map(repr, v))).encode()).hexdigest()
                      for k, v in ctx.lists.items()}},
        "sources": ctx.sources, "map_values": ctx.map_values, "notes": ctx.notes,
    }},
}}, ensure_ascii=False))
"""


def build_once(tree: Path, store: Path, scope: str, key: str, timeout_s: float, warm: bool) -> dict[str, Any]:
    code = CHILD.format(tree=str(tree), store=str(store.resolve()), scope=scope, key=key, warm=warm)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout_s, check=False, cwd=tree
        )
    except subprocess.TimeoutExpired:
        return {"failed": f"over {timeout_s:.0f} s"}
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1][:300]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", required=True, type=Path, help="an embedded store (opened read-only)")
    parser.add_argument("--data", required=True, help="what the store holds, for the record")
    parser.add_argument("--baseline", type=Path, help="a tree from before the change")
    parser.add_argument("--cities", nargs="*", default=["深圳市"])
    parser.add_argument("--clusters", nargs="*", default=["E01"])
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per build")
    parser.add_argument(
        "--warm-topology", action="store_true", help="time each build once the store's in-memory snapshot is built"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    trees = {"after": REPO, **({"before": args.baseline.resolve()} if args.baseline else {})}
    builds: list[dict[str, Any]] = []
    for scope, keys in (("city", args.cities), ("cluster", args.clusters)):
        for key in keys:
            entry: dict[str, Any] = {"scope": scope, "key": key}
            for name in sorted(trees, reverse=bool(len(builds) % 2)):  # alternate which tree goes first
                entry[name] = build_once(trees[name], args.store, scope, key, args.timeout, args.warm_topology)
                log.info("%s %s %s: %s", scope, key, name, {k: v for k, v in entry[name].items() if k != "answer"})
            before, after = entry.get("before", {}), entry["after"]
            if "wall_s" in before and "wall_s" in after:
                entry["speedup"] = round(before["wall_s"] / max(after["wall_s"], 0.01), 1)
                entry["same_answer"] = before["answer"] == after["answer"]
            builds.append(entry)
    trees_text = {k: str(v) for k, v in trees.items()}
    print(
        record(
            "report_context",
            {
                "data": args.data,
                "store": str(args.store),
                "trees": trees_text,
                "warm_topology": args.warm_topology,
                "builds": builds,
            },
        )
    )


if __name__ == "__main__":
    main()
