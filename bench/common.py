"""What every benchmark records beside its figures: the machine, the versions, the date; and the synthetic
data folders and stores they share (under bench/work/, never committed), with the raw Parquet COPY that loads
the pipeline's final tables into LadybugDB without the pipeline's write."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from graph.schema import Schema
    from ingest.row_tables import NodeTables, RelTables

log = logging.getLogger("bench")
REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO))
PACKAGES = ("ladybug", "neo4j", "neo4j-rust-ext", "pyoxigraph", "rdflib", "streamlit", "networkx")


def status_figures(pid: int | str = "self") -> dict[str, int]:
    """A process's memory figures from /proc/PID/status, in MB: VmRSS, VmHWM (its peak), RssAnon, RssFile, …"""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        name, _, value = line.partition(":")
        if value.endswith(" kB"):
            figures[name] = int(value.split()[0]) // 1024
    return figures


def status_mb(field: str) -> int:
    """One memory figure of this process, in MB (0 where the system does not give it)."""
    return status_figures().get(field, 0)


class TreePeak:
    """The highest resident memory of this process and its descendants together (an ingest's collect runs in a child
    of its own: ingest/collect_apart.py), sampled every ``every`` seconds, and never below this process's own peak
    (the kernel's). The children's RSS is added whole: pages they still share with this process count twice, so the
    figure is an upper bound."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.sampled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> int:
        own = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return max(own, self.sampled)

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            self.sampled = max(self.sampled, sum(_rss_mb(pid) for pid in _tree(os.getpid())))


def _tree(root: int) -> list[int]:
    """``root`` and every process below it (from each process's parent in /proc/PID/stat)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:  # "PID (name) STATE PPID …": the name may hold spaces and parentheses
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):  # gone meanwhile
                continue
    found, todo = [root], [root]
    while todo:
        parent = todo.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        todo += children
    return found


def _rss_mb(pid: int) -> int:
    try:
        return status_figures(pid).get("VmRSS", 0)
    except OSError:  # gone meanwhile
        return 0


def cpu_s() -> float:
    """This process's CPU seconds, user and system, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(samples: list[float], q: float) -> float:
    """The sample at rank ``q`` of the sorted samples (nearest rank): every benchmark's p95."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next((int(line.split()[1]) for line in meminfo if line.startswith("MemTotal")), 0)
    java = subprocess.run(["java", "-version"], check=False, capture_output=True, text=True).stderr.splitlines()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "java": java[0] if java else None,
        "packages": {p: version(p) for p in PACKAGES},
        "neo4j_rust_extension_in_use": _rust_extension_in_use(),
        "neo4j_server": "5.26.30 Community (scripts/neo4j-dev)",
    }


def _rust_extension_in_use() -> bool:
    """Whether the driver packs and unpacks Bolt messages with neo4j-rust-ext (it falls back to Python)."""
    from neo4j._codec.packstream import v1

    return getattr(v1, "_rust_pack", None) is not None


def record(name: str, payload: dict[str, Any]) -> Path:
    """Append one run to bench/results/NAME.json (a list, newest last)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    history = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    if isinstance(history, dict):
        history = [history]
    history.append({"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), **payload})
    path.write_text(json.dumps(history, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def json_child(args: list[str], label: str, cwd: Path | None = None) -> dict[str, Any]:
    """Run a benchmark step in its own process (its memory is its own) and return the JSON of its last output line;
    a failed step raises with the end of its error output."""
    proc = subprocess.run(args, capture_output=True, text=True, check=False, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    log.info("%s: %s", label, result)
    return result


def trees_parser(runs: int) -> argparse.ArgumentParser:
    """The options of a benchmark that measures the tree beside a baseline tree, each run in a child process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="a copy of the tree from before the change")
    parser.add_argument("--runs", type=int, default=runs, help="runs of each tree, taking turns")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    return parser


def answered_as_child(args: argparse.Namespace, measure: Callable[[Path], dict[str, Any]]) -> bool:
    """In a child (``--child TREE``): the tree first on sys.path, ``measure(--data)`` printed as JSON."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.child:
        return False
    sys.path.insert(0, str(args.child.resolve()))
    print(json.dumps(measure(args.data)))
    return True


def bench_trees(baseline: Path | None) -> dict[str, Path]:
    """``after``: this tree; ``before``: the baseline, if one is given."""
    return {"after": REPO} | ({"before": baseline.resolve()} if baseline else {})


def trees_taking_turns(script: str, data: Path, trees: dict[str, Path], runs: int) -> dict[str, list[dict[str, Any]]]:
    """Each tree's results, a child process a run, the baseline first in each turn."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for _ in range(runs):
        for name, tree in reversed(trees.items()):
            command = [sys.executable, script, "--child", str(tree), "--data", str(data)]
            results[name].append(json_child(command, str(tree), cwd=tree))
    return results


def synthetic_folder(scale: float, seed: int = 42) -> Path:
    """bench/work/synth-SCALE, written by `ckg synth` unless it is already there with the same scale and seed."""
    from ingest.manifest import read_manifest
    from ingest.synth import write_synthetic

    folder = WORK / f"synth-{scale:g}"
    manifest = read_manifest(folder) if folder.exists() else None
    if not manifest or manifest.get("scale") != scale or manifest.get("seed") != seed:
        write_synthetic(folder, scale, seed=seed)
    return folder


def write_chunks(table: pa.Table, stem: Path, rows: int) -> list[Path]:
    """Parquet files of ``rows`` rows each: the raw path copies in the same parts as the store does
    (graph/embedded_writes.py: ``COPY_CHUNK`` for a node table, ``rel_copy_rows`` for a relationship table)."""
    # imported here, not at the top: every benchmark imports common, most never touch Parquet or LadybugDB
    import pyarrow.parquet as pq

    files = []
    for number, start in enumerate(range(0, max(table.num_rows, 1), rows)):
        file = stem.with_name(f"{stem.name}-{number:03d}.parquet")
        pq.write_table(table.slice(start, rows), file)
        files.append(file)
    return files


def copy_statements(schema: Schema, nodes: NodeTables, rels: RelTables, parquet: Path, pool_mb: int) -> list[str]:
    """Write the final tables (``node_rows`` / ``relationship_rows``) as Parquet chunks into a fresh folder
    `parquet` and return the LadybugDB ``COPY`` statements that load them into a database with a buffer pool of
    ``pool_mb``: every node table before any relationship table, since a relationship COPY looks its end nodes up
    by id."""
    from graph.embedded_writes import COPY_CHUNK, rel_copy_rows

    shutil.rmtree(parquet, ignore_errors=True)
    parquet.mkdir(parents=True)
    statements: list[str] = []
    for label, table in nodes.items():
        statements += [f"COPY {label} FROM '{file}'" for file in write_chunks(table, parquet / label, COPY_CHUNK)]
    # a COPY per (type, from label, to label): a relationship type with several pairs of end labels is copied
    # one pair at a time, named in the statement
    for (rel_type, from_label, to_label), table in rels.items():
        files = write_chunks(
            table, parquet / f"{rel_type}-{from_label}-{to_label}", rel_copy_rows(table.num_rows, pool_mb)
        )
        statements += [f"COPY {rel_type} FROM '{file}' (from='{from_label}', to='{to_label}')" for file in files]
    return statements


def neo4j_dev(*args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(REPO / "scripts" / "neo4j-dev"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return proc.stdout + proc.stderr


def neo4j_settings_env() -> dict[str, str]:
    out = neo4j_dev("env")
    env = {}
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'")
    return env
