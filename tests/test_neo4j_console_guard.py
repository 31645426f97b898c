"""The Neo4j console cannot hurt a shared server (issue 19), on real servers: the development one, a
minimal-config one (the Docker image's defaults: LOAD CSV may read files, no transaction memory limit) and the
console's disposable replica — the last two started here by scripts/neo4j-dev on free ports, killed at the end.

Every attack of the review is refused by the text checks; the plan checks alone refuse the dangerous kinds
again; with both switched off, four runaway queries on the replica leave the main server answering a named
query within twice its usual time. Then the start-up check, and each item of the review's finding 5.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import neo4j
import pytest

from graph.digest import graph_digest
from graph.errors import QueryRejectedError, StoreError, StoreUnavailableError, UnsafeQueryError
from graph.neo4j_console import run_checked
from graph.neo4j_store import Neo4jStore, connect, to_python
from graph.schema import Schema
from graph.settings import Secret, Settings
from graph.store import GraphStore, UntrustedLimits
from queries.catalog import get_query
from tests.conftest import REPO, free_port
from tests.test_console_safety import BOTH, NEO4J_ONLY

pytestmark = pytest.mark.neo4j
LIMITS = UntrustedLimits(timeout_s=3.0, row_cap=100, max_bytes=200_000, wait_s=10.0)
DEV = REPO / "scripts" / "neo4j-dev"
# The review's attacks (issue 19, findings 1–4), beside the console suite's hostile queries.
ATTACKS = [
    "RETURN reduce(s='', i IN range(1,100000000) | s+'xxxxxxxxxx')",
    "RETURN [i IN range(1,20000000) | toString(i)]",
    "SHOW TRANSACTIONS YIELD *",
    "SHOW TRANSACTIONS YIELD transactionId AS t TERMINATE TRANSACTIONS t",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "SHOW SETTINGS",
    "CALL dbms.listConfig()",
    "CALL dbms.queryJmx('*:*')",
    "CALL dbms.listConnections()",
    "CALL db.stats.retrieve('QUERIES')",
    "CALL db.clearQueryCaches()",
    "CALL db.stats.clear()",
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "LOAD CSV FROM 'http://127.0.0.1:9/x.csv' AS row RETURN row",
    "USE system SHOW USERS",
    "RETURN reduce(s='x', i IN range(1,40) | s + s)",
    "RETURN replace(replace(replace('xxxxxxxxxx','x','xxxxxxxxxx'),'x','xxxxxxxxxx'),'x','xxxxxxxxxx')",
    "RETURN [x IN range(1,1000) | [y IN range(1,1000) | y]]",
    "RETURN reduce(s='', i IN range(1,10000) | s + '" + "x" * 6400 + "')",  # a 64 MB string
    "RETURN " + "[" * 200 + "1" + "]" * 200,  # deeply nested: the server and the driver recurse on it
    "CALL dbms.listConfig",
    "MATCH (n) RETURN n; MATCH (m) DETACH DELETE m",
]
# The dangerous kinds the server's own plan refuses again, were the text checks ever to let one through.
PLAN_ONLY = [
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "SHOW TRANSACTIONS YIELD *",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "SHOW SETTINGS",
    "CALL dbms.listConfig()",
    "CALL dbms.queryJmx('*:*')",
    "CALL db.stats.retrieve('QUERIES')",
    "CALL db.clearQueryCaches()",
    "CREATE (:Evil)",
]
RUNAWAYS = [
    "RETURN reduce(s='', i IN range(1,100000000) | s+'xxxxxxxxxx')",  # CPU past its timeout
    "RETURN [i IN range(1,20000000) | toString(i)]",  # the heap
]


def _dev(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEV), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.fixture(scope="module")
def servers(neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Settings]]:
    """The console replica and a minimal-config server, started side by side (about 12 s), killed after."""
    base = tmp_path_factory.mktemp("servers")
    password = neo4j_settings.neo4j_password.reveal()
    replica_port, minimal_port = free_port(), free_port()
    replica_env = {"NEO4J_DEV_HOME": str(base / "main"), "NEO4J_DEV_CONSOLE_HOME": str(base / "replica"),
                   "NEO4J_DEV_CONSOLE_PORT": str(replica_port), "NEO4J_PASSWORD": password}  # fmt: skip
    minimal_env = {"NEO4J_DEV_HOME": str(base / "minimal"), "NEO4J_DEV_PORT": str(minimal_port),
                   "NEO4J_DEV_CONFIG": "minimal", "NEO4J_PASSWORD": password}  # fmt: skip
    started: dict[str, subprocess.CompletedProcess[str]] = {}
    threads = [
        threading.Thread(target=lambda: started.__setitem__("replica", _dev(replica_env, "console-start"))),
        threading.Thread(target=lambda: started.__setitem__("minimal", _dev(minimal_env, "start"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        for name, done in started.items():
            assert done.returncode == 0, f"{name}: {done.stdout} {done.stderr}"
        restart = f"env NEO4J_DEV_HOME={base / 'main'} NEO4J_DEV_CONSOLE_HOME={base / 'replica'} " \
                  f"NEO4J_DEV_CONSOLE_PORT={replica_port} NEO4J_PASSWORD={password} {DEV} console-restart"  # fmt: skip
        yield {
            "replica": replace(neo4j_settings, console_uri=f"bolt://127.0.0.1:{replica_port}", console_restart=restart),
            "minimal": replace(neo4j_settings, neo4j_uri=f"bolt://127.0.0.1:{minimal_port}"),
        }
    finally:
        _dev(replica_env, "console-crash")  # disposable: killed, not waited for
        _dev(minimal_env, "crash")


def _small_graph(store: GraphStore) -> None:
    store.setup_schema()
    store.upsert_nodes("City", [{"id": f"city/44{i:04d}", "name_zh": f"市{i}"} for i in range(30)])


@pytest.fixture(params=["dev", "minimal"])
def target(request: pytest.FixtureRequest, neo4j_store: GraphStore, servers: dict[str, Settings], schema: Schema
           ) -> Iterator[Neo4jStore]:  # fmt: skip
    """Each attack test runs on the development server and on the minimal-config one."""
    if request.param == "dev":
        assert isinstance(neo4j_store, Neo4jStore)
        _small_graph(neo4j_store)
        yield neo4j_store
        return
    store = Neo4jStore.from_settings(servers["minimal"], schema)
    store.clear()
    _small_graph(store)
    yield store
    store.close()


# The tests on the bundled graph come first: the per-server tests below clear the development server.
def test_console_queries_run_on_the_refreshed_replica(loaded_neo4j: GraphStore, servers: dict[str, Settings],
                                                      schema: Schema) -> None:  # fmt: skip
    store = Neo4jStore.from_settings(servers["replica"], schema)
    try:
        answer = store.read_untrusted("MATCH (c:City) RETURN count(c) AS n", {}, LIMITS)
        assert answer.rows == loaded_neo4j.read("MATCH (c:City) RETURN count(c) AS n").rows
        assert "replica" in store.untrusted_guard()[1]
    finally:
        store.close()


def test_four_runaway_queries_leave_the_main_server_responsive(
    loaded_neo4j: GraphStore, servers: dict[str, Settings]
) -> None:
    """The plan and text checks switched off: the runaways reach the replica, and only the replica pays."""
    named = get_query("shared_entities")

    def timed() -> float:
        started = time.perf_counter()
        named.run(loaded_neo4j, {}, timeout_s=30, row_cap=5000)
        return time.perf_counter() - started

    timed()
    alone = statistics.median(timed() for _ in range(5))
    replica = servers["replica"]
    driver = neo4j.GraphDatabase.driver(
        replica.console_uri or "", auth=(replica.neo4j_username, replica.neo4j_password.reveal())
    )
    outcomes: list[str] = []

    def runaway(query: str) -> None:
        try:
            run_checked(driver, "neo4j", query, {}, LIMITS, plan_check=False)
            outcomes.append("answered")
        except (StoreError, neo4j.exceptions.Neo4jError, OSError) as exc:
            outcomes.append(type(exc).__name__)

    workers = [threading.Thread(target=runaway, args=(q,), daemon=True) for q in RUNAWAYS * 2]
    for worker in workers:
        worker.start()
    time.sleep(LIMITS.timeout_s + 1)  # past their timeout: still running (finding 1) or the heap gone (finding 2)
    during = statistics.median(timed() for _ in range(5))
    print(f"named query shared_entities: {alone * 1000:.0f} ms alone, {during * 1000:.0f} ms during 4 runaways")
    assert during <= 2 * max(alone, 0.05)
    assert loaded_neo4j.read("RETURN 1 AS one").rows == [{"one": 1}]  # the main server needs no restart
    restarted = subprocess.run(replica.console_restart.split() if replica.console_restart else [], capture_output=True,
                               text=True, timeout=240, check=False)  # fmt: skip
    assert restarted.returncode == 0, restarted.stderr
    for worker in workers:
        worker.join(timeout=30)
    driver.close()
    assert "answered" not in outcomes


def test_set_like_lists_come_back_sorted_on_both_stores(loaded_neo4j: GraphStore, loaded_embedded_path: Path,
                                                        schema: Schema) -> None:  # fmt: skip
    from graph.embedded_store import EmbeddedStore

    embedded = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    try:
        for name, column in (("policy_targets", "departments"), ("shared_entities", "codes")):
            answers = [get_query(name).run(store, {}).rows for store in (embedded, loaded_neo4j)]
            lists = [[row[column] for row in rows] for rows in answers]
            assert lists[0] == lists[1] and all(v == sorted(v) for v in lists[0]), name
    finally:
        embedded.close()


def test_every_attack_is_refused_and_nothing_changes(target: Neo4jStore) -> None:
    before = graph_digest(target)
    for query in ATTACKS + BOTH + NEO4J_ONLY:
        started = time.perf_counter()
        try:
            result = target.read_untrusted(query, {}, LIMITS)
        except QueryRejectedError:
            pass
        else:  # a harmless read on this small graph (an endless path over no relationship): nothing leaks
            assert "root:" not in json.dumps(result.rows) and "neo4j-transaction" not in json.dumps(result.rows)
        assert time.perf_counter() - started < LIMITS.timeout_s + 10, query[:80]
    for query in ATTACKS:  # each refused before it runs, saying why in Chinese and English
        with pytest.raises(UnsafeQueryError) as refused:
            target.read_untrusted(query, {}, LIMITS)
        assert "控制台拒绝" in refused.value.zh and "console refuses" in refused.value.en
    assert graph_digest(target) == before
    users = target.read("SHOW USERS YIELD user RETURN collect(user) AS u").rows[0]["u"]
    assert "evil" not in users


def test_the_plan_check_alone_refuses_the_dangerous_kinds(target: Neo4jStore) -> None:
    for query in PLAN_ONLY:
        with pytest.raises(UnsafeQueryError):
            run_checked(target.driver, target.database, query, {}, LIMITS)
    ok = run_checked(target.driver, target.database, "MATCH (c:City) RETURN count(c) AS n", {}, LIMITS)
    assert ok.rows == [{"n": 30}]


def test_the_startup_check_warns_on_a_minimal_server(servers: dict[str, Settings], neo4j_store: GraphStore,
                                                     schema: Schema) -> None:  # fmt: skip
    minimal = Neo4jStore.from_settings(servers["minimal"], schema)
    warned = " ".join(en for _, en in minimal.safety_warnings())
    minimal.close()
    assert "allow_csv_import_from_file_urls=true" in warned and "db.memory.transaction.max=0" in warned
    assert isinstance(neo4j_store, Neo4jStore) and neo4j_store._server_warnings() == []
    env = {**os.environ, "NEO4J_URI": servers["minimal"].neo4j_uri or ""}
    cli = subprocess.run([sys.executable, str(REPO / "cli.py"), "counts", "--store", "neo4j"], env=env,
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert cli.returncode == 0 and "configured less safely" in cli.stderr and "Traceback" not in cli.stderr


def test_temporal_spatial_and_nested_values_come_back_as_text(target: Neo4jStore) -> None:
    query = "RETURN {since: date('2020-01-01')} AS m, point({x: 1, y: 2}) AS p, duration('P1D') AS d, [[[1]]] AS l"
    row = target.read_untrusted(query, {}, LIMITS).rows[0]
    assert row["m"] == {"since": "2020-01-01"} and row["l"] == [[[1]]]
    json.dumps(row)  # JSON-able whatever the types
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    assert to_python(deep, 12) is not None  # no RecursionError


def test_answers_are_capped_in_bytes(target: Neo4jStore) -> None:
    query = "UNWIND range(1, 2000) AS i RETURN i, '" + "x" * 4000 + "' AS s"
    result = target.read_untrusted(query, {}, replace(LIMITS, row_cap=5000, value_max_chars=5000))
    assert result.truncated and len(json.dumps(result.rows).encode()) <= LIMITS.max_bytes


def test_connection_errors_have_their_own_message_and_never_the_password(
    servers: dict[str, Settings], tmp_path: Path
) -> None:
    minimal = servers["minimal"]
    secret = "Pw-In-The-Uri-4711"
    uri = (minimal.neo4j_uri or "").replace("bolt://", f"bolt://neo4j:{secret}@")
    with pytest.raises(StoreUnavailableError) as caught:
        connect(replace(minimal, neo4j_uri=uri))
    assert secret not in str(caught.value) and "NEO4J_PASSWORD" in str(caught.value)
    with pytest.raises(StoreUnavailableError, match="not a Neo4j address"):
        connect(replace(minimal, neo4j_uri="bolt//host:7687"))
    env = {**os.environ, "NEO4J_URI": uri}
    cli = subprocess.run([sys.executable, str(REPO / "cli.py"), "counts", "--store", "neo4j"], env=env,
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert cli.returncode == 2 and secret not in cli.stdout + cli.stderr and "Traceback" not in cli.stderr
    for _ in range(4):  # wrong passwords, then the right one: refused for a while, said in one sentence
        with pytest.raises(StoreUnavailableError):
            connect(replace(minimal, neo4j_password=Secret("wrong-password-x")))
    with pytest.raises(StoreUnavailableError) as limited:
        connect(minimal)
    assert "AuthenticationRateLimit" in str(limited.value) and minimal.neo4j_password.reveal() not in str(limited.value)
