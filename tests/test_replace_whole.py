"""A relationship type written again whole (graph/embedded_writes.py: ``replace_relationship_type``) when a re-run
changes much of it: the graph and every run stamp as writing its ties one by one leaves them; a tie the run does
not have but keeps stays; a run that fails while it copies leaves the type as it was; and a store written by
someone else since the run read it is written tie by tie."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import graph.embedded_writes
from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import STAGED
from graph.schema import Schema
from graph.store import GraphStore
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, Source
from ingest.stored import read_stored
from tests.test_ingest import _sources
from tests.test_ingest import edit_firms_and_labs as _edit

NAMES = ["cities", "clusters", "enterprises", "15_labs", "universities"]


def _stamps(store: GraphStore, runs: dict[str, str]) -> dict[tuple[str, str, str], str]:
    """Every tie's run stamp, named by which run it is (``runs``: run id → name)."""
    rows = store.read_all(
        "MATCH (a)-[r]->(b) WHERE r.ingest_run IS NOT NULL RETURN label(r) AS t, a.id AS a, b.id AS b, "
        "r.ingest_run AS run"
    ).rows
    return {(r["t"], r["a"], r["b"]): runs.get(r["run"], r["run"]) for r in rows}


def _replaced_types(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every tie written whole from now on (the share and minimum at their lowest), the types so written listed."""
    monkeypatch.setattr(graph.embedded_writes, "REPLACE_MIN_TIES", 1)
    monkeypatch.setattr(graph.embedded_writes, "REPLACE_SHARE", 0.0)
    calls: list[str] = []
    real = EmbeddedStore.replace_relationship_type

    def recorded(self: EmbeddedStore, rel_type: str, tables: Any) -> dict[tuple[str, str], int]:
        calls.append(rel_type)
        return real(self, rel_type, tables)

    monkeypatch.setattr(EmbeddedStore, "replace_relationship_type", recorded)
    return calls


def _tables(store: GraphStore) -> set[str]:
    return {r["name"] for r in store.read("CALL show_tables() RETURN name").rows}


def _loaded(tmp_path: Path, schema: Schema) -> tuple[EmbeddedStore, Path, list[Source]]:
    """A copy of the bundled data and a store holding five of its sources."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    sources = _sources(schema, NAMES)
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    run_ingest(store, sources, data_dir=data)
    return store, data, sources


def _load_and_edit(path: Path, data: Path, schema: Schema, sources: list[Source]) -> tuple[GraphStore, dict[str, str]]:
    store = EmbeddedStore(path, schema)
    first = run_ingest(store, sources, data_dir=data)
    _edit(data)
    second = run_ingest(store, sources, data_dir=data)
    assert second.relationships.summary()["changed"] > 10 and second.relationships.summary()["dropped"] >= 1
    return store, {first.run_id: "first", second.run_id: "second"}


def test_a_type_written_whole_leaves_the_graph_and_the_stamps_as_tie_by_tie(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = _sources(schema, NAMES)
    data_a, data_b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(DATA_DIR, data_a)
    shutil.copytree(DATA_DIR, data_b)
    by_ties, runs_by_ties = _load_and_edit(tmp_path / "ties.lbdb", data_a, schema, sources)
    replaced = _replaced_types(monkeypatch)
    whole, runs_whole = _load_and_edit(tmp_path / "whole.lbdb", data_b, schema, sources)
    assert {"IN_CLUSTER", "LOCATED_IN"} <= set(replaced)
    assert graph_digest(whole) == graph_digest(by_ties)
    stamps = _stamps(whole, runs_whole)
    assert stamps == _stamps(by_ties, runs_by_ties)
    assert {"first", "second"} <= set(stamps.values())  # ties left as they were kept the first run's stamp
    fresh = EmbeddedStore(tmp_path / "fresh.lbdb", schema)
    run_ingest(fresh, sources, data_dir=data_b)
    assert graph_digest(fresh) == graph_digest(whole)
    for store in (by_ties, whole, fresh):
        store.close()


def test_a_tie_the_run_keeps_but_does_not_state_keeps_its_type_from_being_written_whole(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tie written before statements were kept (no ``source_refs``), whose file the run does not read again, stays:
    its type is written tie by tie."""
    store, data, sources = _loaded(tmp_path, schema)
    firm = store.read("MATCH (e:Enterprise) RETURN e.id AS id ORDER BY e.id LIMIT 1").rows[0]["id"]
    cluster = store.read("MATCH (c:IndustryCluster) RETURN c.id AS id ORDER BY c.id DESC LIMIT 1").rows[0]["id"]
    store.delete_relationships("IN_CLUSTER", "Enterprise", "IndustryCluster", [(firm, cluster)])
    legacy = {"from_id": firm, "to_id": cluster, "source_file": "facts/old_list.csv", "source_row": 2}
    store.upsert_relationships("IN_CLUSTER", "Enterprise", "IndustryCluster", [legacy])
    replaced = _replaced_types(monkeypatch)
    _edit(data)
    run_ingest(store, sources, data_dir=data)
    assert "IN_CLUSTER" not in replaced and "LOCATED_IN" in replaced
    kept = "MATCH (e:Enterprise {id: $f})-[r:IN_CLUSTER]->(c:IndustryCluster {id: $c}) RETURN r.source_file AS file"
    assert store.read(kept, {"f": firm, "c": cluster}).rows == [{"file": "facts/old_list.csv"}]
    store.close()


def test_a_run_that_fails_while_it_copies_leaves_the_type_as_it_was(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ties go into a table beside the type's, which takes its name only once they are all in: a run that fails
    before leaves the type's ties and stamps as they were, drops the table beside (its ties would match every
    pattern without a type), and the next run gives the graph a first load of the files gives."""
    store, data, sources = _loaded(tmp_path, schema)
    count = "MATCH (:Enterprise)-[r:LOCATED_IN]->() RETURN count(r) AS n, collect(DISTINCT r.ingest_run) AS runs"
    before = store.read_all(count).rows
    replaced = _replaced_types(monkeypatch)
    _edit(data)
    real_write = EmbeddedStore._upsert_rel_table

    def fails_on_located_in(self: EmbeddedStore, table_name: str, *args: Any) -> int:
        if table_name == f"LOCATED_IN{STAGED}":
            raise OSError("the disk went away")
        return real_write(self, table_name, *args)

    monkeypatch.setattr(EmbeddedStore, "_upsert_rel_table", fails_on_located_in)
    with pytest.raises(OSError, match="disk went away"):
        run_ingest(store, sources, data_dir=data)
    assert "LOCATED_IN" in replaced
    assert store.read_all(count).rows == before
    assert not any(name.endswith(STAGED) for name in _tables(store))
    monkeypatch.setattr(EmbeddedStore, "_upsert_rel_table", real_write)
    run_ingest(store, sources, data_dir=data)
    fresh = EmbeddedStore(tmp_path / "fresh.lbdb", schema)
    run_ingest(fresh, sources, data_dir=data)
    assert graph_digest(store) == graph_digest(fresh)
    for each in (store, fresh):
        each.close()


def test_a_store_written_since_the_run_read_it_is_written_tie_by_tie(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another write came between the run's read of the store and its write: the run writes what it read tie by
    tie, which leaves the other's tie alone (written whole from what the run read, the type would lose it)."""
    store, data, sources = _loaded(tmp_path, schema)
    replaced = _replaced_types(monkeypatch)
    firm = store.read("MATCH (e:Enterprise) RETURN e.id AS id ORDER BY e.id LIMIT 1").rows[0]["id"]
    clusters = store.read("MATCH (c:IndustryCluster) RETURN c.id AS id").rows
    held = "MATCH (:Enterprise {id: $f})-[:IN_CLUSTER]->(c) RETURN c.id AS id"
    mine = {r["id"] for r in store.read(held, {"f": firm}).rows}
    other = next(c["id"] for c in clusters if c["id"] not in mine)
    real_read = read_stored

    def read_then_another_write(*args: Any, **kwargs: Any) -> Any:
        stored = real_read(*args, **kwargs)
        tie = {"from_id": firm, "to_id": other, "source_file": "another user", "source_row": 1}
        store.upsert_relationships("IN_CLUSTER", "Enterprise", "IndustryCluster", [tie])
        return stored

    monkeypatch.setattr("ingest.pipeline.read_stored", read_then_another_write)
    _edit(data)
    rerun = run_ingest(store, sources, data_dir=data)
    assert rerun.relationships.summary()["changed"] > 10 and replaced == []
    theirs = "MATCH (:Enterprise {id: $f})-[r:IN_CLUSTER]->(:IndustryCluster {id: $c}) RETURN r.source_file AS file"
    assert store.read(theirs, {"f": firm, "c": other}).rows == [{"file": "another user"}]
    store.close()
