"""The contract both stores keep; every test here runs on the embedded store and on Neo4j."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.errors import QueryRejectedError, SchemaError
from graph.schema import Schema
from graph.store import GraphStore

CITY = {"id": "city/440300", "name_zh": "深圳市", "name_en": "Shenzhen", "admin_code": "440300", "latitude": 22.54}
UNICODE_NAMES = [
    "中国散裂中子源",
    "ＡＢＣ全角（股份）有限公司",  # full-width letters and brackets kept as given
    "第一行\n第二行",
    '含"引号"与\\反斜杠',
    "𠀋非BMP字符🚀",
    "  前后空格  ",
]


def _labs(n: int, prefix: str = "lab") -> list[dict[str, object]]:
    return [
        {"id": f"{prefix}/{i:05d}", "name_zh": f"实验室{i}", "founded_year": 2000 + i % 20, "aliases": [f"L{i}"]}
        for i in range(n)
    ]


def test_schema_setup_is_idempotent_and_covers_every_class(store: GraphStore, schema: Schema) -> None:
    store.setup_schema()
    store.setup_schema()
    assert set(store.node_counts()) == {c.name for c in schema.node_classes}
    assert set(store.relationship_counts()) == set(schema.relationships)
    assert sum(store.node_counts().values()) == 0


def test_upsert_twice_gives_the_same_graph(store: GraphStore) -> None:
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(10))
    rels = [{"from_id": f"lab/{i:05d}", "to_id": "city/440300", "source_row": i} for i in range(10)]
    assert store.upsert_relationships("LOCATED_IN", "Laboratory", "City", rels) == 10
    first = graph_digest(store)
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(10))
    assert store.upsert_relationships("LOCATED_IN", "Laboratory", "City", rels) == 10
    second = graph_digest(store)
    assert first == second
    assert first.node_counts["Laboratory"] == 10
    assert first.relationship_counts["LOCATED_IN"] == 10


@pytest.mark.parametrize("size", [50, 3000], ids=["unwind", "bulk"])
def test_upsert_updates_properties_in_place(store: GraphStore, size: int) -> None:
    store.upsert_nodes("Laboratory", _labs(size))
    changed = [{**row, "name_zh": f"{row['name_zh']}（更名）", "founded_year": None} for row in _labs(size)]
    store.upsert_nodes("Laboratory", changed)
    nodes = sorted(store.iter_nodes("Laboratory"), key=lambda n: str(n["id"]))
    assert len(nodes) == size
    assert nodes[7]["name_zh"] == "实验室7（更名）"
    assert "founded_year" not in nodes[7]  # set to null = removed, on both stores
    assert nodes[7]["aliases"] == ["L7"]


@pytest.mark.parametrize("size", [20, 2500], ids=["unwind", "bulk"])
def test_values_are_converted_for_the_store_and_the_callers_rows_left_as_they_were(
    store: GraphStore, size: int
) -> None:
    cities = [{**CITY, "id": f"city/{i:06d}", "latitude": 22 if i % 2 else 22.5} for i in range(size)]
    labs = [{**row, "aliases": (f"L{i}",)} for i, row in enumerate(_labs(size))]
    given = [dict(row) for row in cities], [dict(row) for row in labs]
    store.upsert_nodes("City", cities)
    store.upsert_nodes("Laboratory", labs)
    assert (cities, labs) == (given[0], given[1]) and type(labs[3]["aliases"]) is tuple  # not converted in place
    stored = {str(n["id"]): n for n in store.iter_nodes("City")}
    assert stored["city/000001"]["latitude"] == 22.0 and isinstance(stored["city/000001"]["latitude"], float)
    assert [n["aliases"] for n in store.iter_nodes("Laboratory") if n["id"] == "lab/00003"] == [["L3"]]


def test_duplicate_ids_in_one_batch_collapse_last_wins(store: GraphStore) -> None:
    store.upsert_nodes("City", [{**CITY, "name_en": "first"}, {**CITY, "name_en": "second"}])
    nodes = list(store.iter_nodes("City"))
    assert len(nodes) == 1 and nodes[0]["name_en"] == "second"


@pytest.mark.parametrize("size", [20, 2500], ids=["unwind", "bulk"])
def test_relationships_need_both_endpoints(store: GraphStore, size: int) -> None:
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(size))
    rows = [{"from_id": f"lab/{i:05d}", "to_id": "city/440300", "role": "main"} for i in range(size)]
    rows.append({"from_id": "lab/missing", "to_id": "city/440300"})
    rows.append({"from_id": "lab/00001", "to_id": "city/999999"})
    assert store.upsert_relationships("LOCATED_IN", "Laboratory", "City", rows) == size
    assert store.relationship_counts()["LOCATED_IN"] == size
    assert store.upsert_relationships("LOCATED_IN", "Laboratory", "City", rows) == size
    assert store.relationship_counts()["LOCATED_IN"] == size
    edge = next(e for e in store.iter_relationships("LOCATED_IN") if e["from_id"] == "lab/00003")
    assert edge == {
        "from_label": "Laboratory",
        "to_label": "City",
        "from_id": "lab/00003",
        "to_id": "city/440300",
        "role": "main",
    }


def test_unicode_round_trips_exactly(store: GraphStore) -> None:
    rows = [{"id": f"ent/{i}", "name_zh": name, "roles": [name, "链主"]} for i, name in enumerate(UNICODE_NAMES)]
    store.upsert_nodes("Enterprise", rows)
    got = {n["id"]: n for n in store.iter_nodes("Enterprise")}
    for row in rows:
        assert got[str(row["id"])]["name_zh"] == row["name_zh"]
        assert got[str(row["id"])]["roles"] == row["roles"]
    found = store.read("MATCH (e:Enterprise) WHERE e.name_zh CONTAINS $part RETURN e.id AS id", {"part": "非BMP"})
    assert [r["id"] for r in found.rows] == ["ent/4"]


def test_values_travel_as_parameters(store: GraphStore) -> None:
    hostile = "x' OR 1=1 //"
    store.upsert_nodes("Enterprise", [{"id": "ent/1", "name_zh": hostile}, {"id": "ent/2", "name_zh": "正常"}])
    result = store.read(
        "MATCH (e:Enterprise) WHERE e.name_zh = $name OR e.id IN $ids RETURN e.id AS id ORDER BY id",
        {"name": hostile, "ids": ["ent/none"]},
    )
    assert result.rows == [{"id": "ent/1"}]


def test_load_order_does_not_matter(store: GraphStore, schema: Schema, tmp_path: Path) -> None:
    rows = _labs(300)
    store.upsert_nodes("Laboratory", rows)
    expected = graph_digest(store)
    other = EmbeddedStore(tmp_path / "shuffled.lbdb", schema)
    other.setup_schema()
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    for start in range(0, len(shuffled), 37):
        other.upsert_nodes("Laboratory", shuffled[start : start + 37])
    assert graph_digest(other) == expected
    other.close()


def test_rows_that_break_the_schema_are_refused(store: GraphStore) -> None:
    with pytest.raises(SchemaError, match="not in the ontology"):
        store.upsert_nodes("City", [{**CITY, "population": 1}])
    with pytest.raises(SchemaError, match="latitude must be DOUBLE"):
        store.upsert_nodes("City", [{**CITY, "latitude": "north"}])
    with pytest.raises(SchemaError, match="unknown node label"):
        store.upsert_nodes("Person", [{"id": "p/1"}])
    with pytest.raises(SchemaError, match="does not go from City"):
        store.upsert_relationships("HOSTED_BY", "City", "University", [{"from_id": "a", "to_id": "b"}])
    assert sum(store.node_counts().values()) == 0


def test_a_scope_is_read_by_id_as_the_whole_graph_would_give_it(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``iter_nodes_among`` and ``iter_relationships_from`` (a scoped RDF export) give exactly what filtering the
    whole graph gives, over several lookup chunks, with ids of other classes and of no node mixed in."""
    import graph.store

    monkeypatch.setattr(graph.store, "ID_CHUNK", 7)
    store.upsert_nodes("City", [CITY, {**CITY, "id": "city/440100", "admin_code": "440100"}])
    store.upsert_nodes("Laboratory", _labs(40))
    rels = [{"from_id": f"lab/{i:05d}", "to_id": f"city/44{'03' if i % 2 else '01'}00"} for i in range(40)]
    store.upsert_relationships("LOCATED_IN", "Laboratory", "City", rels)
    wanted = [f"lab/{i:05d}" for i in range(0, 40, 3)] + ["city/440300", "lab/99999", "nothing"]
    labs = sorted(store.iter_nodes_among("Laboratory", wanted), key=lambda n: n["id"])
    assert labs == sorted((n for n in store.iter_nodes("Laboratory") if n["id"] in wanted), key=lambda n: n["id"])
    assert len(labs) == 14
    assert [c["id"] for c in store.iter_nodes_among("City", wanted)] == ["city/440300"]
    found = {"Laboratory": [n["id"] for n in labs]}
    edges = sorted(store.iter_relationships_from("LOCATED_IN", found), key=lambda e: e["from_id"])
    whole = [e for e in store.iter_relationships("LOCATED_IN") if e["from_id"] in found["Laboratory"]]
    assert edges == sorted(whole, key=lambda e: e["from_id"]) and len(edges) == 14
    assert not list(store.iter_relationships_from("LOCATED_IN", found, to_labels=["District"]))


