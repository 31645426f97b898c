"""Every read runs within limits: the settings' time limit and row cap when the caller gives none, only lower ones
when it does; and on the embedded store, shared by the app's sessions, each of many concurrent reads stops at its
own time limit (a timeout used to be state of the one shared connection, so reads ran with another's or none).

A synthetic slow read on a small graph: a three-way cross product of 1,000 labs (10⁹ rows, seconds of work), which
every test here expects the database to stop.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace
from pathlib import Path

import ladybug
import pytest

from graph.embedded_pool import ConnectionPool
from graph.embedded_store import EmbeddedStore
from graph.errors import QueryRejectedError
from graph.factory import open_store
from graph.schema import Schema
from graph.settings import Settings
from graph.store import GraphStore
from tests.conftest import REPO

SLOW = (
    "MATCH (a:Laboratory) MATCH (b:Laboratory) MATCH (c:Laboratory) "
    "WHERE (a.founded_year * 7 + b.founded_year * 3 + c.founded_year) % 11 = 0 RETURN count(*) AS n"
)
LABS = [{"id": f"lab/{i:05d}", "name_zh": f"实验室{i}", "founded_year": 1950 + i % 70} for i in range(1000)]
SLACK_S = 0.7  # how far past its limit a stopped read may end on a busy two-core machine (measured: ≤ 0.35 s)
# Neo4j's transaction monitor looks for timed-out transactions every 2 s (db.transaction.monitor.check.interval)
SLACK_S_BY_STORE = {"embedded": SLACK_S, "neo4j": 2.0 + SLACK_S}


def _settings(path: Path, timeout_s: float, row_cap: int) -> Settings:
    return Settings(
        data_dir=path.parent, embedded_path=path, backend="embedded", query_timeout_s=timeout_s, row_cap=row_cap
    )


@pytest.fixture(scope="module")
def labs_path(tmp_path_factory: pytest.TempPathFactory, schema: Schema) -> Path:
    path = tmp_path_factory.mktemp("limits") / "graph.lbdb"
    with EmbeddedStore(path, schema) as writer:
        writer.setup_schema()
        writer.upsert_nodes("Laboratory", LABS)
    return path


def _timed_read(store: GraphStore, timeout_s: float | None) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        store.read(SLOW, timeout_s=timeout_s)
        outcome = "finished"
    except QueryRejectedError as exc:
        outcome = "stopped" if "time limit" in str(exc) else f"failed: {exc}"
    return outcome, time.perf_counter() - started


def test_each_of_twelve_concurrent_reads_on_one_store_stops_at_its_own_time_limit(labs_path: Path) -> None:
    default_s = 2.5
    # the app's way: one read-only store for every session and thread, opened from the settings
    store = open_store(_settings(labs_path, default_s, 5000), read_only=True)
    asked: list[float | None] = [0.25, 1.2, None] * 4
    outcomes: dict[int, tuple[str, float]] = {}

    def reader(i: int) -> None:
        outcomes[i] = _timed_read(store, asked[i])

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(len(asked))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        store.close()
    for i, limit in enumerate(asked):
        own = default_s if limit is None else limit
        outcome, seconds = outcomes[i]
        assert outcome == "stopped", (i, limit, outcome, seconds)
        # neither a shorter limit (another read's) nor a longer one or none (another's, or the connection's)
        assert 0.9 * own <= seconds <= own + SLACK_S, (i, limit, seconds, outcomes)


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def limited(request: pytest.FixtureRequest, tmp_path: Path, schema: Schema) -> GraphStore:
    """A store holding the 1,000 labs whose settings allow 1 s and 25 rows per read."""
    if request.param == "embedded":
        path = tmp_path / "graph.lbdb"
        with EmbeddedStore(path, schema) as writer:
            writer.setup_schema()
            writer.upsert_nodes("Laboratory", LABS)
        store = open_store(_settings(path, 1.0, 25), read_only=True)
        request.addfinalizer(store.close)
        return store
    from graph.neo4j_store import Neo4jStore

    main: Neo4jStore = request.getfixturevalue("neo4j_store")
    main.upsert_nodes("Laboratory", LABS)
    settings = replace(request.getfixturevalue("neo4j_settings"), query_timeout_s=1.0, row_cap=25)
    return Neo4jStore(main.driver, schema, database=main.database, owns_driver=False, settings=settings)


def test_limits_are_on_by_default_and_a_caller_can_only_lower_them(limited: GraphStore) -> None:
    slack = SLACK_S_BY_STORE[limited.backend]
    for asked in (None, 60.0):  # no limit given, or a longer one: the settings' second
        outcome, seconds = _timed_read(limited, asked)
        assert outcome == "stopped" and 0.9 <= seconds <= 1.0 + slack, (asked, outcome, seconds)
    outcome, seconds = _timed_read(limited, 0.3)
    assert outcome == "stopped" and seconds <= 0.3 + slack, (outcome, seconds)

    every = "MATCH (l:Laboratory) RETURN l.id AS id"
    for cap in (None, 1_000_000):
        capped = limited.read(every, row_cap=cap)
        assert len(capped.rows) == 25 and capped.truncated
    assert len(limited.read(every, row_cap=5).rows) == 5
    for no_limit in (0, -1.0, math.nan):  # 0 means "none" to both databases: refused, never passed on
        with pytest.raises(ValueError, match="time limit"):
            limited.read(every, timeout_s=no_limit)


def test_the_library_reads_every_row_only_through_read_all(limited: GraphStore) -> None:
    whole = limited.read_all("MATCH (l:Laboratory) RETURN l.id AS id")
    assert len(whole.rows) == len(LABS) and not whole.truncated
    with pytest.raises(QueryRejectedError, match="time limit"):
        limited.read_all(SLOW, timeout_s=0.3)  # a time limit, when the library gives one, still holds


def test_no_page_asks_for_an_unlimited_read() -> None:
    """Pages run what a visitor chose: always within the limits (exports and reports go through queries/)."""
    for page in [*sorted((REPO / "app_pages").glob("*.py")), REPO / "app.py"]:
        text = page.read_text(encoding="utf-8")
        assert "read_all(" not in text and "run_all(" not in text, page.name


def test_at_most_max_running_reads_execute_and_a_waiting_read_keeps_its_limit(tmp_path: Path) -> None:
    """Every running query holds its results in the one buffer pool: the pool lets a few run, the rest wait — and
    a read that waits past its own time limit stops there, with the time-limit error."""
    database = ladybug.Database(str(tmp_path / "slots.lbdb"))
    pool = ConnectionPool(database, max_running=2)
    running, most = [0], [0]
    lock = threading.Lock()

    def hold() -> None:
        with pool.lend(None):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.3)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=hold) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    started = time.perf_counter()
    with pytest.raises(QueryRejectedError, match="time limit"), pool.lend(0.1):
        pass
    waited = time.perf_counter() - started
    for thread in threads:
        thread.join()
    pool.close()
    assert most[0] == 2
    assert 0.09 <= waited <= 0.6


def test_a_read_inside_a_threads_own_streamed_read_needs_no_second_slot(tmp_path: Path) -> None:
    """Two threads each consuming a stream and reading inside it, with one slot each: no waiting on each other."""
    database = ladybug.Database(str(tmp_path / "nested.lbdb"))
    pool = ConnectionPool(database, max_running=2)
    done: list[int] = []
    both_in = threading.Barrier(2)

    def stream_then_read(i: int) -> None:
        with pool.lend(None):
            both_in.wait(timeout=5)  # both slots are taken now
            with pool.lend(1.0):
                done.append(i)

    threads = [threading.Thread(target=stream_then_read, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    pool.close()
    assert sorted(done) == [0, 1]
