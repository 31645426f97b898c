"""A COPY's rows through a Parquet file (graph/copy_files.py): the same stored graph as through an Arrow table, down
to awkward values; the table's own route where no plain file can be written; no file left behind."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph import copy_files, embedded_writes
from graph.arrow_rows import node_schema, relationship_schema
from graph.digest import GraphDigest, graph_digest
from graph.embedded_store import EmbeddedStore
from graph.errors import StoreError
from graph.schema import Schema

CITY = {"id": "city/440300", "name_zh": "深圳市", "admin_code": "440300"}
AWKWARD_TEXTS = ["", " ", "'", '"', "\\", "a'b\\'c", "\n多行\r\n", "🧪", "\x01", "null", "NULL", "长" * 3000]


def _labs(n: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(n):
        text = AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)]
        rows.append(
            {
                "id": f"lab/{i:05d}",
                "name_zh": f"实验室{i}{text}",
                "description": text if i % 3 else None,  # null and the empty text kept apart
                "founded_year": [None, 0, -1, 2**62, 1990][i % 5],
                "aliases": [None, [], [""], [text, "别名"], ["a", "a"]][i % 5],
            }
        )
    return rows


def _ties(n: int) -> list[dict[str, object]]:
    return [
        {
            "from_id": f"lab/{i:05d}",
            "to_id": "city/440300",
            "derived": [None, True, False][i % 3],
            "match_confidence": [None, 0.0, -0.0, 1e-300, 0.85, 1.5e308][i % 6],
            "source_refs": [None, [], [AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)]]][i % 3],
            "source_row": i,
            "role": AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)] or None,
        }
        for i in range(n)
    ]


@contextmanager
def _no_file(table: pa.Table, folder: Path | None = None) -> Iterator[str | None]:
    yield None  # as where no file can be written: the rows go as an Arrow table


def _load(path: Path, schema: Schema, size: int) -> GraphDigest:
    store = EmbeddedStore(path, schema)
    try:
        store.setup_schema()
        store.upsert_nodes("City", [CITY])
        labs = pa.Table.from_pylist(_labs(size), schema=node_schema(schema.node_class("Laboratory")))
        ties = pa.Table.from_pylist(_ties(size), schema=relationship_schema(schema))
        assert store.upsert_node_table("Laboratory", labs) == size
        assert store.upsert_relationship_table("LOCATED_IN", "Laboratory", "City", ties) == size
        return graph_digest(store)
    finally:
        store.close()


def test_rows_copied_through_a_file_are_stored_as_through_a_table(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Texts with quotes, backslashes, breaks, control characters and 3,000 characters, null against empty texts and
    lists, lists of an empty text and of a repeated one, 0 against −0.0 and the extremes of a double, 2**62: the graph
    copied through a Parquet file has the digest of the one copied from the Arrow table."""
    size = 3 * embedded_writes.COPY_THRESHOLD  # new rows past the threshold: COPY, not MERGE
    statements: list[str] = []
    execute = EmbeddedStore._execute

    def noted(self: EmbeddedStore, cypher: str, params: Any = None) -> Any:
        statements.append(cypher)
        return execute(self, cypher, params)

    monkeypatch.setattr(EmbeddedStore, "_execute", noted)
    through_files = _load(tmp_path / "files.lbdb", schema, size)
    copies = [s for s in statements if s.startswith("COPY")]
    assert len(copies) == 2 and all(" FROM '" in s and s.count(copy_files.PREFIX) == 1 for s in copies)
    statements.clear()
    monkeypatch.setattr(embedded_writes, "parquet_for_copy", _no_file)
    through_tables = _load(tmp_path / "tables.lbdb", schema, size)
    assert [s for s in statements if s.startswith("COPY")] == [
        "COPY Laboratory FROM $t",
        "COPY LOCATED_IN FROM $t (from='Laboratory', to='City')",
    ]
    assert through_files == through_tables


def test_the_file_holds_the_table_and_is_removed_after(tmp_path: Path) -> None:
    table = pa.table({"id": [f"n{i}" for i in range(200_000)], "n": list(range(200_000))})
    with copy_files.parquet_for_copy(table, tmp_path) as name:
        assert name is not None and Path(name).parent == tmp_path
        assert Path(name).name.startswith(f"{copy_files.PREFIX}{os.getpid()}-n")
        stored = pq.ParquetFile(name)
        assert stored.metadata.num_row_groups == math.ceil(200_000 / copy_files.ROW_GROUP)  # one batch, sliced
        # small row groups: LadybugDB holds more of a large one (docs/SCALE.md: 65,536 rows peaked higher)
        groups = [stored.metadata.row_group(i) for i in range(stored.metadata.num_row_groups)]
        assert max(group.num_rows for group in groups) <= 8_192
        assert {group.column(0).compression for group in groups} == {"SNAPPY"}
        assert stored.read().equals(table)
    assert list(tmp_path.iterdir()) == []


