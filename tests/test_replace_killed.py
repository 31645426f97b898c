"""A relationship type written again whole (``replace_relationship_type``) and killed at any moment leaves the
type's ties all old or all new, never fewer: the ties are copied into a table beside the type's in their own
commits, and only the swap (drop the type's table, rename the new one) is one LadybugDB transaction.

Why the copies stay outside that transaction: with them inside it, a process killed while it committed left the
type's table empty (LadybugDB 0.22: each of the kills that landed in such a commit, docs/SCALE.md, 2026-12-06 late
night; this test, run against that version of the method, fails in its first or second trial). The kills are timed
from a clean run's own steps, so that they land in the same places on a slower or faster machine: half of them
between the swap's start and a little past its end (where such a commit would be), the others in the copy's first
half. The store a kill left is opened read-only first, as the app would open it: that open drops a table left beside
the type's (graph/embedded_open.py), unless a writer holds the file.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph import embedded_open
from graph.embedded_open import staged_tables
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import STAGED, rel_table_ddl
from graph.file_gate import FileGate
from graph.schema import Schema

FIRMS = 20_000
CLUSTERS = 20
PER_FIRM = 5  # 100,000 ties: the copy takes about half a second here, the swap a millisecond
TRIALS = 6

# The replacing process: it says "start", "swap" (just before the swap's statement) and "done", each with the
# seconds since it started.
CHILD = """
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema

store = EmbeddedStore(Path(sys.argv[1]), default_schema())
real = EmbeddedStore._execute
started = time.perf_counter()


def say(what):
    print(what, time.perf_counter() - started, flush=True)


def marked(self, cypher, params=None):
    if "RENAME" in cypher:
        say("swap")
    return real(self, cypher, params)


EmbeddedStore._execute = marked
say("start")
store.replace_relationship_type("IN_CLUSTER", {("Enterprise", "IndustryCluster"): pq.read_table(sys.argv[2])})
say("done")
store.close()
"""

COUNT = (
    "MATCH (:Enterprise)-[r:IN_CLUSTER]->(:IndustryCluster) "
    "RETURN count(r) AS n, collect(DISTINCT r.source_file) AS files"
)


def _ties(shift: int, file: str) -> pa.Table:
    pairs = [(f, (f + k + shift) % CLUSTERS) for f in range(FIRMS) for k in range(PER_FIRM)]
    return pa.table(
        {
            "from_id": [f"enterprise/f{f:05d}" for f, _ in pairs],
            "to_id": [f"cluster/c{c:02d}" for _, c in pairs],
            "source_file": [file] * len(pairs),
            "ingest_run": ["run/test"] * len(pairs),
        }
    )


def _base(path: Path, schema: Schema) -> None:
    with EmbeddedStore(path, schema) as store:
        store.setup_schema()
        firms = pa.table({"id": [f"enterprise/f{f:05d}" for f in range(FIRMS)], "name_zh": ["企业"] * FIRMS})
        store.upsert_node_table("Enterprise", firms)
        store.upsert_node_table("IndustryCluster", pa.table({"id": [f"cluster/c{c:02d}" for c in range(CLUSTERS)]}))
        store.upsert_relationship_table("IN_CLUSTER", "Enterprise", "IndustryCluster", _ties(0, "old.csv"))


def _left_beside(path: Path) -> bool:
    """Whether the file holds a table beside the type's, seen by LadybugDB alone (EmbeddedStore would drop it); opened
    read-write, which completes a checkpoint the kill left pending, as a read-only EmbeddedStore does first."""
    database = ladybug.Database(str(path))
    try:
        return bool(staged_tables(database, ["IN_CLUSTER"]))
    finally:
        database.close()


def _state(path: Path, schema: Schema) -> tuple[int, list[str], int, bool]:
    """The type's ties (count, files) and every tie matched without a type, read by a read-only open as the app's;
    whether a table is still beside the type's; then the next setup, after which no other tie remains either."""
    with EmbeddedStore(path, schema, read_only=True) as reader:
        row = reader.read(COUNT).rows[0]
        everything = int(reader.read("MATCH ()-[r]->() RETURN count(r) AS n").rows[0]["n"])
        left = f"IN_CLUSTER{STAGED}" in {r["name"] for r in reader.read("CALL show_tables() RETURN name").rows}
    with EmbeddedStore(path, schema) as store:
        store.setup_schema()
        assert int(store.read("MATCH ()-[r]->() RETURN count(r) AS n").rows[0]["n"]) == int(row["n"])
    return int(row["n"]), sorted(row["files"]), everything, left


