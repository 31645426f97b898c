"""A re-run's ties beside the stored ones, column by column (ingest/tie_diff.py), against the rule it replaced: two
ties are the same when the digests of their properties, the run stamp and absent values left out, are equal."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.arrow_compare import same_values
from graph.arrow_rows import UNFIT, relationship_schema, tie_table_of_rows
from graph.embedded_store import EmbeddedStore
from graph.neo4j_connect import connect
from graph.neo4j_store import Neo4jStore
from graph.schema import Schema
from graph.settings import Settings
from graph.store import GraphStore
from ingest.build import UNHASHED
from ingest.claims import digest
from ingest.stored import dictionary_encoded
from ingest.tie_diff import compare, dropped

# a few values a column of each type may hold, so that two random rows are often equal
VALUES: dict[str, list[Any]] = {
    "string": [None, "", "a", "b"],
    "int64": [None, 0, 1, 2**62],
    "double": [None, 0.5, 1.0, 1e-7],
    "bool": [None, True, False],
    "list<item: string>": [None, [], ["x"], ["x", "y"], ["y", "x"]],
}


def _print(row: dict[str, Any]) -> bytes:
    """The rule replaced: a digest of the properties that are present, the run stamp left out."""
    return digest({k: v for k, v in row.items() if k not in ("from_id", "to_id", *UNHASHED) and v is not None})


def _rows(schema: Schema) -> st.SearchStrategy[dict[str, Any]]:
    fields = [f for f in relationship_schema(schema) if f.name not in ("from_id", "to_id")]
    return st.fixed_dictionaries({f.name: st.sampled_from(VALUES[str(f.type)]) for f in fields})


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_columns_tell_what_the_digests_told(schema: Schema, data: st.DataObject) -> None:
    expected = relationship_schema(schema)
    pairs = data.draw(st.lists(st.tuples(_rows(schema), _rows(schema)), min_size=1, max_size=12))
    new = [{"from_id": f"a{i}", "to_id": "c", **fresh} for i, (fresh, _) in enumerate(pairs)]
    old = [{"from_id": f"a{i}", "to_id": "c", **stored} for i, (_, stored) in enumerate(pairs)]
    # the stored rows in another order than the run's
    stored_table = pa.Table.from_pylist(old[::-1], schema=expected)
    result = compare(pa.Table.from_pylist(new, schema=expected), stored_table)
    assert result.stored.all() and result.kept.all()
    assert result.changed.tolist() == [_print(fresh) != _print(stored) for fresh, stored in pairs]
    # as a run holds them: their text dictionary-encoded (ingest/stored.py), in two pages with dictionaries of their own
    half = len(old) // 2
    pages = [dictionary_encoded(stored_table.slice(0, half)), dictionary_encoded(stored_table.slice(half))]
    encoded = compare(pa.Table.from_pylist(new, schema=expected), pa.concat_tables(pages))
    assert encoded.stored.tolist() == result.stored.tolist() and encoded.kept.tolist() == result.kept.tolist()
    assert encoded.differs.tolist() == result.differs.tolist() and encoded.columns == result.columns


def test_the_run_stamp_and_absent_values_are_no_change_and_every_other_value_is(schema: Schema) -> None:
    expected = relationship_schema(schema)
    stored = {"from_id": "a", "to_id": "c", "source_file": "f.csv", "source_row": 2, "match_confidence": 1.0}
    stored |= {"source_refs": ["f.csv#2"], "ingest_run": "run-1"}
    variants: list[dict[str, Any]] = [
        {"ingest_run": "run-2", "role": None},  # the same
        {"source_row": 3},
        {"match_confidence": 0.9},
        {"source_refs": ["f.csv#3"]},
        {"source_refs": ["f.csv#2", "g.csv#1"]},
        {"source_refs": []},
        {"source_refs": None},
        {"role": "链主"},
        {"source_file": None},
    ]
    new = [{**stored, **change, "from_id": f"a{i}"} for i, change in enumerate(variants)]
    old = [{**stored, "from_id": f"a{i}"} for i in range(len(variants))]
    result = compare(pa.Table.from_pylist(new, schema=expected), pa.Table.from_pylist(old, schema=expected))
    assert result.changed.tolist() == [False] + [True] * (len(variants) - 1)


def test_a_changed_tie_is_written_with_the_columns_that_differ_and_an_added_one_whole(schema: Schema) -> None:
    expected = relationship_schema(schema)
    stored = [{"from_id": f"a{i}", "to_id": "c", "source_row": i, "source_file": "f", "role": "r"} for i in range(5)]
    fresh = [dict(row) for row in stored] + [{"from_id": "new", "to_id": "c", "source_row": 9, "role": "r"}]
    fresh[1]["source_row"] = 10  # one column
    fresh[2]["source_row"] = 20
    fresh[3] |= {"source_row": 30, "role": None}  # two, one of them cleared
    new = pa.Table.from_pylist(fresh, schema=expected)
    writes = compare(new, pa.Table.from_pylist(stored, schema=expected)).writes()
    assert writes.count == 4
    added = writes.added_table(new)
    assert added is not None and added.to_pylist() == [new.to_pylist()[5]]  # every column
    parts = [part.to_pylist() for part in writes.changed_tables(new)]
    assert sorted(parts, key=len) == [
        [{"from_id": "a3", "to_id": "c", "role": None, "source_row": 30}],
        [{"from_id": "a1", "to_id": "c", "source_row": 10}, {"from_id": "a2", "to_id": "c", "source_row": 20}],
    ]
    empty = new.slice(0, 0)
    assert compare(empty, None).writes().added_table(empty) is None
    everything = compare(new, None).writes()
    assert everything.count == 6 and not list(everything.changed_tables(new))
    assert everything.added_table(new) is new


def test_ties_only_one_side_has_are_added_or_dropped(schema: Schema) -> None:
    expected = relationship_schema(schema)
    new = pa.Table.from_pylist(
        [{"from_id": i, "to_id": "c", "source_refs": [f"f#{i}"]} for i in ("a", "b")], schema=expected
    )
    old_rows = [{"from_id": i, "to_id": "c", "source_refs": [f"f#{i}"]} for i in ("b", "d")]
    old_rows.append({"from_id": "e", "to_id": "c", "source_file": "old.csv"})  # before statements were kept
    old_rows.append({"from_id": "g", "to_id": "c", "source_file": "other.csv"})
    old = pa.Table.from_pylist(old_rows, schema=expected)
    result = compare(new, old)
    assert result.stored.tolist() == [False, True]
    assert result.changed.tolist() == [False, False]
    assert result.kept.tolist() == [True, False, False, False]
    expected_gone = [("LOCATED_IN", "Laboratory", "d", "City", "c"), ("LOCATED_IN", "Laboratory", "e", "City", "c")]
    for held in (old, dictionary_encoded(old)):  # as read, and as a run holds it (ingest/stored.py)
        assert compare(new, held).kept.tolist() == result.kept.tolist()
        assert list(dropped(("LOCATED_IN", "Laboratory", "City"), held, result.kept, {"old.csv"})) == expected_gone
    assert compare(new, None).stored.tolist() == [False, False]


def test_a_tie_stored_twice_is_changed_when_either_copy_differs(schema: Schema) -> None:
    expected = relationship_schema(schema)
    new = pa.Table.from_pylist([{"from_id": "a", "to_id": "c", "source_row": 1}], schema=expected)
    for rows, changed in [([1, 1], False), ([1, 2], True), ([2, 1], True)]:
        old = pa.Table.from_pylist([{"from_id": "a", "to_id": "c", "source_row": r} for r in rows], schema=expected)
        result = compare(new, old)
        assert result.changed.tolist() == [changed] and result.kept.tolist() == [True, True]


def test_a_value_that_does_not_fit_its_column_reads_as_a_change(schema: Schema) -> None:
    expected = relationship_schema(schema)
    row = {"from_id": "a", "to_id": "c", "source_row": 2}
    stored = tie_table_of_rows([dict(row), {**row, "from_id": "b", "source_row": "two"}], expected)
    assert stored[UNFIT].to_pylist() == [False, True]
    assert stored["from_id"].to_pylist() == ["a", "b"]
    new = pa.Table.from_pylist([row, {**row, "from_id": "b"}], schema=expected)
    assert compare(new, stored).changed.tolist() == [False, True]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("match_confidence", 1),  # an int where a float belongs: Arrow would make it 1.0
        ("match_confidence", True),
        ("source_row", 2.0),  # and this 2
        ("source_row", 2.7),
        ("source_row", True),
        ("source_refs", "f.csv#2"),  # and this a list of its characters
        ("source_refs", ["f.csv#2", 3]),
        ("source_file", b"f.csv"),
        ("source_file", "\ud800"),  # a lone surrogate: no UTF-8 for it
        ("source_row", 2**70),
    ],
)
def test_a_stored_value_of_another_type_is_never_converted_but_read_as_a_change(
    schema: Schema, column: str, value: Any
) -> None:
    """Neo4j types nothing: a value retyped by hand reads as absent and marks its row, which the run writes again
    whole; the rest of the row is read as it is, so the tie is still dropped when the run no longer has it."""
    expected = relationship_schema(schema)
    row = {"from_id": "a", "to_id": "c", "source_row": 2, "source_file": "f.csv", "source_refs": ["f.csv#2"]}
    row["match_confidence"] = 1.0
    stored = tie_table_of_rows([dict(row), {**row, "from_id": "b", column: value}], expected)
    assert stored[UNFIT].to_pylist() == [False, True]
    assert stored.slice(1).to_pylist()[0][column] is None
    assert {k: v for k, v in stored.slice(1).to_pylist()[0].items() if k not in (column, UNFIT, "from_id")} == {
        k: v for k, v in stored.slice(0, 1).to_pylist()[0].items() if k not in (column, UNFIT, "from_id")
    }
    new = pa.Table.from_pylist([row, {**row, "from_id": "b"}], schema=expected)
    assert compare(new, stored).changed.tolist() == [False, True]
    gone = compare(new.slice(0, 1), stored)
    assert list(dropped(("LOCATED_IN", "Laboratory", "City"), stored, gone.kept, set())) == [
        ("LOCATED_IN", "Laboratory", "b", "City", "c")
    ]


def test_ends_are_read_as_text_and_a_tie_stored_twice_is_dropped_once(schema: Schema) -> None:
    expected = relationship_schema(schema)
    stored = tie_table_of_rows([{"from_id": 7, "to_id": "c", "source_refs": ["f#1"]}] * 2, expected)
    assert UNFIT not in stored.column_names and stored["from_id"].to_pylist() == ["7", "7"]
    assert list(dropped(("LOCATED_IN", "Laboratory", "City"), stored, np.zeros(2, dtype=bool), set())) == [
        ("LOCATED_IN", "Laboratory", "7", "City", "c")
    ]


def test_an_update_never_makes_a_tie(store: GraphStore, schema: Schema) -> None:
    """A changed tie's columns are set on the stored tie: one deleted meanwhile is not made again with those alone,
    and the count says so."""
    rels = _load(store)
    store.delete_relationships("LOCATED_IN", "Laboratory", "City", [("lab/00001", "city/440300")])
    rows = [{"from_id": r["from_id"], "to_id": r["to_id"], "source_row": 100 + i} for i, r in enumerate(rels[:3])]
    table = pa.Table.from_pylist(rows, schema=pa.schema([f for f in relationship_schema(schema) if f.name in rows[0]]))
    assert store.update_relationship_table("LOCATED_IN", "Laboratory", "City", table) == 2
    held = {r["from_id"]: r for _, _, t in store.relationship_tables("LOCATED_IN") for r in t.to_pylist()}
    assert "lab/00001" not in held and len(held) == 24
    assert held["lab/00002"]["source_row"] == 102 and held["lab/00002"]["source_refs"] == ["f.csv#2"]
    assert store.update_relationships("LOCATED_IN", "Laboratory", "City", rows[:1]) == 1


def test_a_tie_stored_twice_does_not_hide_one_deleted(store: GraphStore, schema: Schema) -> None:
    """The count is of the rows whose tie was found, not of the ties set: a pair held twice counted 2 and made up for
    a deleted tie's row, and the run went on without it (found by an independent review)."""
    rels = _load(store)
    twice = "MATCH (a:Laboratory {id: 'lab/00000'}), (b:City {id: 'city/440300'}) CREATE (a)-[:LOCATED_IN]->(b)"
    store._write(twice) if isinstance(store, Neo4jStore) else cast(EmbeddedStore, store)._execute(twice)
    store.delete_relationships("LOCATED_IN", "Laboratory", "City", [("lab/00001", "city/440300")])
    rows = [{"from_id": r["from_id"], "to_id": r["to_id"], "source_row": 100 + i} for i, r in enumerate(rels[:2])]
    table = pa.Table.from_pylist(rows, schema=pa.schema([f for f in relationship_schema(schema) if f.name in rows[0]]))
    assert store.update_relationship_table("LOCATED_IN", "Laboratory", "City", table) == 1
    assert store.update_relationships("LOCATED_IN", "Laboratory", "City", rows) == 1


