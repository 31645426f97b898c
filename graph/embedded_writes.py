"""The embedded store's writes, on LadybugDB: idempotent upserts and deletes of nodes and relationships.

Small batches go through ``LOAD FROM`` an Arrow table ``… MERGE``; large ones load new rows with ``COPY`` from an
Arrow table (an order of magnitude faster) and update the rows that already exist with ``MERGE``, so a re-run never
duplicates. Every statement goes through the store's ``_execute`` (graph/embedded_store.py), which holds the file
gate.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from graph.embedded_results import all_rows
from graph.schema import NodeClass
from graph.store import GraphStore, Row, prepare_node_rows, prepare_rel_rows

# Below this many new rows, UNWIND is about as fast as COPY and simpler.
COPY_THRESHOLD = 2_000
# Rows per COPY: one COPY of millions of relationships fills a 1 GiB buffer pool ("no memory could be freed").
COPY_CHUNK = 250_000
WRITE_BATCH = 5_000
# Merged rows go in as an Arrow table (``LOAD FROM $t``), typed by the schema: a list of dicts as a parameter is
# inspected value by value by the driver, 1.2–4.5× slower (bench/merge_rows.py). Its columns carry this prefix.
_COLUMN = "v_"

ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "STRING[]": pa.list_(pa.string()),
}


class EmbeddedWrites(GraphStore):
    """The writes of EmbeddedStore (which adds opening, schema, reads and the file gate)."""

    @abstractmethod
    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one statement on the writer's connection (EmbeddedStore: under the file gate)."""

    def upsert_nodes(self, label: str, rows: Sequence[Row]) -> int:
        cls = self.schema.node_class(label)
        columns, clean = prepare_node_rows(cls, rows)
        if not clean:
            return 0
        new_rows, old_rows = clean, []
        if len(clean) >= COPY_THRESHOLD:
            existing = self._existing_ids(cls.name, [r["id"] for r in clean]) if self._any_node(cls.name) else set()
            new_rows = [r for r in clean if r["id"] not in existing]
            old_rows = [r for r in clean if r["id"] in existing]
            if len(new_rows) >= COPY_THRESHOLD:
                self._copy_nodes(cls, new_rows)
                new_rows = []
        types = {c: "STRING" if c == "id" else cls.get_property(c).store_type for c in columns}
        for batch in _batches(new_rows + old_rows, WRITE_BATCH):
            self._execute(self._merge_nodes_cypher(cls, columns), {"t": _columns_table(types, batch)})
        return len(clean)

    def _merge_nodes_cypher(self, cls: NodeClass, columns: Sequence[str]) -> str:
        sets = ", ".join(f"n.{c} = {_COLUMN}{c}" for c in columns if c != "id")
        return f"LOAD FROM $t MERGE (n:{cls.name} {{id: {_COLUMN}id}})" + (f" SET {sets}" if sets else "")

    def _copy_nodes(self, cls: NodeClass, rows: list[dict[str, Any]]) -> None:
        for chunk in _batches(rows, COPY_CHUNK):
            table = pa.table(
                {
                    p.name: pa.array([r.get(p.name) for r in chunk], type=ARROW_TYPES[p.store_type])
                    for p in cls.properties
                }
            )
            self._execute(f"COPY {cls.name} FROM $t", {"t": table})

    # A first load writes into empty tables: one cheap probe spares looking up every id and pair.
    def _any_node(self, label: str) -> bool:
        return bool(all_rows(self._execute(f"MATCH (n:{label}) RETURN n.id LIMIT 1")))

    def _any_edge(self, rel_type: str, from_label: str, to_label: str) -> bool:
        cypher = f"MATCH (:{from_label})-[e:{rel_type}]->(:{to_label}) RETURN 1 LIMIT 1"
        return bool(all_rows(self._execute(cypher)))

    def _existing_ids(self, label: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(list(ids), 50_000):
            # ids as an Arrow column (LOAD FROM), not a list parameter the driver inspects item by item
            result = self._execute(
                f"LOAD FROM $ids WITH i MATCH (n:{label} {{id: i}}) RETURN n.id", {"ids": pa.table({"i": batch})}
            )
            found.update(row[0] for row in all_rows(result))
        return found

    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Row]) -> int:
        self._check_rel(rel_type, from_label, to_label)
        columns, clean = prepare_rel_rows(self.schema, rows, f"{rel_type} {from_label}->{to_label}")
        if not clean:
            return 0
        written = 0
        merge_rows = clean
        if len(clean) >= COPY_THRESHOLD:
            from_ok = self._existing_ids(from_label, sorted({r["from_id"] for r in clean}))
            to_ok = self._existing_ids(to_label, sorted({r["to_id"] for r in clean}))
            resolvable = [r for r in clean if r["from_id"] in from_ok and r["to_id"] in to_ok]
            existing = (
                self._existing_pairs(rel_type, from_label, to_label, resolvable)
                if self._any_edge(rel_type, from_label, to_label)
                else set()
            )
            new_rows = [r for r in resolvable if (r["from_id"], r["to_id"]) not in existing]
            merge_rows = [r for r in resolvable if (r["from_id"], r["to_id"]) in existing]
            if len(new_rows) >= COPY_THRESHOLD:
                self._copy_rels(rel_type, from_label, to_label, new_rows)
                written += len(new_rows)
            else:
                merge_rows += new_rows
        cypher = self._merge_rels_cypher(rel_type, from_label, to_label, columns)
        types = {"from_id": "STRING", "to_id": "STRING"}
        types |= {c: self.schema.relationship_property(c).store_type for c in columns}
        for batch in _batches(merge_rows, WRITE_BATCH):
            result = self._execute(cypher, {"t": _columns_table(types, batch)})
            written += int(all_rows(result)[0][0])
        return written

    def _merge_rels_cypher(self, rel_type: str, from_label: str, to_label: str, columns: Sequence[str]) -> str:
        sets = ", ".join(f"e.{c} = {_COLUMN}{c}" for c in columns)
        return (
            f"LOAD FROM $t MATCH (a:{from_label} {{id: {_COLUMN}from_id}}) MATCH (b:{to_label} {{id: {_COLUMN}to_id}}) "
            f"MERGE (a)-[e:{rel_type}]->(b)" + (f" SET {sets}" if sets else "") + " RETURN count(e)"
        )

    def _existing_pairs(
        self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Mapping[str, Any]]
    ) -> set[tuple[str, str]]:
        """Which (from, to) pairs already have this relationship.

        Expands from the side with more distinct ids in the batch: its nodes have the fewer edges each (an
        enterprise's clusters, not a cluster's hundred thousand enterprises), so the check stays linear.
        """
        wanted = {(r["from_id"], r["to_id"]) for r in rows}
        from_ids = sorted({f for f, _ in wanted})
        to_ids = sorted({t for _, t in wanted})
        if len(from_ids) >= len(to_ids):
            pattern = f"(a:{from_label} {{id: i}})-[:{rel_type}]->(b:{to_label})"
            ids = from_ids
        else:
            pattern = f"(b:{to_label} {{id: i}})<-[:{rel_type}]-(a:{from_label})"
            ids = to_ids
        cypher = f"LOAD FROM $ids WITH i MATCH {pattern} RETURN a.id, b.id"
        found: set[tuple[str, str]] = set()
        for batch in _batches(ids, 50_000):
            for row in all_rows(self._execute(cypher, {"ids": pa.table({"i": batch})})):
                if (row[0], row[1]) in wanted:
                    found.add((row[0], row[1]))
        return found

    def _copy_rels(self, rel_type: str, from_label: str, to_label: str, rows: list[dict[str, Any]]) -> None:
        for chunk in _batches(rows, COPY_CHUNK):
            data = {"from": pa.array([r["from_id"] for r in chunk]), "to": pa.array([r["to_id"] for r in chunk])}
            for prop in self.schema.relationship_properties:
                data[prop.name] = pa.array([r.get(prop.name) for r in chunk], type=ARROW_TYPES[prop.store_type])
            self._execute(f"COPY {rel_type} FROM $t (from='{from_label}', to='{to_label}')", {"t": pa.table(data)})

    def delete_nodes(self, label: str, ids: Sequence[str]) -> int:
        cls = self.schema.node_class(label)
        deleted = 0
        for batch in _batches(list(ids), WRITE_BATCH):
            result = self._execute(
                f"UNWIND $ids AS i MATCH (n:{cls.name} {{id: i}}) DETACH DELETE n RETURN count(*)", {"ids": batch}
            )
            deleted += int(all_rows(result)[0][0])
        return deleted

    def delete_relationships(
        self, rel_type: str, from_label: str, to_label: str, pairs: Sequence[tuple[str, str]]
    ) -> int:
        self._check_rel(rel_type, from_label, to_label)
        deleted = 0
        for batch in _batches([{"f": f, "t": t} for f, t in pairs], WRITE_BATCH):
            result = self._execute(
                f"UNWIND $pairs AS p MATCH (a:{from_label} {{id: p.f}})-[r:{rel_type}]->(b:{to_label} {{id: p.t}}) "
                "DELETE r RETURN count(*)",
                {"pairs": batch},
            )
            deleted += int(all_rows(result)[0][0])
        return deleted

    def clear(self) -> None:
        for rel in self.schema.relationships.values():
            self._execute(f"MATCH ()-[r:{rel.name}]->() DELETE r")
        for cls in self.schema.node_classes:
            self._execute(f"MATCH (n:{cls.name}) DELETE n")


def _columns_table(types: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows as an Arrow table of typed columns, named with ``_COLUMN`` before each property so that no column
    shadows a variable of the statement (a property called ``n``)."""
    columns = {name: pa.array([r.get(name) for r in rows], type=ARROW_TYPES[kind]) for name, kind in types.items()}
    return pa.table({f"{_COLUMN}{name}": column for name, column in columns.items()})


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
