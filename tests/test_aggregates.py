"""The counts the whole-graph queries read (Tally nodes) stay equal to the full computation through every kind of
write, on both stores, and the queries that read them answer exactly as their full-scan definitions did."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from graph import aggregates, name_index
from graph.editions import create_edition, edition_store
from graph.schema import Schema
from graph.store import GraphStore
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, Source, bundled_sources
from queries.catalog import get_query
from queries.full_scans import FULL_SCANS
from tests.test_source_ownership import curator_sources

# A slice of the bundled data with cities, clusters and members of every kind of tie (fast to load).
SLICE = ("cities", "clusters", "agencies", "enterprises", "labs", "universities")

STAGES = ("all", "industry", "basic_research", "tech_breakthrough", "talent_support")


def slice_sources(schema: Schema) -> list[Source]:
    return [s for s in bundled_sources(schema) if s.name in SLICE]


def _answers(store: GraphStore) -> dict[str, Any]:
    """Each tally-reading query's rows, next to its full scan's rows, for every stage of the stage map."""
    found: dict[str, Any] = {}
    for name, body in FULL_SCANS.items():
        query = get_query(name)
        reference = dataclasses.replace(query, body=body, variants={})
        for stage in STAGES if name == "stage_map" else (None,):
            params = {"stage": stage} if stage else {}
            found[f"{name} {stage or ''}"] = (query.run(store, params).rows, reference.run(store, params).rows)
    return found


def _check(store: GraphStore) -> dict[aggregates.TallyKey, int]:
    kept = aggregates.stored(store)
    assert kept == aggregates.compute(store)
    for what, (tallied, scanned) in _answers(store).items():
        assert tallied == scanned, what
    return kept


def test_tallies_equal_the_full_computation_after_ingest_second_source_and_retract(
    store: GraphStore, schema: Schema
) -> None:
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    first = _check(store)
    assert any(k[0] == aggregates.CITY_CLUSTER for k in first) and any(k[0] == aggregates.CITY_STAGE for k in first)
    epoch = aggregates.epoch(store)

    run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)  # a curator's labs and titles
    second = _check(store)
    assert second != first and aggregates.epoch(store) != epoch

    run_ingest(store, [], data_dir=DATA_DIR, retract=[s.name for s in curator_sources(schema)])
    assert _check(store) == first


def test_an_unchanged_rerun_keeps_the_epoch_and_a_store_without_tallies_gets_them(
    embedded_store: GraphStore, schema: Schema
) -> None:
    store = embedded_store  # the pipeline's logic, the same for both stores
    sources = [s for s in slice_sources(schema) if s.name in ("cities", "clusters")]
    run_ingest(store, sources, data_dir=DATA_DIR)
    epoch = aggregates.epoch(store)
    run_ingest(store, sources, data_dir=DATA_DIR)
    assert aggregates.epoch(store) == epoch  # nothing changed: no recount
    store.delete_nodes(aggregates.LABEL, [aggregates.EPOCH_ID])  # as a store loaded before tallies existed
    run_ingest(store, sources, data_dir=DATA_DIR)
    assert aggregates.epoch(store) not in (None, epoch)
    _check(store)


def test_an_edition_restored_for_reading_has_its_own_tallies(
    embedded_store: GraphStore, schema: Schema, tmp_path: Path
) -> None:
    store = embedded_store
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    then = aggregates.stored(store)
    create_edition(store, "2025-Q3")
    run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)
    assert aggregates.stored(store) != then
    with edition_store(store, "2025-Q3", cache=tmp_path / "editions") as old:
        assert _check(old) == then


def test_a_rerun_after_a_killed_run_recounts_and_reindexes(embedded_store: GraphStore, schema: Schema) -> None:
    """A killed run may have written its facts but not the counts and name index that follow them; the re-run of
    the same files then finds nothing to write, and must still leave both in step with the graph."""
    store = embedded_store
    sources = [s for s in slice_sources(schema) if s.name in ("cities", "clusters", "enterprises")]
    run_ingest(store, sources, data_dir=DATA_DIR)
    epoch = aggregates.epoch(store)
    key = next(k for k in aggregates.stored(store) if k[0] == aggregates.CITY_CLUSTER)
    row = store.read("MATCH (e:Enterprise) RETURN e.id AS id, e.name_zh AS name ORDER BY e.id LIMIT 1").rows[0]
    # what the killed run left: a stale count, an entity missing from the name index, a run still "running"
    stale = {"tally_kind": key[0], "tally_city": key[1], "tally_cluster": key[2], "tally_count": 10_000}
    store.upsert_nodes(aggregates.LABEL, [{"id": aggregates._tally_id(key), **stale}])
    path = name_index.sidecar_path(store)
    assert path is not None
    with closing(sqlite3.connect(path)) as db:
        name_index._delete(db, [row["id"]])
        db.commit()
    assert row["id"] not in _found_ids(store, row["name"])
    store.upsert_nodes("IngestRun", [{"id": "run/killed", "started_at": "2999-01-01T00:00:00", "status": "running"}])

    result = run_ingest(store, sources, data_dir=DATA_DIR)
    assert not result.changed_anything  # the same files: no fact to write …
    assert aggregates.epoch(store) != epoch  # … and yet recounted
    _check(store)
    assert row["id"] in _found_ids(store, row["name"])  # and re-indexed


def _found_ids(store: GraphStore, text: str) -> set[str]:
    return {r["id"] for r in get_query("search_entities").run(store, {"text": text, "limit": 50}).rows}
