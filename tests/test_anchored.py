"""On the embedded store, queries that start from one entity name its table (queries/anchored.py): the same
answer as the label-less scan, for every kind of entity, and the scan again when the name index is out of step."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

from graph import aggregates, name_index
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from queries import anchored
from queries.catalog import get_query

ANCHORED = ("entity_details", "entity_edges", "entity_clusters", "neighbourhood_edges")


def test_labelled_anchors_give_the_scans_answer(loaded_embedded_path: Path, schema: Schema) -> None:
    with EmbeddedStore(loaded_embedded_path, schema, read_only=True) as store:
        ids = [
            r["id"]
            for r in store.read(
                "MATCH (n) WHERE label(n) IN $classes WITH label(n) AS class, min(n.id) AS id RETURN id",
                {"classes": [c.name for c in schema.entity_classes]},
            ).rows
        ]
        assert len(ids) > 10
        for name in ANCHORED:
            query = get_query(name)
            scan = dataclasses.replace(query, variants={}, body=query.cypher_for("embedded"))
            for node_id in [*ids, "no/such-id"]:
                params = query.bind({"id": node_id})
                text = anchored.labelled(store, query.cypher_for("embedded"), params)
                known = node_id != "no/such-id"
                assert (f":{name_index.class_of(store, node_id)}" in text) == known, (name, node_id)
                assert _same(query.run(store, params).rows, store.read(scan.body, params).rows, query.ordered), name


def _same(a: list[dict[str, Any]], b: list[dict[str, Any]], ordered: bool) -> bool:
    def canonical(rows: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True, default=str, ensure_ascii=False) for r in rows)

    return a == b if ordered else canonical(a) == canonical(b)


def test_an_index_out_of_step_is_not_trusted(loaded_embedded_path: Path, schema: Schema, tmp_path: Path) -> None:
    with EmbeddedStore(loaded_embedded_path, schema, read_only=True) as store:
        node_id = store.read("MATCH (u:University) RETURN u.id AS id ORDER BY u.id LIMIT 1").rows[0]["id"]
        assert name_index.class_of(store, node_id) == "University"
        path = name_index.sidecar_path(store)
        assert path is not None and aggregates.read_epoch(store)
    copy = tmp_path / "copy.lbdb"
    copy.write_bytes(loaded_embedded_path.read_bytes())
    Path(f"{copy}{name_index.SUFFIX}").write_bytes(path.read_bytes())
    with EmbeddedStore(copy, schema) as store:
        aggregates.refresh(store)  # a new epoch the index has not seen
        assert name_index.class_of(store, node_id) is None
        query = get_query("entity_details")
        assert anchored.labelled(store, query.cypher_for("embedded"), {"id": node_id}) == query.cypher_for("embedded")
        assert query.run(store, {"id": node_id}).rows[0]["class"] == "University"


def test_a_class_the_index_names_is_pasted_only_if_it_holds_facts(
    loaded_embedded_path: Path, schema: Schema, tmp_path: Path
) -> None:
    """The index file is outside the store: a class it names that is abstract, bookkeeping or not a name at all is
    not pasted into the query, which then scans as without an index and still answers."""
    with EmbeddedStore(loaded_embedded_path, schema, read_only=True) as store:
        node_id = store.read("MATCH (u:University) RETURN u.id AS id ORDER BY u.id LIMIT 1").rows[0]["id"]
        path = name_index.sidecar_path(store)
        assert path is not None
    copy = tmp_path / "copy.lbdb"
    copy.write_bytes(loaded_embedded_path.read_bytes())
    sidecar = Path(f"{copy}{name_index.SUFFIX}")
    query = get_query("entity_details")
    body = query.cypher_for("embedded")
    for written in ("University", "Entity", "IngestRun", "University) DETACH DELETE u //"):
        sidecar.write_bytes(path.read_bytes())
        with sqlite3.connect(sidecar) as db:
            db.execute("UPDATE entities SET label = ? WHERE id = ?", (written, node_id))
        db.close()
        with EmbeddedStore(copy, schema, read_only=True) as store:
            assert name_index.class_of(store, node_id) == written
            text = anchored.labelled(store, body, {"id": node_id})
            assert (text != body) == (written == "University"), written
            assert query.run(store, {"id": node_id}).rows[0]["class"] == "University", written
