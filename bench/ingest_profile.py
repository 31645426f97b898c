"""The embedded ingest's cost, before and after a change, side by side in one run: wall and CPU time, peak RSS.

Usage:
  .venv/bin/python bench/ingest_profile.py --baseline /tmp/ckg-before --scales 15
  .venv/bin/python bench/ingest_profile.py --scales 15 50 --raw-copy      # this checkout only, with raw COPY
  .venv/bin/python bench/ingest_profile.py --profile bench/work/s15.prof --scales 15   # cProfile (CPU clock)
  .venv/bin/python bench/ingest_profile.py --baseline /tmp/ckg-before --scales 50 --skip-bundled --buffer-pool-mb 3072
  .venv/bin/python bench/ingest_profile.py --skip-bundled --scales 50 150 --buffer-pool-mb 1024 --copy-chunk 50000

Each measurement is one process running ``run_ingest`` into a fresh LadybugDB with the code of one tree (this
checkout, or a copy of it from before a change given by --baseline), on the bundled data and on synthetic data
(``ckg synth``, bench/work/synth-SCALE), then a second run over the same store (a re-run of unchanged files), then a
third with the firms' file less its first data row (every later row's ties shift: most ties change). CPU
time (user + system, all threads) is reported beside wall time because the machine is shared: wall time moves
with the other processes, CPU time much less. Trees alternate, so both see the same load. The bundled graph's
digest is recorded for each tree after the re-run and after the edited one: equal digests mean the change did not
change the graph.
--raw-copy adds LadybugDB's raw COPY of the final tables (bench/ingest.py's steps) and the pipeline's ratio to it.
Results: bench/results/ingest_profile.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import REPO, WORK, cpu_s, json_child, record, synthetic_folder

log = logging.getLogger("bench.ingest_profile")


def measure(data: Path, db: Path, digest: bool, profile: str | None, pool_mb: int, edited: bool) -> dict[str, Any]:
    """In the child: runs of the pipeline into a fresh store (first load, an unchanged re-run, an edited one)."""
    from graph.digest import graph_digest
    from graph.embedded_store import EmbeddedStore
    from graph.schema import default_schema
    from ingest.pipeline import run_ingest
    from ingest.sources import bundled_sources

    for leftover in db.parent.glob(db.name + "*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    schema = default_schema()
    store = EmbeddedStore(db, schema, buffer_pool_mb=pool_mb)
    out: dict[str, Any] = {}
    failed = False
    edited_data = _edited_copy(data, db.parent / (db.name + "-edited-data")) if edited else data
    for run in ("first_load", "rerun", "edited_rerun")[: 3 if edited else 2]:
        profiler = None
        if profile and run == "first_load":
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        wall, cpu = time.perf_counter(), cpu_s()
        try:
            result = run_ingest(store, bundled_sources(schema), data_dir=edited_data if run == "edited_rerun" else data)
        except Exception as exc:  # recorded beside the other tree's run (a pool too small for it), the rest not run
            if profiler is not None:
                profiler.disable()
            log.exception("the %s failed", run)
            out[run] = {"failed": str(exc)[:400], "wall_s": round(time.perf_counter() - wall, 2)}
            out[run]["peak_rss_mb_so_far"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            failed = True
            break
        out[run] = {
            "wall_s": round(time.perf_counter() - wall, 2),
            "cpu_s": round(cpu_s() - cpu, 2),
            "phases_wall_s": {k: round(v, 2) for k, v in result.seconds.items()},
            "nodes": sum(result.node_counts.values()),
            "relationships": sum(result.relationship_counts.values()),
            "changes": result.nodes.summary(),
            "tie_changes": result.relationships.summary(),
            "peak_rss_mb_so_far": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        if run == "edited_rerun":  # what the curator reads: each source's statements added, changed, removed
            out[run]["by_source"] = {name: change for name, change in result.by_source.items() if any(change.values())}
        if profiler is not None and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        if digest and run == "rerun":
            out["digest"] = graph_digest(store).sha256
    if digest and edited and not failed:
        out["edited_digest"] = graph_digest(store).sha256
    try:
        store.close()
    except Exception:  # after a failed run, closing may fail the same way
        if not failed:
            raise
    if edited:
        shutil.rmtree(edited_data)
    shutil.rmtree(db, ignore_errors=True)
    for leftover in db.parent.glob(db.name + "*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    return out


def _edited_copy(data: Path, folder: Path) -> Path:
    """The data folder (its files linked, not copied) with the firms' file less its first data row: every later row's
    statements and ties shift by one row, as when a curator takes a row out near the top of a list."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(data, folder, copy_function=os.link)
    firms = folder / "facts" / "enterprises.csv"
    lines = firms.read_text(encoding="utf-8").splitlines(keepends=True)
    firms.unlink()  # a link to the original: written anew
    firms.write_text("".join([lines[0], *lines[2:]]), encoding="utf-8")
    return folder