def _load(store: GraphStore) -> list[dict[str, Any]]:
    store.upsert_nodes("City", [{"id": "city/440300", "name_zh": "深圳市"}])
    store.upsert_nodes("Laboratory", [{"id": f"lab/{i:05d}", "name_zh": f"实验室{i}"} for i in range(25)])
    rels = [
        {"from_id": f"lab/{i:05d}", "to_id": "city/440300", "source_row": i, "source_refs": [f"f.csv#{i}"]}
        | ({"role": "链主", "match_confidence": 0.5} if i % 3 else {})
        for i in range(25)
    ]
    store.upsert_relationships("LOCATED_IN", "Laboratory", "City", rels)
    return rels


def test_each_store_hands_its_ties_over_as_the_rows_it_holds(store: GraphStore, schema: Schema) -> None:
    rels = _load(store)
    parts = list(store.relationship_tables("LOCATED_IN"))
    assert {(a, b) for a, b, _ in parts} == {("Laboratory", "City")}
    table = pa.concat_tables([t for _, _, t in parts], promote_options="default")
    assert table.schema.names[: len(relationship_schema(schema))] == relationship_schema(schema).names
    by_row = {r["from_id"]: r for r in table.to_pylist()}
    assert len(by_row) == 25
    for rel in rels:
        held = {k: v for k, v in by_row[rel["from_id"]].items() if v is not None and k != UNFIT}
        assert held == rel
    new = pa.Table.from_pylist(rels, schema=relationship_schema(schema))
    assert not compare(new, table).changed.any()
    changed = pa.Table.from_pylist([{**rels[0], "source_row": 99}, *rels[1:]], schema=relationship_schema(schema))
    assert compare(changed, table).changed.tolist() == [True] + [False] * 24


