"""Rows handed to a store as Arrow tables (the ingest's rows, graph/arrow_rows.py): the same graph as the same rows
as dicts, on both stores, through both ways a store writes (a few rows merged, many copied)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from graph import embedded_store as embedded_store_module
from graph import embedded_writes
from graph.arrow_rows import node_schema, relationship_schema
from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.errors import SchemaError, StoreError
from graph.schema import Schema
from graph.store import GraphStore

CITY = {"id": "city/440300", "name_zh": "深圳市", "admin_code": "440300"}


def _labs(n: int, start: int = 0, suffix: str = "") -> list[dict[str, object]]:
    return [
        {"id": f"lab/{i:05d}", "name_zh": f"实验室{i}{suffix}", "founded_year": 2000 + i % 20, "aliases": [f"L{i}"]}
        for i in range(start, start + n)
    ]


def _ties(n: int, start: int = 0, role: str = "main") -> list[dict[str, object]]:
    return [{"from_id": f"lab/{i:05d}", "to_id": "city/440300", "role": role} for i in range(start, start + n)]


def _table(rows: list[dict[str, object]], schema: pa.Schema) -> pa.Table:
    present = [f for f in schema if any(f.name in row for row in rows)]
    return pa.Table.from_pylist(rows, schema=pa.schema(present))


def _by_id(store: GraphStore, label: str) -> dict[str, dict[str, object]]:
    return {str(n["id"]): n for n in store.iter_nodes(label)}


@pytest.mark.parametrize("size", [30, 2600], ids=["merge", "copy"])
def test_a_table_writes_what_the_same_rows_as_dicts_write(store: GraphStore, schema: Schema, size: int) -> None:
    labs, ties = node_schema(schema.node_class("Laboratory")), relationship_schema(schema)
    store.upsert_nodes("City", [CITY])
    assert store.upsert_node_table("Laboratory", _table(_labs(size), labs)) == size
    assert store.upsert_relationship_table("LOCATED_IN", "Laboratory", "City", _table(_ties(size), ties)) == size
    from_tables = graph_digest(store)
    # then half renamed and as many new: old ids merged, new ones added, nothing twice
    later = _labs(size // 2, suffix="（更名）") + _labs(size, start=size)
    store.upsert_node_table("Laboratory", _table(later, labs))
    written = store.upsert_relationship_table(
        "LOCATED_IN", "Laboratory", "City", _table(_ties(size // 2, role="branch") + _ties(size, start=size), ties)
    )
    assert written == size // 2 + size
    nodes = _by_id(store, "Laboratory")
    assert len(nodes) == 2 * size and store.relationship_counts()["LOCATED_IN"] == 2 * size
    assert nodes["lab/00001"]["name_zh"] == "实验室1（更名）" and nodes["lab/00001"]["aliases"] == ["L1"]
    assert nodes[f"lab/{size - 1:05d}"]["name_zh"] == f"实验室{size - 1}"  # not in the second table: as it was
    assert nodes[f"lab/{2 * size - 1:05d}"]["founded_year"] == 2000 + (2 * size - 1) % 20
    roles = {str(e["from_id"]): e.get("role") for e in store.iter_relationships("LOCATED_IN")}
    assert roles["lab/00000"] == "branch" and roles[f"lab/{size - 1:05d}"] == "main"
    # the same first rows as dicts, into an empty store, give the same graph
    store.clear()
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(size))
    store.upsert_relationships("LOCATED_IN", "Laboratory", "City", _ties(size))
    assert graph_digest(store) == from_tables


def test_a_column_the_table_lacks_is_left_as_it_was(store: GraphStore, schema: Schema) -> None:
    labs = node_schema(schema.node_class("Laboratory"))
    store.upsert_nodes("Laboratory", _labs(2500))
    renamed = [{"id": row["id"], "name_zh": "改名"} for row in _labs(2500)]
    store.upsert_node_table("Laboratory", _table(renamed, labs))
    node = _by_id(store, "Laboratory")["lab/00007"]
    assert node["name_zh"] == "改名" and node["founded_year"] == 2007 and node["aliases"] == ["L7"]


_HELD = [
    {"id": "lab/00000", "name_zh": "甲", "founded_year": 2001, "aliases": ["A", "B"], "description": "旧"},
    {"id": "lab/00001", "name_zh": "乙", "founded_year": 2002, "aliases": ["C"]},
    {"id": "lab/00002", "name_zh": "丙", "founded_year": 2003, "aliases": ["D"]},
]
_LATER = [
    {**_HELD[0], "aliases": ["A", "X"], "description": None},  # an item of a list changed, a value cleared
    dict(_HELD[1]),  # the same in every column
    {**_HELD[2], "founded_year": 2013, "aliases": []},
    {"id": "lab/00003", "name_zh": "丁", "founded_year": 2004},  # not held yet
]


def test_rows_merged_over_held_nodes_leave_them_as_the_rows_say(store: GraphStore, schema: Schema) -> None:
    labs = node_schema(schema.node_class("Laboratory"))
    store.upsert_node_table("Laboratory", _table(_HELD, labs))
    store.upsert_node_table("Laboratory", _table(_LATER, labs))
    nodes = _by_id(store, "Laboratory")
    picked = {k: {p: nodes[k].get(p) for p in ("name_zh", "founded_year", "aliases", "description")} for k in nodes}
    assert picked == {
        "lab/00000": {"name_zh": "甲", "founded_year": 2001, "aliases": ["A", "X"], "description": None},
        "lab/00001": {"name_zh": "乙", "founded_year": 2002, "aliases": ["C"], "description": None},
        "lab/00002": {"name_zh": "丙", "founded_year": 2013, "aliases": [], "description": None},
        "lab/00003": {"name_zh": "丁", "founded_year": 2004, "aliases": None, "description": None},
    }


def test_the_embedded_store_sets_on_a_held_node_only_the_columns_that_differ(
    embedded_store: GraphStore, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A held node gets only the columns whose values differ from its stored ones, and none when all are equal; a
    node not held yet gets every column."""
    labs = node_schema(schema.node_class("Laboratory"))
    embedded_store.upsert_node_table("Laboratory", _table(_HELD, labs))
    merges: list[tuple[str, ...]] = []
    execute = embedded_store._execute  # type: ignore[attr-defined]

    def recorded(cypher: str, params: dict[str, pa.Table] | None = None) -> object:
        if "MERGE" in cypher:
            ids = params["t"]["v_id"].to_pylist() if params else []
            merges.extend((str(i), *re.findall(r"n\.(\w+) =", cypher)) for i in ids)
        return execute(cypher, params)

    monkeypatch.setattr(embedded_store, "_execute", recorded)
    embedded_store.upsert_node_table("Laboratory", _table(_LATER, labs))
    assert sorted(merges) == [
        ("lab/00000", "aliases", "description"),
        ("lab/00002", "aliases", "founded_year"),
        ("lab/00003", "aliases", "description", "founded_year", "name_zh"),
    ]
    # more sets of differing columns than a batch is set in: one statement with every column that differs in any
    monkeypatch.setattr(embedded_writes, "MAX_COLUMN_SETS", 1)
    merges.clear()
    embedded_store.upsert_node_table("Laboratory", _table(_HELD, labs))
    assert sorted(merges) == [
        ("lab/00000", "aliases", "description", "founded_year"),
        ("lab/00002", "aliases", "description", "founded_year"),
    ]
    nodes = _by_id(embedded_store, "Laboratory")
    assert [nodes[str(row["id"])].get("aliases") for row in _HELD] == [["A", "B"], ["C"], ["D"]]
    assert [nodes[str(row["id"])].get("founded_year") for row in _HELD] == [2001, 2002, 2003]
    assert nodes["lab/00000"]["description"] == "旧" and "description" not in nodes["lab/00002"]