def test_the_file_is_removed_when_the_copy_fails(
    embedded_store: EmbeddedStore, schema: Schema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A COPY LadybugDB refuses (an id twice) leaves no file behind, and nothing written."""
    rows = [{"id": f"lab/{i % 2_500:05d}", "name_zh": "同号"} for i in range(5_000)]
    table = pa.Table.from_pylist(rows, schema=node_schema(schema.node_class("Laboratory")))
    original = copy_files.parquet_for_copy
    seen: list[str | None] = []
    copies = tmp_path / "copies"  # the store's own files are in tmp_path
    copies.mkdir()

    @contextmanager
    def here(rows_table: pa.Table, folder: Path | None = None) -> Iterator[str | None]:
        with original(rows_table, copies) as name:
            seen.append(name)
            yield name

    monkeypatch.setattr(embedded_writes, "parquet_for_copy", here)
    with pytest.raises(StoreError):
        embedded_store._copy("Laboratory", table)
    assert seen and seen[0] is not None and not Path(seen[0]).exists()
    assert list(copies.iterdir()) == []
    assert embedded_store.node_counts().get("Laboratory", 0) == 0


@pytest.mark.parametrize(
    "folder_name", ["it's here", "back\\slash", "with space", "glob*", "one?", "set[ab]", "brace{a}", "colon:", "深圳"]
)
def test_a_folder_whose_path_needs_quoting_gets_no_file(tmp_path: Path, folder_name: str) -> None:
    folder = tmp_path / folder_name
    folder.mkdir()
    with pytest.raises(ValueError, match="quoting"):
        copy_files.path_literal(str(folder / "rows.parquet"))  # never pasted into a statement
    with copy_files.parquet_for_copy(pa.table({"id": ["a"]}), folder) as name:
        assert name is None
    assert list(folder.iterdir()) == []


def test_a_folder_that_takes_no_file_gets_none(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    with copy_files.parquet_for_copy(pa.table({"id": ["a"]}), missing) as name:
        assert name is None


def test_a_full_folder_gets_no_file_and_keeps_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_room(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", no_room)
    with copy_files.parquet_for_copy(pa.table({"id": ["a"]}), tmp_path) as name:
        assert name is None
    assert list(tmp_path.iterdir()) == []


def test_files_of_processes_gone_are_swept_and_a_running_ones_kept(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    left = tmp_path / f"{copy_files.PREFIX}{dead_pid}-abc.parquet"
    left.write_bytes(b"left by a killed copy")
    live = tmp_path / f"{copy_files.PREFIX}{os.getppid()}-def.parquet"
    live.write_bytes(b"another process's copy, under way")
    other = tmp_path / "clusterkg-other-1-x.parquet"
    other.write_bytes(b"not ours")
    with copy_files.parquet_for_copy(pa.table({"id": ["a"]}), tmp_path):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_a_leftover_that_cannot_be_removed_is_left_and_the_copy_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's leftover in a shared folder (sticky /tmp) cannot be removed: the copy still gets its file."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    theirs = tmp_path / f"{copy_files.PREFIX}{int(gone.stdout)}-abc.parquet"
    theirs.write_bytes(b"another user's")
    folder = tmp_path / f"{copy_files.PREFIX}{int(gone.stdout)}-dir"
    folder.mkdir()
    (folder / "inside").write_bytes(b"another user's")
    unlink = Path.unlink

    def refused(path: Path, missing_ok: bool = False) -> None:
        if path == theirs:
            raise PermissionError(1, "Operation not permitted", str(path))
        unlink(path, missing_ok=missing_ok)

    def refused_tree(path: Path, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(Path, "unlink", refused)
    monkeypatch.setattr("graph.leftovers.shutil.rmtree", refused_tree)
    with copy_files.parquet_for_copy(pa.table({"id": ["a"]}), tmp_path) as name:
        assert name is not None and Path(name).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([theirs.name, folder.name])


def test_a_mapped_tables_pages_are_let_go_of_while_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages of a table mapped from a spilled file are let go of every LET_GO_ROWS rows as the file is written
    (each let-go looks at every buffer of the table: after each of 467 batches the IN_CLUSTER COPY took 28 s)."""
    calls: list[int] = []

    def noted(table: pa.Table) -> int:
        calls.append(table.num_rows)
        return 0

    monkeypatch.setattr(copy_files, "let_go_of_read_pages", noted)
    batches = pa.table({"id": [f"n{i}" for i in range(200_000)]}).to_batches(max_chunksize=5_000)
    with copy_files.parquet_for_copy(pa.Table.from_batches(batches), tmp_path) as name:
        assert name is not None
    every = math.ceil(copy_files.LET_GO_ROWS / 5_000)  # batches between two lets-go
    assert len(calls) == len(batches) // every and 0 < len(calls) < len(batches)