def _replace(work: Path, new: Path, after: str, delay_s: float | None) -> dict[str, float]:
    """Run the replacing process and kill it ``delay_s`` after it says ``after`` (None: let it finish); what it said,
    each with its time."""
    command = [sys.executable, "-c", CHILD, str(work), str(new)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])
    assert proc.stdout is not None
    said: dict[str, float] = {}
    for line in proc.stdout:
        what, seconds = line.split()
        said[what] = float(seconds)
        if what == after and delay_s is not None:
            time.sleep(delay_s)
            proc.kill()
            break
    rest, _ = proc.communicate()
    # whole lines only: a kill may cut the last line short ("done" without its seconds, seen in CI)
    whole = [line.split() for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    said.update((parts[0], float(parts[1])) for parts in whole if len(parts) == 2)
    return said


def _fresh(work: Path, base: Path) -> None:
    for leftover in work.parent.glob(f"{work.name}*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    shutil.copy(base, work)


def test_a_replacement_killed_at_any_moment_leaves_the_ties_old_or_new(tmp_path: Path, schema: Schema) -> None:
    base, work, new = tmp_path / "base.lbdb", tmp_path / "work.lbdb", tmp_path / "new.parquet"
    _base(base, schema)
    pq.write_table(_ties(3, "new.csv"), new)
    ties = FIRMS * PER_FIRM
    _fresh(work, base)
    clean = _replace(work, new, "done", None)  # where the copy ends and how long the swap takes, on this machine
    assert _state(work, schema) == (ties, ["new.csv"], ties, False)
    copy_s, swap_s = clean["swap"] - clean["start"], clean["done"] - clean["swap"]
    rng = random.Random(17)
    seen = set()
    for trial in range(TRIALS):
        _fresh(work, base)
        if trial % 2 == 0:  # from the swap's start to half again its length past it
            said = _replace(work, new, "swap", rng.uniform(0.0, 1.5 * swap_s))
        else:  # during the copy (its first half: the clean run, the first, may have copied slower than this one)
            said = _replace(work, new, "start", rng.uniform(0.0, copy_s / 2))
        count, files, everything, left = _state(work, schema)
        assert count == ties, f"trial {trial}: the type holds {count} ties, not {ties} (the process said {said})"
        assert files in (["old.csv"], ["new.csv"]), f"trial {trial}: {files}"
        # the read-only open dropped a table the kill left: no pattern without a type sees its ties
        assert not left and everything == ties, f"trial {trial}: {everything} ties without a type, left: {left}"
        seen.add((files[0], "done" in said))
    assert ("old.csv", False) in seen, seen  # some kills landed before the swap, not only after the replacement


def test_a_table_left_beside_a_type_is_dropped_by_a_reader_unless_a_writer_holds_the_file(
    tmp_path: Path, schema: Schema
) -> None:
    path = tmp_path / "graph.lbdb"
    _base(path, schema)
    with EmbeddedStore(path, schema) as store:
        _leave_staged(store, schema)
    assert _left_beside(path)
    ties, untyped = FIRMS * PER_FIRM, "MATCH ()-[r]->() RETURN count(r) AS n"
    writer = FileGate(path)  # another writer: its own descriptor, so its lock excludes this process's too
    with writer.writing():
        started = time.monotonic()
        EmbeddedStore(path, schema, read_only=True).close()  # (a read would wait for the writer, by design)
        assert time.monotonic() - started < 10  # the open did not wait for the writer
        assert _left_beside(path)  # a replacement may be under way: left
    writer.close()
    with EmbeddedStore(path, schema, read_only=True) as reader:
        assert reader.read(untyped).rows == [{"n": ties}]
        assert reader.read(COUNT).rows[0]["n"] == ties  # the type itself as before
    assert not _left_beside(path)


PROBE = """
import fcntl, os, sys
descriptor = os.open(sys.argv[1], os.O_RDONLY)
try:
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except BlockingIOError:
    print("held")
"""


def test_the_clean_up_holds_the_file_against_writers_until_its_drop_is_done(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between closing its read-only database and opening the file read-write to drop the table, no other process
    may take the file: a writer that came in between would lose its log to the clean-up's open (see the test above).
    Another process asks for the write lock at that moment; the clean-up still holds it, and lets go of it after."""
    path = tmp_path / "graph.lbdb"
    _base(path, schema)
    with EmbeddedStore(path, schema) as store:
        _leave_staged(store, schema)
    drop, seen = embedded_open._drop_tables, []

    def probed_drop(*args: Any) -> None:  # the real drop, after another process has tried the lock
        probe = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
        seen.append(probe.stdout.strip())
        drop(*args)

    monkeypatch.setattr(embedded_open, "_drop_tables", probed_drop)
    EmbeddedStore(path, schema, read_only=True).close()
    assert seen == ["held"] and not _left_beside(path)
    probe = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "free"


def _leave_staged(store: EmbeddedStore, schema: Schema) -> None:
    """What a replacement killed in its copy leaves: the staged table, with 100 ties."""
    staged = f"IN_CLUSTER{STAGED}"
    store._execute(rel_table_ddl(schema.rel_type("IN_CLUSTER"), schema.relationship_properties, name=staged))
    store._execute(
        "UNWIND range(0, 99) AS i MATCH (a:Enterprise {id: 'enterprise/f' + lpad(string(i), 5, '0')}), "
        f"(b:IndustryCluster {{id: 'cluster/c00'}}) CREATE (a)-[:{staged}]->(b)"
    )


def test_a_reader_beside_a_writer_of_its_own_process_leaves_the_table(tmp_path: Path, schema: Schema) -> None:
    """LadybugDB's lock keeps another process from opening a file read-write beside a writer, not this process: the
    clean-up's read-write open replayed and deleted the writer's log, and the writer's next write failed."""
    path = tmp_path / "graph.lbdb"
    _base(path, schema)
    writer = EmbeddedStore(path, schema)
    try:
        _leave_staged(writer, schema)
        with EmbeddedStore(path, schema, read_only=True) as reader:
            tables = {row["name"] for row in reader.read("CALL show_tables() RETURN name").rows}
        assert f"IN_CLUSTER{STAGED}" in tables
        writer.upsert_node_table("City", pa.table({"id": [f"city/c{i}" for i in range(500)], "name_zh": ["城"] * 500}))
    finally:
        writer.close()
    with EmbeddedStore(path, schema, read_only=True) as reader:  # the writer gone: the next reader drops it
        assert reader.read("MATCH ()-[r]->() RETURN count(r) AS n").rows == [{"n": FIRMS * PER_FIRM}]
        assert reader.read("MATCH (c:City) RETURN count(c) AS n").rows == [{"n": 500}]


KILLED_IN_COPY = """
import os
import sys
from pathlib import Path

import pyarrow as pa

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema
from tests.test_replace_killed import _leave_staged

schema = default_schema()
store = EmbeddedStore(Path(sys.argv[1]), schema)
_leave_staged(store, schema)
store.upsert_node_table("City", pa.table({"id": [f"city/c{i}" for i in range(500)], "name_zh": ["城"] * 500}))
os._exit(0)  # killed: its log is not checkpointed
"""


def test_a_torn_log_beside_the_table_still_opens(tmp_path: Path, schema: Schema) -> None:
    """The first open replays a torn log up to its damage; the clean-up's read-write open then fails, and the
    database is opened again the same way (it was opened bare, and the open failed with a raw error)."""
    path = tmp_path / "graph.lbdb"
    _base(path, schema)
    subprocess.run([sys.executable, "-c", KILLED_IN_COPY, str(path)], check=True, cwd=Path(__file__).parents[1])
    wal = Path(f"{path}.wal")
    with wal.open("r+b") as file:
        file.truncate(wal.stat().st_size - 10)
    with EmbeddedStore(path, schema, read_only=True) as reader:
        assert reader.read(COUNT).rows[0]["n"] == FIRMS * PER_FIRM


WRITE_ONE_CITY = """
import sys
from pathlib import Path

import pyarrow as pa

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema

with EmbeddedStore(Path(sys.argv[1]), default_schema()) as store:
    store.upsert_node_table("City", pa.table({"id": ["city/new"], "name_zh": ["新城"]}))
"""


def test_a_write_while_a_reader_opens_is_seen_by_its_first_read(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader's version is the file's before it opened: taken after, a write (or another reader's clean-up)
    that landed during the open left the reader on the old graph until the next write."""
    path = tmp_path / "graph.lbdb"
    _base(path, schema)
    real_open = EmbeddedStore._open

    def open_then_another_process_writes(store: EmbeddedStore, buffer_pool_mb: int) -> Any:
        database = real_open(store, buffer_pool_mb)
        subprocess.run([sys.executable, "-c", WRITE_ONE_CITY, str(path)], check=True, cwd=Path(__file__).parents[1])
        return database

    monkeypatch.setattr(EmbeddedStore, "_open", open_then_another_process_writes)
    reader = EmbeddedStore(path, schema, read_only=True)
    monkeypatch.setattr(EmbeddedStore, "_open", real_open)
    try:
        assert reader.read("MATCH (c:City) RETURN c.id AS id").rows == [{"id": "city/new"}]
    finally:
        reader.close()
