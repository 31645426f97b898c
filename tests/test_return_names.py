"""A typed query's columns are named by the text the reader typed, on both stores (graph/return_names.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from graph.return_names import named_as_typed, returned_texts
from graph.schema import Schema
from graph.store import GraphStore, UntrustedLimits

LIMITS = UntrustedLimits(timeout_s=10.0, row_cap=100, max_bytes=200_000, wait_s=10.0)
TYPED = (
    "MATCH (c:City)<-[r:LOCATED_IN]-(n:Laboratory) "
    "RETURN c.name_zh, count(*), c.name_zh + '!' AS shout, size(collect(n.id)) "
    "ORDER BY count(*) DESC, c.name_zh LIMIT 3"
)


@pytest.mark.parametrize(
    ("cypher", "items"),
    [
        ("MATCH (n) RETURN n.a, count(*) AS k", ["n.a", "count(*) AS k"]),
        ("MATCH (n) RETURN DISTINCT n.a ORDER BY n.a SKIP 1", ["n.a"]),
        ("RETURN [1, 2], {a: 1, b: 2}, 'x, y', `a,b`", ["[1, 2]", "{a: 1, b: 2}", "'x, y'", "`a,b`"]),
        ("MATCH (n) WITH n RETURN n.order, n.limit LIMIT 2", ["n.order", "n.limit"]),
        ("MATCH (n) WHERE n.a = 'RETURN x' RETURN n.b /* RETURN c */", ["n.b"]),
        # a comment is no part of an item: its comma, its quote and its words (the catalog's own queries have them)
        ("RETURN n.a,   // the lab's name, in full\n  n.b // its level\nLIMIT 1", ["n.a", "n.b"]),
        ("RETURN n.a AS 城市, count(*) AS 数量 // per city", ["n.a AS 城市", "count(*) AS 数量"]),
        ("CALL { MATCH (n) RETURN n } RETURN 1 + 1;", ["1 + 1"]),
        ("MATCH (n) RETURN *", None),
        ("RETURN 1 UNION RETURN 2", None),
        ("MATCH (n) WHERE n.a = 'unclosed", None),
    ],
)
def test_the_last_return_s_items_are_read_as_typed(cypher: str, items: list[str] | None) -> None:
    assert returned_texts(cypher) == items


def test_an_item_with_an_alias_keeps_the_engine_s_name_and_a_mismatch_keeps_them_all() -> None:
    assert named_as_typed("RETURN count(*), 1 AS one", ["COUNT_STAR()", "one"]) == ["count(*)", "one"]
    assert named_as_typed("RETURN count(*), 1 AS one", ["COUNT_STAR()"]) == ["COUNT_STAR()"]
    assert named_as_typed("RETURN 1, 1", ["a", "b"]) == ["a", "b"]  # the same text twice: names that tell apart
    assert named_as_typed("RETURN c.name_zh AS 城市, count(*)", ["城市", "COUNT_STAR()"]) == ["城市", "count(*)"]


@pytest.mark.parametrize(
    ("cypher", "engine", "names"),
    [  # what Neo4j 5.26 names them
        ("WITH 1 AS x RETURN DISTINCT(x)", ["a"], ["x"]),
        ("WITH 1 AS x RETURN ( (x) ), (x + 1)", ["a", "b"], ["x", "(x + 1)"]),
        ("WITH 1 AS `a b` RETURN `a b`, `a b` + 1", ["a", "b"], ["a b", "`a b` + 1"]),
        ("WITH 1 AS `a``b` RETURN DISTINCT( `a``b` )", ["a"], ["a`b"]),
        ("WITH 1 AS x RETURN x AS `y``z`", ["y`z"], ["y`z"]),  # an alias with a quote: still the alias
        ("WITH 1 AS `a(b` RETURN `a(b`, (`a)`)", ["a", "b"], ["a(b", "a)"]),  # a bracket inside the quotes
        ("RETURN DISTINCT (null), (TRUE), (false)", ["a", "b", "c"], ["(null)", "(TRUE)", "(false)"]),
    ],
)
def test_a_variable_alone_is_named_by_the_variable(cypher: str, engine: list[str], names: list[str]) -> None:
    assert named_as_typed(cypher, engine) == names


def test_a_long_hostile_text_is_read_in_linear_time() -> None:
    started = time.perf_counter()
    for text in ("(" * 200_000, "'" + "\\" * 200_000, "RETURN " + "a," * 100_000, "/*" * 100_000, "//" * 100_000):
        returned_texts(text)
    named_as_typed("RETURN 1" + " " * 200_000 + "+ 1", ["x"])  # an alias looked for from each blank was quadratic
    named_as_typed("RETURN 1" + " AS" * 100_000, ["x"])
    assert time.perf_counter() - started < 5.0


@pytest.mark.neo4j
def test_both_stores_name_a_typed_query_s_columns_alike(
    loaded_embedded_path: Path, schema: Schema, loaded_neo4j: GraphStore
) -> None:
    """LadybugDB named them ``COUNT_STAR()`` and ``SIZE(COLLECT(n.id))``; Neo4j names them as typed."""
    embedded = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    ours = embedded.read_untrusted(TYPED, None, LIMITS)
    embedded.close()
    theirs = loaded_neo4j.read_untrusted(TYPED, None, LIMITS)
    assert ours.columns == theirs.columns == ["c.name_zh", "count(*)", "shout", "size(collect(n.id))"]
    assert ours.rows == theirs.rows and len(ours.rows) == 3
    variables = "MATCH (c:City) WITH c.name_zh AS `城市 名`, c AS x RETURN DISTINCT (`城市 名`), (x.admin_code) LIMIT 1"
    embedded = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    ours = embedded.read_untrusted(variables, None, LIMITS)
    embedded.close()
    assert ours.columns == loaded_neo4j.read_untrusted(variables, None, LIMITS).columns == ["城市 名", "(x.admin_code)"]
