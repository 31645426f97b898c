"""Nothing is lost when a load is killed or the server goes away: the graph after a rerun is identical to a
clean load (counts and a content hash of every node and relationship), on both stores.

The load is a synthetic ecosystem (``ckg synth``; a smaller one on Neo4j) big enough that a kill lands in the
middle of real work: reading and resolving, or writing (LadybugDB COPY and MERGE batches; Neo4j UNWIND
transactions). Kill times are drawn from a seeded generator — on the embedded store the first kill within the
writes of a clean load, which logs when they start and end — so a failure is reproducible. Every trial starts
from an empty store; even trials (the first among them) kill the resuming run too, before the last run finishes
the job.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.digest import BOOKKEEPING_LABELS, GraphDigest, graph_digest
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from ingest.pipeline import run_ingest
from ingest.sources import bundled_sources
from ingest.synth import write_synthetic
from tests.conftest import REPO

# Trials per test: one on each store, killing the resuming run too, keeps CI under its time budget; the longer run
# behind the figures in the README is
# `CLUSTERKG_FAULT_TRIALS=10 .venv/bin/pytest -s tests/test_faults.py` (the same kill times, continued).
TRIALS = int(os.environ.get("CLUSTERKG_FAULT_TRIALS", "1"))
NEO4J_TRIALS = int(os.environ.get("CLUSTERKG_FAULT_TRIALS", "1"))
EXTRA_TRIALS = 4  # at most, while too few kills landed mid-write (CI once saw 1 of 3: the rest hit the last counts)
SCALE = 1.0  # ≈ 9,700 nodes and 25,000 relationships
# Neo4j takes a load's writes in one transaction, so a kill leaves all or nothing whatever the size: a smaller
# ecosystem (≈ 3,900 nodes) tests the same and spares minutes of CI.
NEO4J_SCALE = 0.4
# The server that died restarts cold, and a cold server loads several times slower (77 s against 20 s for scale
# 0.4): the rerun after the crash loads a small ecosystem (≈ 1,000 nodes), still written over some seconds.
CRASH_SCALE = 0.1
PIPELINE_LOG = "ingest.pipeline: "  # a verbose load's phase lines start so: "writing: …", "written in …"


def _synth(tmp_path_factory: pytest.TempPathFactory, scale: float) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "data"
    write_synthetic(folder, scale, seed=8)
    return folder


def _clean_digest(synth: Path, schema: Schema, tmp_path_factory: pytest.TempPathFactory) -> GraphDigest:
    """The digest of a clean, uninterrupted load."""
    store = EmbeddedStore(tmp_path_factory.mktemp("clean") / "graph.lbdb", schema)
    assert run_ingest(store, bundled_sources(schema), data_dir=synth).ok
    digest = graph_digest(store)
    store.close()
    return digest


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth(tmp_path_factory, SCALE)


@pytest.fixture(scope="module")
def reference(synth: Path, schema: Schema, tmp_path_factory: pytest.TempPathFactory) -> GraphDigest:
    return _clean_digest(synth, schema, tmp_path_factory)


@pytest.fixture(scope="module")
def neo4j_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth(tmp_path_factory, NEO4J_SCALE)


@pytest.fixture(scope="module")
def crash_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth(tmp_path_factory, CRASH_SCALE)


@pytest.fixture(scope="module")
def neo4j_reference(neo4j_synth: Path, schema: Schema, tmp_path_factory: pytest.TempPathFactory) -> GraphDigest:
    return _clean_digest(neo4j_synth, schema, tmp_path_factory)


def ingest_command(synth: Path, report_dir: Path, *store_args: str, verbose: bool = False) -> list[str]:
    return [sys.executable, str(REPO / "cli.py"), *(["-v"] if verbose else []), "ingest", "-q", "--data-dir",
            str(synth), "--report-dir", str(report_dir), *store_args]  # fmt: skip


def timed_phases(command: list[str]) -> tuple[float, float, float]:
    """Run a verbose load; seconds from its start to the start of its writes, to their end, and to its exit (the
    pipeline logs "writing:" and "written in"). Kills aimed by these land in the writes on a slow machine too."""
    started = time.perf_counter()
    marks: dict[str, float] = {}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    errors = []
    for line in proc.stderr:
        errors.append(line)
        for mark in ("writing:", "written in"):
            if f"{PIPELINE_LOG}{mark}" in line:
                marks[mark] = time.perf_counter() - started
    assert proc.wait(timeout=600) == 0, "".join(errors[-20:])
    assert set(marks) == {"writing:", "written in"}, f"the load logged no write phase: {errors[-20:]}"
    return marks["writing:"], marks["written in"], time.perf_counter() - started


def timed_run(command: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, check=False)
    return proc, time.perf_counter() - started


def kill_after(command: list[str], delay_s: float, env: dict[str, str] | None = None) -> bool:
    """Start the command and SIGKILL it after delay_s; True if it was still running (a real kill)."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        proc.wait(timeout=delay_s)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def kill_during_load(command: list[str], delay_s: float, fresh: Callable[[], None]) -> float:
    """Kill a load from an empty store at about delay_s; a load that ends sooner (timings vary) is tried
    again from empty with a shorter delay. Returns the delay that landed."""
    for _ in range(4):
        fresh()
        if kill_after(command, delay_s):
            return delay_s
        delay_s *= 0.6
    raise AssertionError(f"four loads ended before being killed (last delay {delay_s:.1f} s)")


