"""Hostile queries in the console are refused or cut off by the database (and, on the embedded store, by a
sandboxed child process), within the time limit, and nothing in the graph changes.

Each store gets at least 30 queries: writes of every kind, schema and admin commands, procedures that write
(APOC is not installed, so they are unknown procedures — the read-only mode would refuse them otherwise),
file and network reads, endless variable-length paths, cartesian explosions and huge ranges. A query passes
when the database rejects it, stops it at the timeout, or the row cap cuts its answer; the content hash of
the graph is the same after all of them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.errors import QueryRejectedError
from graph.sandbox import run_sandboxed
from graph.schema import Schema
from graph.store import GraphStore, QueryResult

TIMEOUT_S = 3.0
ROW_CAP = 100
# The database enforces the timeout; the margin covers starting the sandbox and tearing a query down.
WALL_LIMIT_S = TIMEOUT_S + 12

BOTH = [
    "CREATE (:City {id: 'city/000000', name_zh: '伪造'})",
    "MATCH (c:City) SET c.name_zh = 'x'",
    "MATCH (c:City) DETACH DELETE c",
    "MATCH (c:City) DELETE c",
    "MERGE (:Laboratory {id: 'lab/fake'})",
    "MATCH (c:City {id: 'city/440100'}) SET c.latitude = NULL",
    "MATCH (c:City) REMOVE c.name_en",
    "MATCH ()-[r:LOCATED_IN]->() DELETE r",
    "MATCH (a:Enterprise), (b:IndustryCluster) CREATE (a)-[:IN_CLUSTER]->(b)",
    "MATCH (a:Enterprise)-[r:IN_CLUSTER]->(b) SET r.confidence = 'forged'",
    "UNWIND range(1, 10) AS i CREATE (:Fund {id: 'fund/fake' + toString(i)})",
    "CALL apoc.create.node(['Evil'], {id: 'x'}) YIELD node RETURN node",
    "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', {batchSize: 1000})",
    "CALL apoc.cypher.runWrite('CREATE (:Evil)', {})",
    "CALL apoc.load.json('file:///etc/passwd') YIELD value RETURN value",
    "CALL apoc.export.csv.all('/tmp/ckg-evil.csv', {})",
    "MATCH p = (a)-[*]-(b) RETURN count(p)",  # every path of every length: endless
    "MATCH (a)-[*1..25]-(b) RETURN a.id, b.id",  # answered until the row cap
    "MATCH (a), (b), (c) RETURN a.id, b.id, c.id ORDER BY a.id, b.id, c.id",  # a cartesian product sorted
    "MATCH (a), (b) RETURN a, b",  # cut by the row cap
    "UNWIND range(1, 3000000000) AS x RETURN count(x)",
    "UNWIND range(1, 200000000) AS x WITH x ORDER BY x DESC RETURN x",
]
EMBEDDED_ONLY = [
    "CREATE NODE TABLE Evil(id STRING PRIMARY KEY)",
    "DROP TABLE City",
    "ALTER TABLE City ADD evil STRING",
    "COPY City FROM '/etc/hostname'",
    "COPY (MATCH (c:City) RETURN c.id) TO '/tmp/ckg-evil.csv'",
    "LOAD FROM '/etc/passwd' (file_format='csv', header=false) RETURN *",
    "LOAD FROM '/etc/hostname' (file_format='csv', header=false) RETURN *",
    "INSTALL httpfs",  # would download: the sandbox has no network, so it fails at once
    "LOAD EXTENSION '/tmp/libevil.so'",
    "ATTACH '/tmp/ckg-evil.lbdb' AS evil (dbtype lbug)",
    "EXPORT DATABASE '/tmp/ckg-evil-export'",
    "CHECKPOINT",
]
NEO4J_ONLY = [
    "CREATE INDEX evil FOR (n:City) ON (n.region)",
    "DROP CONSTRAINT ckg_City_id",
    "CREATE CONSTRAINT evil FOR (n:Fund) REQUIRE n.name_zh IS UNIQUE",
    "MATCH (c:City) WITH c LIMIT 1 SET c:Evil",
    "FOREACH (i IN range(1, 10) | CREATE (:Evil))",
    "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS",
    "CALL db.createLabel('Evil')",
    "CALL db.createProperty('evil')",
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "LOAD CSV FROM 'http://127.0.0.1:9/x.csv' AS row RETURN row",
    "CREATE USER evil SET PASSWORD 'password123'",
    "ALTER USER neo4j SET PASSWORD 'password123'",
    "CALL dbms.setConfigValue('db.transaction.timeout', '0')",
    "CREATE DATABASE evil",
    "STOP DATABASE neo4j",
    "ALTER DATABASE neo4j SET ACCESS READ ONLY",
    "CALL dbms.security.createUser('evil', 'password123', false)",
]


def _passes(run: object, query: str) -> str:
    """Run one hostile query; say how it was stopped, or fail the test."""
    started = time.perf_counter()
    try:
        result = run(query)  # type: ignore[operator]
    except QueryRejectedError as exc:
        outcome = f"rejected: {exc}"
    else:
        assert isinstance(result, QueryResult)
        assert result.truncated and len(result.rows) == ROW_CAP, f"{query!r} ran and was not cut: {result.rows[:3]}"
        outcome = "cut at the row cap"
    elapsed = time.perf_counter() - started
    assert elapsed < WALL_LIMIT_S, f"{query!r} took {elapsed:.1f} s"
    return outcome


def test_the_suites_are_large_enough() -> None:
    assert len(BOTH + EMBEDDED_ONLY) >= 30 and len(BOTH + NEO4J_ONLY) >= 30


def test_embedded_console_refuses_hostile_queries(loaded_embedded_path: Path, schema: Schema) -> None:
    reader = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    before = graph_digest(reader)
    reader.close()

    def run(query: str) -> QueryResult:
        return run_sandboxed(loaded_embedded_path, query, {}, timeout_s=TIMEOUT_S, row_cap=ROW_CAP)

    outcomes = {query: _passes(run, query) for query in BOTH + EMBEDDED_ONLY}
    assert sum(o.startswith("rejected") for o in outcomes.values()) >= 25
    assert not Path("/tmp/ckg-evil.csv").exists() and not Path("/tmp/ckg-evil-export").exists()
    reader = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    assert graph_digest(reader) == before
    reader.close()


def test_embedded_console_reads_no_local_files(loaded_embedded_path: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("token\ns3cr3t-value\n", encoding="utf-8")
    with pytest.raises(QueryRejectedError, match="Permission denied"):
        run_sandboxed(loaded_embedded_path, f"LOAD FROM '{secret}' RETURN *", {}, timeout_s=TIMEOUT_S, row_cap=10)


@pytest.mark.neo4j
def test_neo4j_console_refuses_hostile_queries(loaded_neo4j: GraphStore) -> None:
    before = graph_digest(loaded_neo4j)

    def run(query: str) -> QueryResult:
        return loaded_neo4j.read(query, timeout_s=TIMEOUT_S, row_cap=ROW_CAP)

    outcomes = {query: _passes(run, query) for query in BOTH + NEO4J_ONLY}
    assert sum(o.startswith("rejected") for o in outcomes.values()) >= 25
    users = loaded_neo4j.read("SHOW DATABASES YIELD name RETURN collect(name) AS names").rows
    assert users and "evil" not in users[0]["names"]
    assert graph_digest(loaded_neo4j) == before