def test_a_read_only_embedded_store_refuses_a_write_that_would_change_nothing(tmp_path: Path, schema: Schema) -> None:
    path = tmp_path / "g.lbdb"
    with EmbeddedStore(path, schema) as writer:
        writer.setup_schema()
        writer.upsert_nodes("Laboratory", _HELD)
    with EmbeddedStore(path, schema, read_only=True) as reader, pytest.raises(StoreError, match="read-only"):
        reader.upsert_nodes("Laboratory", _HELD)


def test_relationship_rows_whose_ends_are_missing_are_not_written(store: GraphStore, schema: Schema) -> None:
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(2500))
    astray: list[dict[str, object]] = [
        {"from_id": "lab/missing", "to_id": "city/440300"},
        {"from_id": "lab/00001", "to_id": "x"},
    ]
    rows = _ties(2500) + astray
    table = _table(rows, relationship_schema(schema))
    assert store.upsert_relationship_table("LOCATED_IN", "Laboratory", "City", table) == 2500
    assert store.relationship_counts()["LOCATED_IN"] == 2500
    nowhere = _table([{**tie, "to_id": "city/000000"} for tie in _ties(2500)], relationship_schema(schema))
    assert store.upsert_relationship_table("LOCATED_IN", "Laboratory", "City", nowhere) == 0  # no end: nothing
    assert store.relationship_counts()["LOCATED_IN"] == 2500