def test_delete_removes_nodes_and_their_relationships(store: GraphStore) -> None:
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(3))
    store.upsert_relationships(
        "LOCATED_IN", "Laboratory", "City", [{"from_id": f"lab/{i:05d}", "to_id": "city/440300"} for i in range(3)]
    )
    assert store.delete_nodes("Laboratory", ["lab/00000", "lab/00002", "lab/absent"]) == 2
    assert store.node_counts()["Laboratory"] == 1
    assert store.relationship_counts()["LOCATED_IN"] == 1


def test_reads_stop_at_the_row_cap(store: GraphStore) -> None:
    store.upsert_nodes("Laboratory", _labs(40))
    capped = store.read("MATCH (n:Laboratory) RETURN n.id AS id", row_cap=25)
    assert len(capped.rows) == 25 and capped.truncated
    full = store.read("MATCH (n:Laboratory) RETURN n.id AS id", row_cap=100)
    assert len(full.rows) == 40 and not full.truncated


def test_the_database_stops_a_query_past_its_timeout(store: GraphStore) -> None:
    store.upsert_nodes("Laboratory", _labs(2000))
    # a billion-row cartesian product: minutes of work unless the database stops it
    with pytest.raises(QueryRejectedError, match="time limit"):
        store.read(
            "MATCH (a:Laboratory) MATCH (b:Laboratory) MATCH (c:Laboratory) "
            "WHERE a.founded_year + b.founded_year > c.founded_year RETURN count(*) AS n",
            timeout_s=0.5,
        )


