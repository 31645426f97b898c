"""search_entities through the name indexes (Neo4j full-text, the embedded store's SQLite trigram file) gives the
answer of its full-scan body, on both stores; the index follows ingests and is rebuilt when missing or stale; on
Neo4j every fact node carries the Entity label, and a lookup by id without a class is an index seek."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from graph import aggregates, name_index, name_index_ahead
from graph.embedded_store import EmbeddedStore
from graph.neo4j_entity import ENTITY
from graph.schema import Schema
from graph.store import GraphStore
from ingest import pipeline
from ingest.mapping import load_mapping
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, mapping_source
from queries.catalog import get_query
from queries.search import lucene_query
from tests.test_aggregates import slice_sources
from tests.test_source_ownership import curator_sources

TERMS = (
    "华为", "华", "中兴通讯", "深圳", "大学", "国家重点实验室", "实验室", "广州大学", "university", "University",
    "shenzhen", "uni", "ZTE", "lab", "of", "the", "a", "5g", "key laboratory", "不存在的名字", "(", "Co., Ltd",
)  # fmt: skip


Rows = list[dict[str, object]]


def _both_ways(store: GraphStore, text: str, limit: int = 50) -> tuple[Rows, Rows]:
    query = get_query("search_entities")
    params = query.bind({"text": text, "limit": limit})
    return query.run(store, params).rows, store.read(query.cypher_for(store.backend), params).rows


def test_search_through_the_index_gives_the_scans_answer(store: GraphStore, schema: Schema) -> None:
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)
    hits = 0
    for text in TERMS:
        indexed, scanned = _both_ways(store, text)
        assert indexed == scanned, text
        hits += len(indexed)
    assert hits > 100
    indexed, scanned = _both_ways(store, "大学", limit=3)
    assert indexed == scanned and len(indexed) == 3
    if store.backend == "neo4j":
        _check_entity_label(store, schema)
    run_ingest(store, [], data_dir=DATA_DIR, retract=[s.name for s in curator_sources(schema)])
    for text in ("实验室", "lab", "华"):
        indexed, scanned = _both_ways(store, text)
        assert indexed == scanned, text
    if store.backend == "neo4j":  # the nodes the retract dropped took their Entity label with them
        assert _entities(store) == _facts(store, schema)


def _facts(store: GraphStore, schema: Schema) -> int:
    return sum(n for label, n in store.node_counts().items() if schema.is_entity(label))


def _entities(store: GraphStore) -> int:
    return int(store.read(f"MATCH (n:{ENTITY}) RETURN count(n) AS n").rows[0]["n"])


def _check_entity_label(store: GraphStore, schema: Schema) -> None:
    """Neo4j: every fact node (and nothing else) is also an Entity, and entity_details finds one by an index seek."""
    facts = _facts(store, schema)
    assert facts > 100 and _entities(store) == facts
    assert store.read(f"MATCH (n:{ENTITY}) WHERE n:IngestRun OR n:Tally RETURN count(n) AS n").rows[0]["n"] == 0
    lab = store.read("MATCH (n:Laboratory) RETURN n.id AS id LIMIT 1").rows[0]["id"]
    query = get_query("entity_details")
    details = query.run(store, {"id": lab}).rows
    assert details[0]["class"] == "Laboratory" and details[0]["entity"]["_label"] == "Laboratory"
    driver, database = store.driver, store.database  # type: ignore[attr-defined]
    plan = driver.execute_query("EXPLAIN " + query.cypher_for("neo4j"), {"id": lab}, database_=database).summary.plan
    assert "NodeUniqueIndexSeek" in str(plan), plan
    derived = get_query("dq_derived_entities").cypher_for("neo4j")
    plan = driver.execute_query("EXPLAIN " + derived, {"limit": 5}, database_=database).summary.plan
    assert "NodeIndexSeek" in str(plan), plan  # the quality page's derived entities: a seek on Entity.confidence
    # a store written before the label existed gets it from setup_schema
    store.read_in_write(f"MATCH (n:Laboratory) REMOVE n:{ENTITY}")
    assert _entities(store) < facts
    store.setup_schema()
    assert _entities(store) == facts


@pytest.mark.parametrize("share", [2.0, 0.0], ids=["entity-by-entity", "rebuilt-as-much-changed"])
def test_the_embedded_name_index_follows_ingests_and_is_rebuilt_when_missing_or_stale(
    embedded_store: GraphStore,
    schema: Schema,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    share: float,
) -> None:
    store = embedded_store
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    path = name_index.sidecar_path(store)
    assert path is not None and path.exists()
    monkeypatch.setattr(name_index, "REBUILD_SHARE", share)  # the share of entities changed that rebuilds it
    with caplog.at_level(logging.INFO, logger=name_index.__name__):
        run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)  # followed: the changed entities, or all
    assert any(("re-indexed" if share > 1 else "rebuilt") in record.getMessage() for record in caplog.records)
    monkeypatch.undo()

    def indexed() -> set[tuple[str, str, int, str, str]]:
        assert path is not None
        with closing(sqlite3.connect(path)) as db:
            query = "SELECT e.label, e.id, e.size, n.text, g.pairs FROM entities e JOIN names n ON n.rowid = e.rid "
            return set(db.execute(query + "JOIN grams g ON g.rowid = e.rid"))

    def epoch() -> str:
        assert path is not None
        with closing(sqlite3.connect(path)) as db:
            return str(db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0])

    followed = indexed()
    assert epoch() == aggregates.epoch(store)
    monkeypatch.setattr(name_index, "COMMON", 0)  # every word "common": the ordered walk answers, the same rows
    for text in ("实验室", "大学", "深圳", "lab", "university", "zz"):
        indexed_rows, scanned = _both_ways(store, text, limit=7)
        assert indexed_rows == scanned, text
    monkeypatch.undo()
    path.unlink()
    answer = get_query("search_entities").run(store, {"text": "实验室"}).rows
    assert path.exists() and indexed() == followed and answer  # rebuilt: the same as the one kept in step
    with closing(sqlite3.connect(path)) as db:  # an index of another graph: stale, rebuilt at the next search
        db.execute("DELETE FROM entities")
        db.execute("UPDATE meta SET value = 'elsewhere' WHERE key = 'epoch'")
        db.commit()
    assert get_query("search_entities").run(store, {"text": "实验室"}).rows == answer
    assert indexed() == followed


def test_an_index_a_reader_rebuilds_during_a_write_still_follows_the_write(
    embedded_store: GraphStore, schema: Schema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest decides before its write whether the index will take the changed entities one by one. A reader
    that finds the index missing rebuilds it at the epoch before the write, and may finish while the write runs:
    the index must still end with what the write changed, not be stamped in step without it."""
    store = embedded_store
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    path = name_index.sidecar_path(store)
    assert path is not None
    path.unlink()  # missing before the re-run: the ingest will not list the changed entities
    write = pipeline._write

    def a_reader_rebuilds_first(*args: Any, **kwargs: Any) -> None:
        before = aggregates.epoch(store)
        assert path is not None and before is not None
        name_index.rebuild(store, path, before)  # at the epoch before the write
        write(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_write", a_reader_rebuilds_first)
    assert run_ingest(store, curator_sources(schema), data_dir=DATA_DIR).changed_anything
    fresh = tmp_path / "fresh.names.sqlite"
    name_index.rebuild(store, fresh, "fresh")

    def entities(index: Path) -> set[tuple[str, str, str]]:
        with closing(sqlite3.connect(index)) as db:
            return set(db.execute("SELECT e.label, e.id, n.text FROM entities e JOIN names n ON n.rowid = e.rid"))

    assert entities(path) == entities(fresh)


def test_lucene_queries_narrow_only_where_they_cannot_miss() -> None:
    assert lucene_query("华为") == '"华为"'
    assert lucene_query("华") == "*华*"
    assert lucene_query("Huawei 5G") == "*huawei* AND *5g*"
    assert lucene_query("the") is None and lucene_query("of") is None  # stop words: the scan answers
    assert lucene_query("key of lab") == "*key* AND *lab*"
    assert lucene_query("ＺＴＥ") == "*zte*"  # full-width folded, as the analyzer folds it


def _index_rows(path: Path) -> set[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as db:
        query = "SELECT e.label, e.id, e.size, n.text, g.pairs FROM entities e JOIN names n ON n.rowid = e.rid "
        return set(db.execute(query + "JOIN grams g ON g.rowid = e.rid"))


def _odd_labs(folder: Path, schema: Schema) -> list[Any]:
    """A source of labs whose names are hard to count and split: beyond the BMP, full-width, bracketed aliases."""
    (folder / "facts").mkdir()
    names = ["𠮷野家实验室（𠮷野）", "ＡＢＣ重点实验室", "a_b 实验室(Lab) 2", "实验室", "Ω-Lab 实验室（欧米伽）"]
    csv = "name_zh,name_en\n" + "".join(f"{name},{'Lab ' + str(i) if i % 2 else ''}\n" for i, name in enumerate(names))
    (folder / "facts" / "oddlabs.csv").write_text(csv, encoding="utf-8")
    mapping = folder / "oddlabs.yaml"
    mapping.write_text(
        "source: oddlabs\nfile: facts/oddlabs.csv\nnode:\n  class: Laboratory\n  id: {prefix: lab, key: name_zh}\n"
        "  aliases: {from_brackets: name_zh}\n  properties:\n"
        "    name_zh: {column: name_zh, type: name, required: true}\n    name_en: {column: name_en}\n",
        encoding="utf-8",
    )
    return [mapping_source(load_mapping(mapping, schema), str(folder / "facts" / "oddlabs.csv"))]


def test_a_first_load_builds_its_name_index_beside_the_run_as_a_rebuild_from_the_store_would(
    tmp_path: Path, schema: Schema, caplog: pytest.LogCaptureFixture
) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    sources = slice_sources(schema) + _odd_labs(tmp_path, schema)
    with caplog.at_level(logging.INFO, logger="graph.name_index_ahead"):
        run_ingest(store, sources, data_dir=DATA_DIR)
    assert "built beside the run" in caplog.text  # the tables' index, not a rebuild after the write
    path = name_index.sidecar_path(store)
    assert path is not None and name_index._epoch_of(path) == aggregates.epoch(store)
    fresh = tmp_path / "fresh.names.sqlite"
    name_index.rebuild(store, fresh, "fresh")
    ahead = _index_rows(path)
    assert ahead == _index_rows(fresh)
    first_names = {row[3].split("\n")[0]: row[2] for row in ahead}
    assert first_names["𠮷野家实验室（𠮷野）"] == 10  # the size in characters, as the store counts it
    assert first_names["abc重点实验室"] == 8  # full-width letters as the ingest normalised them
    assert not list(tmp_path.glob("*.building"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="graph.name_index_ahead"):  # a store with entities: followed
        run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)
    assert "built beside the run" not in caplog.text
    store.close()


def test_a_name_index_that_cannot_follow_the_write_leaves_the_written_graph_and_the_next_search_rebuilds_it(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The index is kept beside the graph and rebuilt by a reader that finds it behind: once the write committed, a
    failure to put it in place is told, and the run is not marked failed."""
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    path = name_index.sidecar_path(store)
    assert path is not None

    def no_room(*args: Any, **kwargs: Any) -> None:
        raise OSError("no room for the name index")

    with monkeypatch.context() as patched, caplog.at_level(logging.WARNING, logger="ingest.pipeline"):
        patched.setattr(name_index, "install", no_room)
        result = run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    assert result.ok and "no room for the name index" in caplog.text
    assert store.read("MATCH (r:IngestRun) RETURN r.status AS s").rows == [{"s": "completed"}]
    assert not path.exists() and not list(tmp_path.glob("*.building"))
    found = [hit for page in name_index.candidates(store, "实验室") for hit in page]  # rebuilt by the search
    assert found and name_index._epoch_of(path) == aggregates.epoch(store)
    store.close()


def test_a_first_load_that_fails_leaves_no_name_index_and_a_failed_build_falls_back_to_the_store(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    path = name_index.sidecar_path(store)
    assert path is not None

    def write_fails(*args: Any, **kwargs: Any) -> None:
        raise OSError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "_write", write_fails)
        with pytest.raises(OSError, match="disk is full"):
            run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    assert not path.exists() and not list(tmp_path.glob("*.building"))  # nothing half-made left behind

    def names_fail(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a name the index cannot take")

    monkeypatch.setattr(name_index_ahead, "table_rows", names_fail)
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)  # the build beside failed: rebuilt from the store
    fresh = tmp_path / "fresh.names.sqlite"
    name_index.rebuild(store, fresh, "fresh")
    assert name_index._epoch_of(path) == aggregates.epoch(store) and _index_rows(path) == _index_rows(fresh)
    assert not list(tmp_path.glob("*.building"))
    store.close()