def run_statuses(store: GraphStore) -> Counter[str]:
    return Counter(row["s"] for row in store.read("MATCH (r:IngestRun) RETURN r.status AS s").rows)


def test_embedded_load_killed_at_random_points_ends_identical(
    synth: Path, reference: GraphDigest, schema: Schema, tmp_path: Path
) -> None:
    first = tmp_path / "timing.lbdb"
    write_from, write_to, clean_s = timed_phases(
        ingest_command(synth, tmp_path, "--embedded-path", str(first), verbose=True)
    )
    rng = random.Random(20261127)
    outcomes: list[dict[str, Any]] = []
    full = sum(reference.node_counts.values()) + sum(reference.relationship_counts.values())
    wanted = max(1, TRIALS * 3 // 10)  # kills that must land in the write phase (a partly written graph)
    for trial in range(TRIALS + EXTRA_TRIALS):
        mid_write = sum(1 for o in outcomes if 0 < (o["size_after_first_kill"] or 0) < full)
        if trial >= TRIALS and mid_write >= wanted:
            break
        path = tmp_path / f"trial-{trial}.lbdb"
        command = ingest_command(synth, tmp_path, "--embedded-path", str(path))
        # The first kill aims at the writes (reading and resolving change nothing, and are the first half of a
        # load); the resuming run's kill, on even trials, anywhere. A slower run may shift it out: trials go on.
        kills = [write_from + rng.uniform(0.05, 0.9) * (write_to - write_from)]
        kills += [rng.uniform(0.2, 0.95) * clean_s for _ in range(1 - trial % 2)]
        kills[0] = kill_during_load(command, kills[0], functools.partial(_remove_store, path))
        partial = _embedded_size(path, schema)
        for delay in kills[1:]:  # the resuming run has less to do: it may finish before this kill
            kill_after(command, delay)
        wal_left = Path(f"{path}.wal").exists()
        proc, _ = timed_run(command)
        assert proc.returncode == 0, f"trial {trial}: the rerun failed: {proc.stderr[-2000:]}"
        store = EmbeddedStore(path, schema, read_only=True)
        assert graph_digest(store) == reference, f"trial {trial} (kills at {kills}) differs from a clean load"
        statuses = run_statuses(store)
        store.close()
        assert statuses["completed"] >= 1 and set(statuses) <= {"completed", "interrupted"}, statuses
        outcomes.append({"kills_s": [round(k, 2) for k in kills], "size_after_first_kill": partial, "wal": wal_left})
    phases = {"clean_load_s": round(clean_s, 2), "writes_s": [round(write_from, 2), round(write_to, 2)]}
    print(json.dumps({**phases, "full": full, "trials": outcomes}))  # figures for the note
    # The kills landed in the write phase too (a partly written graph), not only while reading.
    assert sum(1 for o in outcomes if 0 < (o["size_after_first_kill"] or 0) < full) >= wanted, outcomes


def _remove_store(path: Path) -> None:
    for file in path.parent.glob(path.name + "*"):
        file.unlink()


def _embedded_size(path: Path, schema: Schema) -> int | None:
    """Nodes and relationships in a killed load's store (read from a copy, so the rerun meets the WAL as the
    kill left it)."""
    if not path.exists():
        return None
    copy = path.with_name(path.name + ".probe")
    shutil.copy(path, copy)
    if Path(f"{path}.wal").exists():
        shutil.copy(f"{path}.wal", f"{copy}.wal")
    try:
        store = EmbeddedStore(copy, schema, read_only=True)
        count = sum(n for label, n in store.node_counts().items() if label not in BOOKKEEPING_LABELS)
        count += sum(store.relationship_counts().values())
        store.close()
        return count
    except Exception:  # a store killed before its first commit may not open; the rerun still must recover
        return 0
    finally:
        for leftover in copy.parent.glob(copy.name + "*"):
            leftover.unlink()


@pytest.mark.neo4j
@pytest.mark.run_last
def test_neo4j_load_killed_at_random_points_ends_identical(
    neo4j_synth: Path, neo4j_reference: GraphDigest, neo4j_store: GraphStore, neo4j_load_s: float, tmp_path: Path
) -> None:
    synth, reference = neo4j_synth, neo4j_reference
    command = ingest_command(synth, tmp_path, "--store", "neo4j")
    clean_s = neo4j_load_s
    rng = random.Random(8)
    partial_loads = 0
    # one trial by default (CI's minutes), and that one kills the resuming run too; more alternate as on embedded
    for trial in range(NEO4J_TRIALS):
        kills = [rng.uniform(0.2, 0.9) * clean_s for _ in range(1 + (trial + 1) % 2)]
        kills[0] = kill_during_load(command, kills[0], neo4j_store.clear)
        size = sum(n for label, n in neo4j_store.node_counts().items() if label != "IngestRun")
        size += sum(neo4j_store.relationship_counts().values())
        partial_loads += 0 < size < sum(reference.node_counts.values()) + sum(reference.relationship_counts.values())
        for delay in kills[1:]:  # the resuming run has less to do: it may finish before this kill
            kill_after(command, delay)
        proc, _ = timed_run(command)
        assert proc.returncode == 0, f"trial {trial}: the rerun failed: {proc.stderr[-2000:]}"
        assert graph_digest(neo4j_store) == reference, f"trial {trial} (kills at {kills}) differs from a clean load"
        statuses = run_statuses(neo4j_store)
        assert statuses["completed"] >= 1 and set(statuses) <= {"completed", "interrupted"}, statuses
    # An ingest's writes are one Neo4j transaction, so a partial graph after a kill is rare; it can still be seen
    # while the server applies a commit the killed client sent (read-committed isolation). What must hold is above.
    print(json.dumps({"clean_load_s": round(clean_s, 2), "partial_loads": partial_loads}))


@pytest.fixture(scope="module")
def neo4j_load_s(
    neo4j_synth: Path,
    neo4j_reference: GraphDigest,
    neo4j_store_session: GraphStore,
    tmp_path_factory: pytest.TempPathFactory,
) -> float:
    """How long a load into an empty Neo4j takes, measured once for the module's tests (the load must equal the
    clean embedded load); leaves the store empty. One load, not the best of two: the server is warm from the suite's
    earlier modules, and a kill that lands after the end is tried again earlier (``kill_during_load``)."""
    command = ingest_command(neo4j_synth, tmp_path_factory.mktemp("warm"), "--store", "neo4j")
    neo4j_store_session.clear()
    proc, elapsed = timed_run(command)
    assert proc.returncode == 0, proc.stderr
    assert graph_digest(neo4j_store_session) == neo4j_reference
    neo4j_store_session.clear()
    return elapsed


def _neo4j_dev(action: str) -> None:
    subprocess.run([str(REPO / "scripts" / "neo4j-dev"), action], check=True, capture_output=True, timeout=180)


@pytest.mark.neo4j
@pytest.mark.run_last
def test_neo4j_that_dies_mid_load_gives_a_clear_message_and_a_rerun_ends_identical(
    crash_synth: Path, schema: Schema, neo4j_store: GraphStore, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The server dies (SIGKILL) while a load's write transaction is open and stays down: the load gives up within
    the driver's retry window (shortened here from 30 s to 8) with a one-line message, not a traceback. Once the
    server is back it holds none of the load's writes, and a rerun ends with the graph of a clean load."""
    synth, reference = crash_synth, _clean_digest(crash_synth, schema, tmp_path_factory)
    command = ingest_command(synth, tmp_path, "--store", "neo4j")
    retry_env = {**os.environ, "CLUSTERKG_NEO4J_RETRY_S": "8"}
    verbose = ingest_command(synth, tmp_path, "--store", "neo4j", verbose=True)
    load = subprocess.Popen(verbose, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=retry_env)
    # The server dies once the load writes (its transaction open), not after a guessed share of a timed load:
    # a load timed on a cold server and run on a warm one ended before the crash.
    assert load.stderr is not None
    stuck = threading.Timer(300, load.kill)  # a load that never reaches its writes fails the test, not hangs it
    stuck.start()
    early = list(itertools.takewhile(lambda line: f"{PIPELINE_LOG}writing:" not in line, load.stderr))
    stuck.cancel()
    assert load.poll() is None, f"the load ended before the server died: {early[-5:]}"
    _neo4j_dev("crash")
    try:
        started = time.perf_counter()
        _, stderr = load.communicate(timeout=120)
        waited = time.perf_counter() - started
    except subprocess.TimeoutExpired:
        load.kill()  # not left retrying against the shared server once it is back
        raise
    finally:
        _neo4j_dev("start")
    assert load.returncode == 2, stderr
    assert "Neo4j" in stderr and ("unreachable" in stderr or "cannot be reached" in stderr), stderr
    assert "Traceback" not in stderr and waited < 8 + 30  # the window, and slack for a connection attempt in flight
    # the crash came mid-transaction: nothing of the load is there but the record of its start
    assert run_statuses(neo4j_store) == Counter(running=1)
    left = {label: n for label, n in neo4j_store.node_counts().items() if n and label != "IngestRun"}
    assert not left and not any(neo4j_store.relationship_counts().values()), left
    proc, _ = timed_run(command)
    assert proc.returncode == 0, proc.stderr
    assert graph_digest(neo4j_store) == reference
    assert run_statuses(neo4j_store) == Counter(completed=1, interrupted=1)
    # and a store that is not there at all, from the start
    env = {**os.environ, "NEO4J_URI": "bolt://127.0.0.1:9"}
    proc, seconds = timed_run(command, env=env)
    assert proc.returncode == 2 and "cannot be reached" in proc.stderr and "Traceback" not in proc.stderr
    assert seconds < 60