def test_graph_results_come_back_as_plain_dicts(store: GraphStore) -> None:
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(1))
    store.upsert_relationships(
        "LOCATED_IN", "Laboratory", "City", [{"from_id": "lab/00000", "to_id": "city/440300", "role": "总部"}]
    )
    row = store.read("MATCH (l:Laboratory)-[r:LOCATED_IN]->(c:City) RETURN l, r, c").rows[0]
    assert row["l"] == {
        "_label": "Laboratory",
        "id": "lab/00000",
        "name_zh": "实验室0",
        "founded_year": 2000,
        "aliases": ["L0"],
    }
    assert row["r"] == {"_type": "LOCATED_IN", "role": "总部"}
    assert row["c"]["_label"] == "City" and row["c"]["name_zh"] == "深圳市"


def test_columns_hold_the_same_rows_as_a_whole_read(store: GraphStore) -> None:
    """read_columns (the topology snapshot's reads, Arrow on the embedded store) answers as read_all does: same
    values, nulls and Chinese text included, and the columns of an empty answer."""
    store.upsert_nodes("City", [{"id": "city/a", "name_zh": "甲市"}, {"id": "city/b", "name_zh": None}])
    cypher = "MATCH (n:City) RETURN n.id AS id, n.name_zh AS name_zh, NULL AS nothing ORDER BY id"
    table = store.read_columns(cypher)
    assert table.column_names == ["id", "name_zh", "nothing"]
    assert (
        table.to_pylist()
        == store.read_all(cypher).rows
        == [
            {"id": "city/a", "name_zh": "甲市", "nothing": None},
            {"id": "city/b", "name_zh": None, "nothing": None},
        ]
    )
    empty = store.read_columns("MATCH (n:City) WHERE n.id = $id RETURN n.id AS id", {"id": "none"})
    assert empty.num_rows == 0 and empty.column_names == ["id"]
