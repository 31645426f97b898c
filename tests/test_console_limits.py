"""The console's sandbox is bounded and fails closed: a few children at once, each within its memory cap, the
answer cut at a byte size, every value JSON-safe, and no query at all where Landlock is not in force.

Real children on a real embedded store in a temporary directory; "Landlock unavailable" is the sandbox's own
switch (CLUSTERKG_LANDLOCK_UNAVAILABLE=1), read by the parent and the child alike.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from graph.errors import QueryRejectedError
from graph.sandbox import (
    CHILD_SLOTS,
    NO_LANDLOCK_ENV,
    SPARE,
    SPARE_MEMORY_MB,
    ConsoleBusyError,
    LandlockUnavailableError,
    child_env,
    run_sandboxed,
    sandbox_command,
)
from graph.schema import Schema
from graph.settings import Settings
from tests.conftest import REPO

MIB = 1024**2


@pytest.fixture(scope="module")
def small_path(tmp_path_factory: pytest.TempPathFactory, schema: Schema) -> Path:
    path = tmp_path_factory.mktemp("limits") / "graph.lbdb"
    store = EmbeddedStore(path, schema)
    store.setup_schema()
    store.upsert_nodes("City", [{"id": f"city/44{i:04d}", "name_zh": f"市{i}"} for i in range(40)])
    store.close()
    return path


def _status(process: Path) -> dict[str, str]:
    """The fields of /proc/PID/status (empty if the process has gone)."""
    try:
        status = (process / "status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in status.splitlines() if ":" in line)


def _children_rss() -> int:
    """Resident bytes of this process's children right now (the sandboxed interpreters)."""
    total = 0
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        fields = _status(entry) if entry.name.isdigit() else {}
        if fields.get("PPid", "").strip() == me and "VmRSS" in fields:
            total += int(fields["VmRSS"].split()[0]) * 1024
    return total


def test_eight_concurrent_heavy_queries_stay_within_the_stated_memory(small_path: Path) -> None:
    limits = Settings.from_env({})
    stated_total = limits.console_children * limits.console_child_memory_mb * MIB  # 2 × 2 GiB by default
    heavy = "UNWIND range(1, 3000000) AS x RETURN collect(x) AS l"  # grows until the child's cap stops it
    outcomes: list[str] = []
    sampled_peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal sampled_peak
        while not done.is_set():
            sampled_peak = max(sampled_peak, _children_rss())
            time.sleep(0.01)

    def one() -> None:
        try:
            run_sandboxed(
                small_path,
                heavy,
                {},
                timeout_s=20,
                row_cap=10,
                memory_mb=limits.console_child_memory_mb,
                max_children=limits.console_children,
                wait_s=120,  # wait for a turn: all eight run, at most two at a time
            )
            outcomes.append("answered")
        except QueryRejectedError as exc:
            outcomes.append(f"stopped: {exc}")

    CHILD_SLOTS.peak = 0
    sampler = threading.Thread(target=sample)
    sampler.start()
    workers = [threading.Thread(target=one) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    done.set()
    sampler.join()
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(
        f"children: peak at once {CHILD_SLOTS.peak}, one child's peak RSS {child_peak / MIB:.0f} MiB, "
        f"sampled total {sampled_peak / MIB:.0f} MiB, stated total {stated_total / MIB:.0f} MiB; {outcomes}"
    )
    assert len(outcomes) == 8
    assert 1 <= CHILD_SLOTS.peak <= limits.console_children
    # The cap governs what a child allocates; its resident size also counts the shared libraries and the
    # database's mapped pages (a few hundred MiB, measured up to 0.25 GiB over the cap under load).
    overhead = 512 * MIB
    per_child = limits.console_child_memory_mb * MIB + overhead
    assert child_peak <= per_child
    spare = SPARE_MEMORY_MB * MIB  # the child that waits for the next query
    assert sampled_peak <= limits.console_children * per_child + spare
    assert CHILD_SLOTS.peak * child_peak <= stated_total + limits.console_children * overhead


def _rss_mib(pid: int) -> float:
    return int(_status(Path(f"/proc/{pid}"))["VmRSS"].split()[0]) / 1024


def test_a_spare_child_answers_the_next_query_and_another_then_waits(small_path: Path) -> None:
    """The next query's child is started ahead (its libraries loaded): it answers, ends, and a new one waits."""
    run_sandboxed(small_path, "RETURN 1 AS one", {}, timeout_s=5, row_cap=10)
    spare = SPARE.waiting_pid
    assert spare is not None
    time.sleep(3)  # let it finish loading: what it holds while it waits
    assert _rss_mib(spare) <= SPARE_MEMORY_MB
    assert run_sandboxed(small_path, "MATCH (c:City) RETURN count(c) AS n", {}, timeout_s=5, row_cap=10).rows == [
        {"n": 40}
    ]
    assert not Path(f"/proc/{spare}").exists()  # it answered that query, ended and was reaped
    assert SPARE.waiting_pid not in (None, spare)


def test_a_long_query_to_a_child_that_does_not_read_still_stops_at_its_wall_clock(
    small_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request is written under the deadline too: 200 KB (more than a pipe holds) to a spare child that hangs
    before it reads (stopped here) ends as a timeout, and the slot is given back."""
    import signal

    import graph.sandbox

    monkeypatch.setattr(graph.sandbox, "WALL_CLOCK_MARGIN_S", 1)
    SPARE.refill(graph.sandbox.child_env())
    spare = SPARE.waiting_pid
    assert spare is not None
    os.kill(spare, signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(QueryRejectedError, match="time limit"):
        run_sandboxed(small_path, "RETURN '" + "x" * 200_000 + "' AS long", {}, timeout_s=1, row_cap=10)
    assert time.monotonic() - started < 5 and CHILD_SLOTS.running == 0
    assert not Path(f"/proc/{spare}").exists()  # killed and reaped


def test_a_spare_that_cannot_start_leaves_the_query_to_say_why(
    small_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting the spare is best effort (the console page asks for one on every run); the query's own start
    reports the problem as before."""
    import graph.sandbox
    from graph.errors import StoreError

    def no_unshare() -> list[str]:
        raise StoreError("the console needs `unshare` (util-linux) to run queries without network access")

    SPARE.close()
    monkeypatch.setattr(graph.sandbox, "sandbox_command", no_unshare)
    SPARE.refill(graph.sandbox.child_env())  # no exception, no child
    assert SPARE.waiting_pid is None
    with pytest.raises(StoreError, match="unshare"):
        run_sandboxed(small_path, "RETURN 1 AS one", {}, timeout_s=5, row_cap=10)
    assert CHILD_SLOTS.running == 0


def test_a_query_with_no_free_slot_is_told_to_retry(small_path: Path) -> None:
    CHILD_SLOTS.acquire(1, 0)  # a query already running, as another session's would be
    try:
        with pytest.raises(ConsoleBusyError, match="稍后重试") as caught:
            run_sandboxed(small_path, "RETURN 1 AS one", {}, timeout_s=5, row_cap=10, max_children=1, wait_s=0.2)
        assert "try again" in caught.value.en
    finally:
        CHILD_SLOTS.release()
    assert run_sandboxed(small_path, "RETURN 1 AS one", {}, timeout_s=5, row_cap=10, max_children=1).rows


def test_without_landlock_the_console_refuses(small_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_LANDLOCK_ENV, "1")
    with pytest.raises(LandlockUnavailableError, match="Landlock") as caught:
        run_sandboxed(small_path, "LOAD FROM '/etc/hostname' RETURN *", {}, timeout_s=5, row_cap=10)
    assert "拒绝运行" in caught.value.zh and "refuses" in caught.value.en


def test_a_child_without_landlock_answers_nothing(small_path: Path) -> None:
    """The child's own check (the one that counts: it is where the rule set is put in force)."""
    request = {"path": str(small_path), "cypher": "MATCH (c:City) RETURN c.id", "params": {}, "timeout_s": 5,
               "row_cap": 10, "max_bytes": 10_000, "memory_mb": 2048}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "graph.sandbox"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), NO_LANDLOCK_ENV: "1"},
        check=True,
    )
    assert json.loads(done.stdout.strip().split("\n")[-1]) == {"landlock": False}


