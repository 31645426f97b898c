"""The embedded store's reads leave its buffer pool to the writes after them, and give its memory back when asked.

An idle LadybugDB connection holds buffer-pool memory of the reads it ran until it is closed (its driver keeps every
statement it prepared). A re-run reads the whole stored graph page by page, then writes: at scale 150 the idle
connections held so much of a 3 GiB pool that the write could not checkpoint (graph/embedded_pool.py). And the
pages a read loaded stay resident until the pool is full: a re-run gives them back before its collect
(``GraphStore.let_go_of_cache``).
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pyarrow as pa

from graph.arrow_rows import node_schema
from graph.embedded_store import EmbeddedStore
from graph.native_memory import trim_heap
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


def _resident_mb() -> int:
    gc.collect()
    trim_heap()  # what Python freed, back to the system: what is left resident is the store's
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) >> 10 for line in status.splitlines() if line.startswith("VmRSS:"))


def test_a_store_gives_back_the_pages_a_whole_read_loaded(tmp_path: Path, schema: Schema) -> None:
    """100,000 labs with 90 MB of notes: reading them all leaves their pages in the pool until it is let go of."""
    with EmbeddedStore(tmp_path / "g.lbdb", schema, buffer_pool_mb=1024) as store:
        store.setup_schema()
        store.upsert_node_table("Laboratory", _labs(schema, "记" * 300))
        store.let_go_of_cache(store.written_version())  # the write's pages
        before = _resident_mb()
        assert sum(len(ids) for ids, _ in store.node_columns("Laboratory", ["id", "notes"])) == LABS
        loaded = _resident_mb() - before
        version = store.written_version()
        assert store.let_go_of_cache(version) == store.written_version() is not None  # nothing else wrote
        given_back = before + loaded - _resident_mb()
        assert loaded >= 45 and given_back >= 45, (loaded, given_back)
        pages = store.node_columns("Laboratory", ["id", "notes"])
        notes = {i: note for ids, kept in pages for i, note in zip(ids, kept, strict=True)}
    assert len(notes) == LABS and notes["lab/000007"] == "记" * 300 + "lab/000007"


def test_a_write_since_the_read_is_not_hidden_by_letting_go(tmp_path: Path, schema: Schema) -> None:
    """Letting go closes and reopens the database, which moves its version: a run that read before compares the
    version it gets back, and a write that came between must still show (None: the run writes no type whole)."""
    with EmbeddedStore(tmp_path / "g.lbdb", schema) as store:
        store.setup_schema()
        read_version = store.written_version()
        store.upsert_nodes("Laboratory", [{"id": "lab/1", "name_zh": "实验室"}])
        assert store.let_go_of_cache(read_version) is None
        assert store.let_go_of_cache(store.written_version()) == store.written_version()


def test_letting_go_waits_for_no_read_and_closes_none(tmp_path: Path, schema: Schema) -> None:
    """A read still running (a stream half consumed) keeps the pool: its connection is not closed under it."""
    with EmbeddedStore(tmp_path / "g.lbdb", schema) as store:
        store.setup_schema()
        store.upsert_nodes("Laboratory", [{"id": f"lab/{i}", "name_zh": f"实验室{i}"} for i in range(5)])
        rows = store.stream("MATCH (n:Laboratory) RETURN n.id AS id ORDER BY id")
        first = next(rows)
        version = store.written_version()
        assert store.let_go_of_cache(version) == version  # kept as it was
        store.upsert_nodes("Laboratory", [{"id": "lab/0", "name_zh": "改名"}])
        assert store.let_go_of_cache(version) is None  # kept, and a write came since
        assert [first["id"], *(row["id"] for row in rows)] == [f"lab/{i}" for i in range(5)]
    with EmbeddedStore(tmp_path / "g.lbdb", schema, read_only=True) as reader:
        version = reader.written_version()
        assert reader.let_go_of_cache(version) == version
        assert reader.read("MATCH (n:Laboratory) RETURN count(n) AS n").rows == [{"n": 5}]


def test_reads_and_writes_on_other_threads_go_on_through_letting_go(tmp_path: Path, schema: Schema) -> None:
    """Reads that start while the database is reopened wait for it, a read holding a connection keeps the pool,
    and another thread's write transaction keeps the database until it ends: none fails, nothing is lost."""
    with EmbeddedStore(tmp_path / "g.lbdb", schema) as store:
        store.setup_schema()
        store.upsert_nodes("Laboratory", [{"id": f"lab/{i}", "name_zh": f"实验室{i}"} for i in range(50)])
        errors: list[BaseException] = []
        counts: list[int] = []
        done = threading.Event()

        def read() -> None:
            try:
                while not done.is_set():
                    counts.append(store.read("MATCH (n:Laboratory) RETURN count(n) AS n").rows[0]["n"])
            except BaseException as exc:  # the test fails below with it
                errors.append(exc)

        def write() -> None:
            try:
                with store.transaction():
                    for i in range(50, 250):
                        store.upsert_nodes("Laboratory", [{"id": f"lab/{i}", "name_zh": f"实验室{i}"}])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(3)] + [threading.Thread(target=write)]
        for thread in threads:
            thread.start()
        while threads[-1].is_alive():
            store.let_go_of_cache(store.written_version())
        threads[-1].join()
        done.set()
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        assert counts and set(counts) <= set(range(50, 251))
        assert store.read("MATCH (n:Laboratory) RETURN count(n) AS n").rows == [{"n": 250}]


def test_letting_go_waits_for_another_threads_write_to_end(tmp_path: Path, schema: Schema) -> None:
    """A write transaction open on another thread keeps the database: the letting go waits for it to end (the file
    lock alone let every thread of the process in at once, and the reopening closed the writer's connection)."""
    with EmbeddedStore(tmp_path / "g.lbdb", schema) as store:
        store.setup_schema()
        opened, release = threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def write() -> None:
            try:
                with store.transaction():
                    store.upsert_nodes("Laboratory", [{"id": "lab/1", "name_zh": "实验室一"}])
                    opened.set()
                    release.wait(10)
                    store.upsert_nodes("Laboratory", [{"id": "lab/2", "name_zh": "实验室二"}])
            except BaseException as exc:  # the test fails below with it
                errors.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        assert opened.wait(10)
        letting_go = threading.Thread(target=store.let_go_of_cache, args=(store.written_version(),))
        letting_go.start()
        letting_go.join(0.5)
        assert letting_go.is_alive()  # waiting for the write
        release.set()
        writer.join(10)
        letting_go.join(10)
        assert not errors and not letting_go.is_alive(), errors
        ids = store.read("MATCH (n:Laboratory) RETURN n.id AS id ORDER BY id").rows
        assert ids == [{"id": "lab/1"}, {"id": "lab/2"}]
