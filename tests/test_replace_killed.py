"""A relationship type written again whole (``replace_relationship_type``) and killed at any moment leaves the
type's ties all old or all new, never fewer: the ties are copied into a table beside the type's in their own
commits, and only the swap (drop the type's table, rename the new one) is one LadybugDB transaction.

Why the copies stay outside that transaction: with them inside it, a process killed while it committed left the
type's table empty (LadybugDB 0.22: each of the kills that landed in such a commit, docs/SCALE.md, 2026-12-06 late
night; this test, run against that version of the method, fails on its third trial). Half the kills here land within
two milliseconds of the swap, where such a commit would be, the others during the copy. A table left beside the
type's by a kill is dropped by the next setup, or by the next read-only open when no one else holds the file.
"""

from __future__ import annotations

import logging
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

from graph.arrow_rows import REL_ENDS, conform, relationship_schema
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import STAGED, rel_table_ddl
from graph.file_gate import FileGate
from graph.schema import Schema

FIRMS = 20_000
CLUSTERS = 20
PER_FIRM = 5  # 100,000 ties: the copy takes about a tenth of a second, the swap milliseconds
TRIALS = 6

# The replacing process: it says "swap" on stdout just before the swap's statement, and "done" after it.
CHILD = """
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema

store = EmbeddedStore(Path(sys.argv[1]), default_schema())
real = EmbeddedStore._execute


def marked(self, cypher, params=None):
    if "RENAME" in cypher:
        print("swap", flush=True)
    return real(self, cypher, params)


EmbeddedStore._execute = marked
print("start", flush=True)
started = time.perf_counter()
store.replace_relationship_type("IN_CLUSTER", {("Enterprise", "IndustryCluster"): pq.read_table(sys.argv[2])})
print("done", round(time.perf_counter() - started, 3), flush=True)
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


def _state(path: Path, schema: Schema) -> tuple[int, list[str], int, bool]:
    """The type's ties (count, files), every tie in the store by a pattern without a type, and whether a table was
    left beside the type's; then the next setup's clean-up, after which no other tie remains."""
    with EmbeddedStore(path, schema) as store:
        row = store.read(COUNT).rows[0]
        everything = int(store.read("MATCH ()-[r]->() RETURN count(r) AS n").rows[0]["n"])
        tables = {r["name"] for r in store.read("CALL show_tables() RETURN name").rows}
        left = f"IN_CLUSTER{STAGED}" in tables
        store.setup_schema()
        assert int(store.read("MATCH ()-[r]->() RETURN count(r) AS n").rows[0]["n"]) == int(row["n"])
    return int(row["n"]), sorted(row["files"]), everything, left


def _replace(work: Path, new: Path, at_swap: bool, delay_s: float) -> list[str]:
    """Run the replacing process and kill it ``delay_s`` after it says "swap" (``at_swap``) or "start"; the lines it
    printed."""
    command = [sys.executable, "-c", CHILD, str(work), str(new)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])
    assert proc.stdout is not None
    said = []
    for line in proc.stdout:
        said.append(line.strip())
        if said[-1] == ("swap" if at_swap else "start"):
            break
    time.sleep(delay_s)
    proc.kill()
    rest, _ = proc.communicate()
    return said + rest.split()


def test_a_replacement_killed_at_any_moment_leaves_the_ties_old_or_new(tmp_path: Path, schema: Schema) -> None:
    base, work, new = tmp_path / "base.lbdb", tmp_path / "work.lbdb", tmp_path / "new.parquet"
    _base(base, schema)
    pq.write_table(_ties(3, "new.csv"), new)
    ties = FIRMS * PER_FIRM
    rng = random.Random(17)
    seen = set()
    for trial in range(TRIALS):
        for leftover in tmp_path.glob("work.lbdb*"):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        shutil.copy(base, work)
        at_swap = trial % 2 == 0  # every other kill around the swap (a millisecond), the others during the copy
        said = _replace(work, new, at_swap, rng.uniform(0.0, 0.002) if at_swap else rng.uniform(0.0, 0.3))
        count, files, everything, left = _state(work, schema)
        assert count == ties, f"trial {trial}: the type holds {count} ties, not {ties} (the process said {said})"
        assert files in (["old.csv"], ["new.csv"]), f"trial {trial}: {files}"
        if files == ["new.csv"]:
            assert not left and everything == ties
        else:  # the old ties, and the new ones beside them until the next setup if their copy had committed
            assert everything in (ties, 2 * ties) and (left or everything == ties)
        seen.add((files[0], "done" in said))
    assert ("old.csv", False) in seen, seen  # some kills landed before the swap, not only after the replacement


def _leave_staged(path: Path, schema: Schema) -> None:
    """The store as a writer killed between its copy and the swap leaves it: the new ties in the staged table."""
    with EmbeddedStore(path, schema) as store:
        staged = f"IN_CLUSTER{STAGED}"
        store._execute(rel_table_ddl(schema.rel_type("IN_CLUSTER"), schema.relationship_properties, name=staged))
        table = conform(_ties(3, "new.csv"), relationship_schema(schema), REL_ENDS, "new ties")
        store._upsert_rel_table(staged, "Enterprise", "IndustryCluster", table)


def _seen(store: EmbeddedStore) -> tuple[int, list[str], bool]:
    """Ties matched without a type, the type's files, and whether the staged table is there."""
    everything = int(store.read("MATCH ()-[r]->() RETURN count(r) AS n").rows[0]["n"])
    files = sorted(store.read(COUNT).rows[0]["files"])
    tables = {r["name"] for r in store.read("CALL show_tables() RETURN name").rows}
    return everything, files, f"IN_CLUSTER{STAGED}" in tables


