"""Hostile queries in the console are refused or cut off by the database (and, on the embedded store, by a
sandboxed child process), and nothing in the graph changes. The full attack suite of #8 builds on this."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.errors import QueryRejectedError
from graph.sandbox import run_sandboxed
from graph.schema import Schema
from graph.store import GraphStore

WRITES = [
    "CREATE (:City {id: 'city/000000', name_zh: '伪造'})",
    "MATCH (c:City) SET c.name_zh = 'x'",
    "MATCH (c:City) DETACH DELETE c",
    "MERGE (:Laboratory {id: 'lab/fake'})",
    "MATCH (c:City {id: 'city/440100'}) SET c.latitude = NULL",
]
EMBEDDED_ONLY = [
    "CREATE NODE TABLE Evil(id STRING PRIMARY KEY)",
    "COPY City FROM '/etc/hostname'",
    "INSTALL httpfs",  # would download: the sandbox has no network, so it fails at once
    "UNWIND range(1, 3000000000) AS x RETURN count(x)",  # would exhaust memory: the sandbox caps it
    "DROP TABLE City",
]
NEO4J_ONLY = [
    "CREATE INDEX evil FOR (n:City) ON (n.region)",
    "CALL db.createLabel('Evil')",
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "LOAD CSV FROM 'http://127.0.0.1:9/x.csv' AS row RETURN row",
    "CREATE USER evil SET PASSWORD 'password123'",
    "UNWIND range(1, 3000000000) AS x RETURN count(x)",
]


def test_embedded_console_refuses_hostile_queries(loaded_embedded_path: Path, schema: Schema) -> None:
    reader = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    before = graph_digest(reader)
    reader.close()
    for query in WRITES + EMBEDDED_ONLY:
        with pytest.raises(QueryRejectedError):
            run_sandboxed(loaded_embedded_path, query, {}, timeout_s=5, row_cap=100)
    capped = run_sandboxed(loaded_embedded_path, "MATCH (e:Enterprise) RETURN e.id AS id", {}, timeout_s=5, row_cap=10)
    assert len(capped.rows) == 10 and capped.truncated
    reader = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    assert graph_digest(reader) == before
    reader.close()


@pytest.mark.neo4j
def test_neo4j_console_refuses_hostile_queries(loaded_neo4j: GraphStore) -> None:
    before = graph_digest(loaded_neo4j)
    for query in WRITES + NEO4J_ONLY:
        with pytest.raises(QueryRejectedError):
            loaded_neo4j.read(query, timeout_s=5, row_cap=100)
    assert graph_digest(loaded_neo4j) == before