def test_a_child_with_threads_it_cannot_confine_answers_nothing(small_path: Path) -> None:
    """Landlock binds the thread that applies it and the threads that thread starts, not a library's thread already
    running. The child starts none (``child_env``); one whose environment lets numpy and Arrow start theirs refuses."""
    request = {"path": str(small_path), "cypher": "MATCH (c:City) RETURN c.id", "params": {}, "timeout_s": 5,
               "row_cap": 10, "max_bytes": 10_000, "memory_mb": 2048}  # fmt: skip
    answers = []
    for env in ({"PATH": os.environ.get("PATH", "")}, child_env()):
        done = subprocess.run(
            [*sandbox_command(), sys.executable, "-m", "graph.sandbox"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env=env,
            check=True,
        )
        answers.append(json.loads(done.stdout.strip().split("\n")[-1]))
    assert "unconfined threads" in answers[0]["error"]
    assert len(answers[1]["rows"]) == 10


def test_the_answer_is_cut_at_its_byte_size(small_path: Path) -> None:
    query = "UNWIND range(1, 1000) AS i RETURN i, lpad('x', 5000, 'y') AS s"
    result = run_sandboxed(small_path, query, {}, timeout_s=5, row_cap=1000, max_bytes=50_000)
    assert result.truncated and 0 < len(result.rows) < 10
    assert len(json.dumps(result.rows, ensure_ascii=False).encode()) <= 50_000


def test_line_separators_and_huge_strings_come_back_as_text(small_path: Path) -> None:
    odd = "a\u2028b\u2029c\u0085d\ne"
    result = run_sandboxed(
        small_path, "RETURN $s AS s, lpad('x', 100000, 'y') AS big", {"s": odd}, timeout_s=5, row_cap=10
    )
    assert result.rows[0]["s"] == odd
    assert len(result.rows[0]["big"]) < 10_100 and result.rows[0]["big"].endswith("…(+90000)")