@pytest.mark.neo4j
def test_a_property_retyped_by_hand_on_neo4j_is_read_as_a_change(
    neo4j_store: GraphStore, neo4j_settings: Settings, schema: Schema
) -> None:
    rels = _load(neo4j_store)
    driver = connect(neo4j_settings)
    try:
        with driver.session(database=neo4j_settings.neo4j_database) as session:
            session.run("MATCH (:Laboratory {id: 'lab/00004'})-[r:LOCATED_IN]->() SET r.source_row = 'four'").consume()
    finally:
        driver.close()
    table = pa.concat_tables(
        [t for _, _, t in neo4j_store.relationship_tables("LOCATED_IN")], promote_options="default"
    )
    new = pa.Table.from_pylist(rels, schema=relationship_schema(schema))
    changed = compare(new, table).changed
    assert np.flatnonzero(changed).tolist() == [4]


def test_values_are_the_same_only_when_a_write_would_leave_them_as_they_are() -> None:
    """NaN equals NaN and absent equals absent; -0.0 is not 0.0 (written, they differ), nor absent an empty list."""
    floats = same_values(
        pa.array([0.0, -0.0, None, float("nan"), 1.5]), pa.array([-0.0, -0.0, None, float("nan"), 1.5])
    )
    assert floats.tolist() == [False, True, True, True, True]
    lists = same_values(pa.array([None, [], ["a"], ["a", "b"]]), pa.array([[], [], ["a"], ["b", "a"]]))
    assert lists.tolist() == [False, True, True, False]