@pytest.fixture
def left_by_a_kill(tmp_path: Path, schema: Schema) -> Path:
    path = tmp_path / "g.lbdb"
    _base(path, schema)
    _leave_staged(path, schema)
    return path


def test_a_reader_drops_the_ties_a_killed_writer_was_copying(
    left_by_a_kill: Path, schema: Schema, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="graph.embedded_store"):
        reader = EmbeddedStore(left_by_a_kill, schema, read_only=True)
    assert f"dropped ['IN_CLUSTER{STAGED}']" in caplog.text
    assert _seen(reader) == (FIRMS * PER_FIRM, ["old.csv"], False)
    reader.close()


def test_a_reader_that_cannot_write_reads_on_and_says_why(
    left_by_a_kill: Path, schema: Schema, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ladybug.Database

    def read_only_file(path: str, **options: Any) -> ladybug.Database:
        if not options.get("read_only"):
            raise RuntimeError("IO exception: Cannot open file: Permission denied")
        return real(path, **options)

    monkeypatch.setattr(ladybug, "Database", read_only_file)
    with caplog.at_level(logging.WARNING, logger="graph.embedded_store"):
        reader = EmbeddedStore(left_by_a_kill, schema, read_only=True)
    assert "this reader cannot drop them (IO exception: Cannot open file: Permission denied)" in caplog.text
    assert _seen(reader) == (2 * FIRMS * PER_FIRM, ["old.csv"], True)
    reader.close()


def test_a_reader_leaves_the_staged_table_of_a_writer_that_holds_the_file(left_by_a_kill: Path, schema: Schema) -> None:
    """A writer holding the gate may be copying into that table: the reader opens at once and leaves it alone."""
    writer = FileGate(left_by_a_kill)
    with writer.writing():
        started = time.perf_counter()
        reader = EmbeddedStore(left_by_a_kill, schema, read_only=True)
        assert time.perf_counter() - started < 5
    assert _seen(reader) == (2 * FIRMS * PER_FIRM, ["old.csv"], True)
    reader.close()
    writer.close()