def child(
    tree: Path,
    data: Path,
    label: str,
    digest: bool,
    pool_mb: int,
    profile: str | None = None,
    copy_chunk: int = 0,
    edited: bool = True,
) -> dict[str, Any]:
    db = WORK / f"profile-{label}.lbdb"
    args = [sys.executable, __file__, "--child", str(tree), "--data", str(data), "--db", str(db)]
    args += ["--buffer-pool-mb", str(pool_mb)] + (["--copy-chunk", str(copy_chunk)] if copy_chunk else [])
    args += ["--digest"] * digest + (["--profile", profile] if profile else []) + ["--skip-edited"] * (not edited)
    return json_child(args, label, cwd=tree)


def _outcome(run: dict[str, Any]) -> str:
    return "failed" if "failed" in run else "not run" if not run else "passed"


def raw_copy(scale: float) -> dict[str, Any]:
    """bench/ingest.py's raw path: the final tables as Parquet (not timed), then LadybugDB's COPY alone."""
    steps = {}
    for step in ("prepare_raw", "embedded_raw_copy"):
        args = [sys.executable, str(REPO / "bench" / "ingest.py"), "--child", step, "--scale", str(scale)]
        proc = subprocess.run([*args, "--naive-rows", "10"], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{step} failed:\n{proc.stderr[-3000:]}")
        steps[step] = json.loads(proc.stdout.strip().splitlines()[-1])
    copied: dict[str, Any] = steps["embedded_raw_copy"]
    return copied


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="a copy of the tree from before the change")
    parser.add_argument("--scales", type=float, nargs="*", default=[15])
    parser.add_argument("--skip-bundled", action="store_true")
    parser.add_argument("--raw-copy", action="store_true")
    parser.add_argument(
        "--buffer-pool-mb",
        type=int,
        default=1024,
        help="the store's buffer pool (1 GiB fails at scale 50 before and after)",
    )
    parser.add_argument(
        "--copy-chunk",
        type=int,
        default=0,
        help="the store's COPY_CHUNK: rows per COPY of a node table, and the fewest of a relationship table's",
    )
    parser.add_argument("--skip-edited", action="store_true", help="no third run (the edited file's re-run)")
    parser.add_argument("--profile", help="write a cProfile of this checkout's first load (last dataset) here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--digest", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.child:
        sys.path.insert(0, str(args.child.resolve()))
        if args.copy_chunk:
            import graph.embedded_writes

            graph.embedded_writes.COPY_CHUNK = args.copy_chunk
        result = measure(args.data, args.db, args.digest, args.profile, args.buffer_pool_mb, not args.skip_edited)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result))
        return
    trees = {"after": REPO} | ({"before": args.baseline.resolve()} if args.baseline else {})
    datasets = ([] if args.skip_bundled else [("bundled", REPO / "data")]) + [
        (f"scale-{s:g}", synthetic_folder(s)) for s in args.scales
    ]
    results: dict[str, Any] = {
        "trees": {k: str(v) for k, v in trees.items()},
        "buffer_pool_mb": args.buffer_pool_mb,
        "copy_chunk": args.copy_chunk or "the store's",
        "datasets": {},
    }
    for name, data in datasets:
        entry: dict[str, Any] = {}
        for which, tree in reversed(trees.items()):  # the baseline first, then this checkout
            profile = args.profile if which == "after" and name == datasets[-1][0] else None
            label = f"{which}-{name}"
            entry[which] = child(
                tree,
                data,
                label,
                digest=name == "bundled",
                pool_mb=args.buffer_pool_mb,
                profile=profile,
                copy_chunk=args.copy_chunk,
                edited=not args.skip_edited,
            )
        if "before" in entry:
            for run in ("first_load", "rerun", "edited_rerun")[: 2 if args.skip_edited else 3]:
                runs = [entry[which].get(run, {}) for which in ("before", "after")]
                if any("cpu_s" not in r for r in runs):  # failed (or not run after a failure): no ratio
                    entry[f"{run}_outcome"] = " / ".join(
                        f"{w} {_outcome(r)}" for w, r in zip(("before", "after"), runs, strict=True)
                    )
                    continue
                entry[f"{run}_cpu_speedup"] = round(runs[0]["cpu_s"] / runs[1]["cpu_s"], 2)
                entry[f"{run}_wall_speedup"] = round(runs[0]["wall_s"] / runs[1]["wall_s"], 2)
            if name == "bundled":  # a digest is missing after a failed run: not equal
                for key in ("digest", "edited_digest")[: 1 if args.skip_edited else 2]:
                    digests = [entry[which].get(key) for which in ("before", "after")]
                    entry[f"{key}s_equal"] = digests[0] is not None and digests[0] == digests[1]
        if args.raw_copy and name != "bundled" and "cpu_s" in entry["after"]["first_load"]:
            scale = float(name.removeprefix("scale-"))
            entry["raw_copy"] = raw_copy(scale)
            entry["pipeline_vs_raw_copy_wall"] = round(
                entry["after"]["first_load"]["wall_s"] / entry["raw_copy"]["seconds"], 2
            )
        results["datasets"][name] = entry
    path = record("ingest_profile", results)
    log.info("written to %s", path)


if __name__ == "__main__":
    main()