def test_ends_looked_up_in_many_batches_keep_exactly_the_ties_whose_ends_are_held(
    embedded_store: GraphStore, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded store counts each batch of distinct ends and reads back only a batch with some missing: in
    batches of 7 ids, missing ends scattered among held ones, every tie with both ends is written and no other."""
    monkeypatch.setattr(embedded_writes, "ID_LOOKUP", 7)
    embedded_store.upsert_nodes("City", [CITY])
    ties = _ties(2500)
    # no laboratory yet: none of the ties has its start, and none is written
    assert (
        embedded_store.upsert_relationship_table(
            "LOCATED_IN", "Laboratory", "City", _table(ties, relationship_schema(schema))
        )
        == 0
    )
    embedded_store.upsert_node_table("Laboratory", _table(_labs(2500), node_schema(schema.node_class("Laboratory"))))
    for i in (3, 700, 701, 2499):
        ties[i] = {**ties[i], "from_id": f"lab/gone{i}"}
    ties[1200] = {**ties[1200], "to_id": "city/000000"}
    table = _table(ties, relationship_schema(schema))
    assert embedded_store.upsert_relationship_table("LOCATED_IN", "Laboratory", "City", table) == 2495
    held = {r["a"] for r in embedded_store.read("MATCH (l:Laboratory)-[:LOCATED_IN]->(:City) RETURN l.id AS a").rows}
    assert held == {f"lab/{i:05d}" for i in range(2500)} - {f"lab/{i:05d}" for i in (3, 700, 701, 2499, 1200)}
    # half of them held, half new: the held ones merged, the new ones copied, every one once
    labs = _labs(2600, start=1900, suffix="（更名）")
    assert embedded_store.upsert_node_table("Laboratory", _table(labs, node_schema(schema.node_class("Laboratory"))))
    nodes = _by_id(embedded_store, "Laboratory")
    assert len(nodes) == 4500 and nodes["lab/01900"]["name_zh"] == "实验室1900（更名）"
    assert nodes["lab/04499"]["name_zh"] == "实验室4499（更名）" and nodes["lab/01899"]["name_zh"] == "实验室1899"


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([{"id": "lab/1", "colour": "red"}], "unknown column"),
        ([{"id": "lab/1"}, {"id": None}], "needs a id"),
        ([{"name_zh": "无编号"}], "needs a id"),
        ([{"id": "lab/1"}, {"id": "lab/1"}], "repeat"),
        ([{"id": "lab/1", "founded_year": "一九九九"}], "founded_year"),
        ([{"id": "lab/1", "founded_year": "1999"}], "founded_year"),  # a string Arrow could parse: still refused
        ([{"id": "lab/1", "founded_year": True}], "founded_year"),
        ([{"id": "lab/1", "name_zh": 42}], "name_zh"),
        ([{"id": "lab/1", "aliases": ["甲", None]}], "null inside a list"),
        ([{"id": ""}], "non-empty"),
        ([{"id": 1}], "id"),
    ],
    ids=[
        "unknown column",
        "null id",
        "no id column",
        "repeated id",
        "wrong type",
        "a number as text",
        "a boolean",
        "a number for text",
        "a null in a list",
        "an empty id",
        "a number for an id",
    ],
)
def test_a_table_that_breaks_the_schema_is_refused_and_nothing_written(
    store: GraphStore, rows: list[dict[str, object]], says: str
) -> None:
    with pytest.raises(SchemaError, match=says):
        store.upsert_node_table("Laboratory", pa.Table.from_pylist(rows))
    assert store.node_counts()["Laboratory"] == 0


def test_a_relationship_table_with_a_repeated_pair_is_refused(store: GraphStore, schema: Schema) -> None:
    store.upsert_nodes("City", [CITY])
    store.upsert_nodes("Laboratory", _labs(3))
    table = _table(_ties(3) + _ties(1, role="again"), relationship_schema(schema))
    with pytest.raises(SchemaError, match="repeat"):
        store.upsert_relationship_table("LOCATED_IN", "Laboratory", "City", table)
    assert store.relationship_counts()["LOCATED_IN"] == 0


def test_a_table_in_many_chunks_merges_in_batches_not_a_statement_per_chunk(
    embedded_store: GraphStore, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each merge statement holds buffer-pool pages until the write commits: a table of 1,999 one-row chunks (from
    ``concat_tables``, or a Parquet file's row groups) must not become 1,999 statements."""
    labs = node_schema(schema.node_class("Laboratory"))
    table = pa.concat_tables([_table([row], labs) for row in _labs(1999)])
    assert table.num_rows == 1999 and table["id"].num_chunks == 1999
    statements: list[str] = []
    execute = embedded_store._execute  # type: ignore[attr-defined]

    def counted(cypher: str, params: object = None) -> object:
        statements.append(cypher)
        return execute(cypher, params)

    monkeypatch.setattr(embedded_store, "_execute", counted)
    assert embedded_store.upsert_node_table("Laboratory", table) == 1999
    assert sum(s.startswith("LOAD FROM $t MERGE") for s in statements) == 1
    assert len(_by_id(embedded_store, "Laboratory")) == 1999


def _batched(rows: list[dict[str, object]], table_schema: pa.Schema, size: int) -> pa.Table:
    """The rows as a table of batches of ``size`` rows (the last one shorter), with an empty batch after the first
    (a concatenation with an empty slice makes one; LadybugDB's COPY stops at it)."""
    parts = [_table(rows[i : i + size], table_schema) for i in range(0, len(rows), size)]
    return pa.concat_tables([parts[0], parts[0].slice(0, 0), *parts[1:]])


@contextmanager
def _no_copy_file(table: pa.Table, folder: Path | None = None) -> Iterator[str | None]:
    yield None  # as where no Parquet file can be written (graph/copy_files.py): the COPY takes the Arrow table


@pytest.mark.parametrize("through", ["file", "table"])
def test_copy_in_chunks_keeps_every_row_and_value(
    embedded_store: GraphStore, schema: Schema, monkeypatch: pytest.MonkeyPatch, through: str
) -> None:
    """Each COPY takes a slice of the table (an offset into its buffers), as it is, in the batches it was made in
    (a spilled table's are 20,000 rows; not copied into one), through a Parquet file or as the Arrow table: no row
    may be lost, doubled or shifted where a slice starts or ends inside a batch, or holds an empty batch."""
    if through == "table":
        monkeypatch.setattr(embedded_writes, "parquet_for_copy", _no_copy_file)
    monkeypatch.setattr(embedded_writes, "COPY_CHUNK", 700)
    monkeypatch.setattr(embedded_writes, "REL_COPY_ROWS_PER_POOL_MB", 1)  # 1,024 rows: COPY_CHUNK parts
    embedded_store.upsert_nodes("City", [CITY])
    labs = _labs(2600)
    lab_table = _batched(labs, node_schema(schema.node_class("Laboratory")), 333)
    assert [len(chunk) for chunk in lab_table["id"].chunks][:3] == [333, 0, 333] and lab_table.num_rows == 2600
    embedded_store.upsert_node_table("Laboratory", lab_table)
    ties = _ties(2600)
    for i, tie in enumerate(ties):
        tie["source_row"] = i
    embedded_store.upsert_relationship_table(
        "LOCATED_IN", "Laboratory", "City", _batched(ties, relationship_schema(schema), 333)
    )
    nodes = _by_id(embedded_store, "Laboratory")
    assert {k: {p: nodes[k].get(p) for p in ("name_zh", "founded_year", "aliases")} for k in nodes} == {
        str(row["id"]): {p: row[p] for p in ("name_zh", "founded_year", "aliases")} for row in labs
    }
    rows = {str(e["from_id"]): e["source_row"] for e in embedded_store.iter_relationships("LOCATED_IN")}
    assert rows == {f"lab/{i:05d}": i for i in range(2600)}


@pytest.mark.parametrize(("per_pool_mb", "copies"), [(1, 4), (embedded_writes.REL_COPY_ROWS_PER_POOL_MB, 1)])
def test_a_relationship_table_the_pool_carries_goes_in_one_copy(
    embedded_store: EmbeddedStore,
    schema: Schema,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    per_pool_mb: int,
    copies: int,
) -> None:
    """Each COPY into a relationship table that already holds rows is merged into them (at scale 150 the firms'
    IN_CLUSTER ties took about 138 s in parts, 12–15 s in one): a table the buffer pool carries goes in one COPY, a
    larger one in a node table's parts, and the log says so and names the pool that would take it whole. Every tie
    arrives either way."""
    monkeypatch.setattr(embedded_writes, "COPY_CHUNK", 700)
    monkeypatch.setattr(embedded_writes, "REL_COPY_ROWS_PER_POOL_MB", per_pool_mb)
    embedded_store.upsert_nodes("City", [CITY])
    embedded_store.upsert_node_table(
        "Laboratory", _batched(_labs(2600), node_schema(schema.node_class("Laboratory")), 333)
    )
    statements: list[str] = []
    execute = embedded_store._execute

    def noted(cypher: str, params: Any = None) -> Any:
        statements.append(cypher)
        return execute(cypher, params)

    monkeypatch.setattr(embedded_store, "_execute", noted)
    embedded_store.upsert_relationship_table(
        "LOCATED_IN", "Laboratory", "City", _batched(_ties(2600), relationship_schema(schema), 333)
    )
    assert sum(s.startswith("COPY LOCATED_IN") for s in statements) == copies
    assert len(list(embedded_store.iter_relationships("LOCATED_IN"))) == 2600
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "COPY" in r.getMessage()]
    if copies == 1:
        assert warned == []
    else:  # 2,600 rows at one row a MB: a pool of 2,600 MB takes them whole
        assert len(warned) == 1 and "LOCATED_IN (Laboratory→City)" in warned[0] and "4 批" in warned[0]
        assert "2,600 行" in warned[0] and "CLUSTERKG_BUFFER_POOL_MB=2600 takes it" in warned[0]


