"""The embedded store's reads leave its buffer pool to the writes after them.

An idle LadybugDB connection holds buffer-pool memory of the reads it ran until it is closed (its driver keeps every
statement it prepared). A re-run reads the whole stored graph page by page, then writes: at scale 150 the idle
connections held so much of a 3 GiB pool that the write could not checkpoint (graph/embedded_pool.py).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from graph.arrow_rows import node_schema
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema

LABS = 100_000
POOL_MB = 512  # 12 whole-table reads of the labs below held more than this; the write needs some of it


def _labs(schema: Schema, note: str) -> pa.Table:
    ids = [f"lab/{i:06d}" for i in range(LABS)]
    columns = {"id": ids, "name_zh": [f"实验室{i}" for i in range(LABS)], "notes": [note + i for i in ids]}
    expected = node_schema(schema.node_class("Laboratory"))
    return pa.table(columns).cast(pa.schema([expected.field(name) for name in columns]))


def test_a_write_after_many_whole_table_reads_finds_room_in_the_pool(tmp_path: Path, schema: Schema) -> None:
    with EmbeddedStore(tmp_path / "g.lbdb", schema, buffer_pool_mb=POOL_MB) as store:
        store.setup_schema()
        store.upsert_node_table("Laboratory", _labs(schema, "旧" * 100))
        others = ["name_en", "kind", "level", "field", "confidence", "source_url", "source_file", "registration_no"]
        for other in [*others, "chain_stage", "description", "record_hash", "ingest_run"]:  # twelve statements
            read = sum(len(page[0]) for page in store.node_columns("Laboratory", ["id", "notes", other]))
            assert read == LABS
        store.upsert_node_table("Laboratory", _labs(schema, "新" * 100))  # every note changed
        pages = store.node_columns("Laboratory", ["id", "notes"])
        notes = {i: note for ids, kept in pages for i, note in zip(ids, kept, strict=True)}
    assert len(notes) == LABS and notes["lab/000007"] == "新" * 100 + "lab/000007"


def test_many_small_writes_on_one_store_do_not_fill_the_pool(tmp_path: Path, schema: Schema) -> None:
    """Each statement given a table holds about half a megabyte of the pool until the writer's connection is renewed,
    however small the table: 500 one-row writes filled a 256 MB pool before it was renewed by their number too."""
    with EmbeddedStore(tmp_path / "g.lbdb", schema, buffer_pool_mb=256) as store:
        store.setup_schema()
        for i in range(600):
            store.upsert_nodes("Laboratory", [{"id": f"lab/{i % 7}", "name_zh": f"实验室{i}"}])
        names = {row["id"]: row["name_zh"] for row in store.iter_nodes("Laboratory")}
    assert names == {f"lab/{i % 7}": f"实验室{i}" for i in range(593, 600)}