def test_the_warning_of_parts_names_the_parts_and_the_pool(caplog: pytest.LogCaptureFixture) -> None:
    """Scale 450's 6.8 M IN_CLUSTER ties with a 3 GiB pool: 28 parts of 250,000, and a pool of 6,800,001 ÷ 750 MB
    rounded up (9,067, not 9,066) takes them whole, written as the setting takes it."""
    embedded_writes._warn_of_parts("IN_CLUSTER (Enterprise→IndustryCluster)", 6_800_001, 3072)
    (message,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    chinese, english = message.split(" / ", 1)
    assert "6,800,001 行" in chinese and "3,072 MB" in chinese and "28 批" in chinese and "约 9067 " in chinese
    assert "6,800,001 rows" in english and "3,072 MB" in english and "28 parts" in english
    assert "CLUSTERKG_BUFFER_POOL_MB=9067 " in english


@pytest.mark.parametrize(
    ("renew_after", "after_each_table", "through"),
    [(1 << 20, False, "table"), (None, True, "table"), (None, False, "table"), (None, False, "file")],
    ids=["bytes", "table", "none", "file"],
)
def test_the_writer_lets_go_of_the_tables_it_handed_over(
    embedded_store: GraphStore,
    schema: Schema,
    monkeypatch: pytest.MonkeyPatch,
    renew_after: int | None,
    after_each_table: bool,
    through: str,
) -> None:
    """LadybugDB keeps every Arrow table a statement was given until its connection closes: the writer's connection
    is renewed once RENEW_AFTER_BYTES were handed over, and after each table of more than LET_GO_AFTER_TABLE_BYTES
    (this one is 19 MB), so no more than that of what a load wrote stays held. With neither ("none") the store is
    seen holding all of it: what the test can tell apart. Those three copy the Arrow table itself, as where no
    Parquet file can be written; a COPY through a file ("file", graph/copy_files.py) hands over no table, and nothing
    stays held without a renewal (at scale 150 the firms' IN_CLUSTER table was 516 MB)."""
    if through == "table":
        monkeypatch.setattr(embedded_writes, "parquet_for_copy", _no_copy_file)
    monkeypatch.setattr(embedded_store_module, "RENEW_AFTER_BYTES", renew_after or 1 << 62)
    if not after_each_table:
        monkeypatch.setattr(embedded_store, "_let_go_of_tables", lambda: None)
    labs = [{**lab, "description": "长" * 200} for lab in _labs(30_000)]
    table = _table(labs, node_schema(schema.node_class("Laboratory")))
    before = pa.total_allocated_bytes()
    size = table.nbytes
    embedded_store.upsert_node_table("Laboratory", table)
    embedded_store.upsert_nodes("City", [CITY])  # one more statement
    del table, labs
    held = pa.total_allocated_bytes() - before + size  # what the table's own buffers do not explain
    assert len(_by_id(embedded_store, "Laboratory")) == 30_000
    if renew_after is None and not after_each_table and through == "table":
        assert held > size  # the store holds what it was handed: the renewals are what let it go
    else:
        assert held < 2 << 20


def test_the_writer_checkpoints_before_it_lets_go_of_a_table(embedded_store: GraphStore, schema: Schema) -> None:
    """A connection renewed with writes only in the log, then a failed checkpoint, lost stored rows from the
    primary-key index: so the renewal after a table checkpoints first, and the log is empty once it is done."""
    assert isinstance(embedded_store, EmbeddedStore)
    labs = [{**lab, "description": "长" * 200} for lab in _labs(30_000)]
    lab_schema = node_schema(schema.node_class("Laboratory"))
    assert _table(labs, lab_schema).nbytes > embedded_store_module.LET_GO_AFTER_TABLE_BYTES
    embedded_store.upsert_node_table("Laboratory", _table(labs, lab_schema))  # new rows: COPY
    changed = [{**lab, "description": "短" * 200} for lab in labs]
    embedded_store.upsert_node_table("Laboratory", _table(changed, lab_schema))  # known rows: MERGE, logged
    wal = Path(f"{embedded_store.path}.wal")
    assert not wal.exists() or wal.stat().st_size == 0
    rows = embedded_store.read("MATCH (n:Laboratory {id: $i}) RETURN n.description AS d", {"i": labs[-1]["id"]}).rows
    assert rows == [{"d": "短" * 200}]
