"""The embedded store's writes, on LadybugDB: idempotent upserts and deletes of nodes and relationships.

Small batches go through ``LOAD FROM`` an Arrow table ``… MERGE``; large ones load new rows with ``COPY`` (an order
of magnitude faster; from a Parquet file written for it, graph/copy_files.py) and update the rows that already exist
with ``MERGE``, so a re-run never duplicates. Every statement goes through the store's ``_execute``
(graph/embedded_store.py), which holds the file gate.
"""

from __future__ import annotations

import contextlib
import logging
import math
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.arrow_compare import same_values
from graph.arrow_rows import ARROW_TYPES, REL_ENDS, conform, node_schema, relationship_schema
from graph.copy_files import parquet_for_copy, path_literal
from graph.embedded_results import all_rows
from graph.errors import StoreError
from graph.mapped_tables import let_go_of_read_pages
from graph.native_memory import trim_heap
from graph.row_checks import Row, prepare_node_rows, prepare_rel_rows
from graph.schema import NodeClass, PropertySpec, RelType
from graph.store import GraphStore

# Below this many new rows, UNWIND is about as fast as COPY and simpler.
COPY_THRESHOLD = 2_000
# Rows per COPY of a node table: one COPY of a million firms' rows (each with its claims) fills a 1 GiB buffer pool
# ("no memory could be freed"); each part costs the same whatever the table already holds (scale 150: 5.2–6.2 s
# for each of the firms' 250,000-row parts).
COPY_CHUNK = 250_000
# The most rows of a relationship table copied in one COPY, per MB of the buffer pool (``rel_copy_rows``). A COPY
# into a relationship table that already holds rows is merged, when it commits, into the node groups it adds to (the
# 20 clusters' side of the firms' IN_CLUSTER ties is one), at a cost that grows with the table, and each tie's
# ``source_refs`` list makes it five to six times slower: 1.5 M ties took 8.3 s in one COPY, 84.7 s in 250,000-row
# parts, 15.7 s in parts without the lists; holding LadybugDB's checkpoints back to merge the parts at once took
# 132.2 s (bench/rel_copy.py). That COPY needs the pool: it passed with 3 GiB (740 rows a MB) and failed with 2 GiB
# (1,110 rows a MB), and held about 1.1 GB of C heap besides. A larger table goes in COPY_CHUNK parts, and the log
# names the pool that would take it whole (at scale 450, 2.3 M-row parts of the 6.8 M ties were slower still than
# 250,000-row ones).
REL_COPY_ROWS_PER_POOL_MB = 750
# A relationship type is written again whole (copied into a new table that then takes its name) rather than tie by
# tie once at least this share of its ties are added, changed or dropped, and at least this many: a ``SET`` of a
# stored tie's columns is merged into both ends' node groups, and costs more the larger the table. At scale 50, the
# firms' 755,793 IN_CLUSTER ties: three columns set on 50,000 of them took 14.1 s (282 µs a tie); the whole table
# dropped, made again and copied, 5.4 s (7 µs a tie), where deleting its ties instead of dropping it took 28.5 s more
# (one-offs); the edited re-run's write, 531 s tie by tie and 81 s so (bench/ingest_profile.py).
REPLACE_SHARE = 0.05
REPLACE_MIN_TIES = 2_000
STAGED = "__replacing"  # the name of the table a type's ties are copied into, after the type's own
WRITE_BATCH = 5_000
MAX_COLUMN_SETS = 4  # statements a batch of changed nodes is set in, at most (``_differing_columns``)
ID_LOOKUP = 50_000  # ids per look-up of which already exist
# Merged rows go in as an Arrow table (``LOAD FROM $t``), typed by the schema: a list of dicts as a parameter is
# inspected value by value by the driver, 1.2–4.5× slower (bench/merge_rows.py). Its columns carry this prefix.
_COLUMN = "v_"

__all__ = ["ARROW_TYPES", "COPY_CHUNK", "STAGED", "EmbeddedWrites", "rel_copy_rows", "rel_table_ddl"]

log = logging.getLogger(__name__)


def rel_copy_rows(rows: int, buffer_pool_mb: int) -> int:
    """Rows per COPY of a relationship table of ``rows`` with this buffer pool: the whole table when the pool
    carries it (at least one row: a step of a range), else a node table's parts."""
    return max(rows, 1) if rows <= buffer_pool_mb * REL_COPY_ROWS_PER_POOL_MB else COPY_CHUNK


class EmbeddedWrites(GraphStore):
    """The writes of EmbeddedStore (which adds opening, schema, reads and the file gate)."""

    buffer_pool_mb: int  # the database's page cache (relationship tables are copied in parts it carries)

    @abstractmethod
    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one statement on the writer's connection (EmbeddedStore: under the file gate)."""

    @abstractmethod
    def _let_go_of_tables(self) -> None:
        """Make the database drop the Arrow tables the writer's statements were given (LadybugDB keeps them until the
        connection closes): once a table is written, at most a few megabytes of it stay (a spilled table's file, its
        disk space)."""

    def upsert_nodes(self, label: str, rows: Sequence[Row]) -> int:
        cls = self.schema.node_class(label)
        columns, clean = prepare_node_rows(cls, rows)
        return self._upsert_node_table(cls, _rows_table(node_schema(cls), columns, clean))

    def upsert_node_table(self, label: str, table: pa.Table) -> int:
        cls = self.schema.node_class(label)
        written = self._upsert_node_table(cls, conform(table, node_schema(cls), ("id",), f"{label} rows"))
        self._let_go_of_tables()  # after a failure the load stops, and closing the store lets go of them
        return written

    def _upsert_node_table(self, cls: NodeClass, table: pa.Table) -> int:
        """New ids go in by ``COPY`` (absent properties null), the others by ``MERGE`` (``_merge_nodes``); a column
        the table lacks is left as it was."""
        merge = table
        if table.num_rows >= COPY_THRESHOLD:
            known = self._known(cls.name, table["id"])
            new = _where(table, pc.invert(known))
            if new.num_rows >= COPY_THRESHOLD:
                self._copy_nodes(cls, new)
                merge = _where(table, known)
        self._merge_nodes(cls, merge)
        return int(table.num_rows)

    def _merge_nodes(self, cls: NodeClass, table: pa.Table) -> None:
        """``MERGE`` the rows by id: a node the store does not hold is made with every column, and one it holds gets
        only the columns whose values differ from its stored ones (read first, a batch at a time), none if all are
        equal. A ``SET`` rewrites a value whether or not it changes: at scale 150, 825,000 firms with four of their 23
        columns changed took 152.0 s with every column set, 128.9 s so (a one-off)."""
        columns = [name for name in table.column_names if name != "id"]
        with self.transaction():  # the stored values compared are the ones the write replaces
            compared = bool(columns) and self._any_node(cls.name)  # an empty label: every row is new
            for start in range(0, table.num_rows, WRITE_BATCH):
                part = table.slice(start, WRITE_BATCH)
                parts = self._differing_columns(cls, part, columns) if compared else [(columns, None)]
                for names, rows in parts:
                    chosen = part.select(["id", *names])
                    cypher = self._merge_nodes_cypher(cls, chosen.column_names)
                    self._execute(cypher, {"t": _prefixed(chosen if rows is None else chosen.take(rows))})

    def _differing_columns(
        self, cls: NodeClass, table: pa.Table, columns: Sequence[str]
    ) -> Iterator[tuple[list[str], pa.Array]]:
        """The rows of the table to write, grouped by which of the columns differ from the stored node's (all of them
        for a node the store does not hold); rows equal in every column are left out. More than
        ``MAX_COLUMN_SETS`` groups become one, with every column that differs in any of them: each statement costs
        a little time and holds a little of the buffer pool, and rows that change at random would make hundreds."""
        returned = ", ".join(f"n.{name} AS {name}" for name in ["id", *columns])
        cypher = f"LOAD FROM $ids WITH i MATCH (n:{cls.name} {{id: i}}) RETURN {returned}"
        stored = self._execute(cypher, {"ids": pa.table({"i": table["id"]})}).get_as_arrow(0)
        at = pc.index_in(table["id"], value_set=stored["id"].combine_chunks().cast(pa.string()))
        found = pc.is_valid(at).to_numpy(zero_copy_only=False)
        rows = pa.array(np.flatnonzero(found))
        positions = pc.drop_null(at)
        differs = np.ones((table.num_rows, len(columns)), dtype=bool)
        for column, name in enumerate(columns):
            same = same_values(table[name].take(rows), stored[name].take(positions))
            differs[found, column] = ~same
        patterns, which = np.unique(differs, axis=0, return_inverse=True)
        which = which.ravel()
        kept = [index for index, pattern in enumerate(patterns) if pattern.any()]
        if len(kept) > MAX_COLUMN_SETS:
            union = np.asarray(patterns[kept].any(axis=0))
            yield (
                [name for name, differ in zip(columns, union, strict=True) if differ],
                pa.array(np.flatnonzero(np.isin(which, kept))),
            )
            return
        for index in kept:
            names = [name for name, differ in zip(columns, patterns[index], strict=True) if differ]
            yield names, pa.array(np.flatnonzero(which == index))

    def _merge_nodes_cypher(self, cls: NodeClass, columns: Sequence[str]) -> str:
        sets = ", ".join(f"n.{c} = {_COLUMN}{c}" for c in columns if c != "id")
        return f"LOAD FROM $t MERGE (n:{cls.name} {{id: {_COLUMN}id}})" + (f" SET {sets}" if sets else "")

    def _copy_nodes(self, cls: NodeClass, table: pa.Table) -> None:
        whole = _every_column(table, node_schema(cls))
        for start in range(0, whole.num_rows, COPY_CHUNK):
            self._copy(cls.name, whole.slice(start, COPY_CHUNK))
            let_go_of_read_pages(whole)  # a spilled table's copied rows (graph/mapped_tables.py)

    def _copy(self, target: str, rows: pa.Table, ends: str = "") -> None:
        """One ``COPY`` of these rows into the table ``target`` (``ends``: a relationship table's end labels, as
        ``(from='A', to='B')``), through a Parquet file where one can be written (graph/copy_files.py)."""
        with parquet_for_copy(rows) as file:
            if file is None:
                self._execute(f"COPY {target} FROM $t{ends}", {"t": _without_empty_batches(rows)})
            else:
                self._execute(f"COPY {target} FROM {path_literal(file)}{ends}")
        trim_heap()  # the COPY's freed working memory back to the system before the next (docs/SCALE.md)

    # A first load writes into empty tables: one cheap probe spares looking up every id and pair.
    def _any_node(self, label: str) -> bool:
        return bool(all_rows(self._execute(f"MATCH (n:{label}) RETURN n.id LIMIT 1")))

    def _any_edge(self, rel_type: str, from_label: str, to_label: str) -> bool:
        cypher = f"MATCH (:{from_label})-[e:{rel_type}]->(:{to_label}) RETURN 1 LIMIT 1"
        return bool(all_rows(self._execute(cypher)))

    def _known(self, label: str, column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
        """A mask: which of the column's ids a node of the label has (none looked up when the label has no node yet).
        Each batch of distinct ids is counted, and read back only when some are missing: a run's ties end at nodes
        the store holds, and reading 825,000 firms' ids back into a Python set took 2.5 s a relationship type at
        scale 150, counting them 0.7 s."""
        if not self._any_node(label):
            return pa.repeat(pa.scalar(False), len(column))
        ids = pc.unique(column)
        missing: list[pa.Array] = []
        for start in range(0, len(ids), ID_LOOKUP):
            batch = ids.slice(start, ID_LOOKUP)
            # ids as an Arrow column (LOAD FROM), not a list parameter the driver inspects item by item
            given = {"ids": pa.table({"i": batch})}
            lookup = f"LOAD FROM $ids WITH i MATCH (n:{label} {{id: i}}) RETURN "
            if all_rows(self._execute(lookup + "count(*)", given))[0][0] == len(batch):
                continue
            found = self._execute(lookup + "n.id", given).get_as_arrow(0).column(0).combine_chunks()
            missing.append(batch.filter(pc.invert(pc.is_in(batch, value_set=found.cast(pa.string())))))
        if not missing:
            return pa.repeat(pa.scalar(True), len(column))
        return pc.invert(pc.is_in(column, value_set=pa.concat_arrays(missing)))

    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Row]) -> int:
        self._check_rel(rel_type, from_label, to_label)
        columns, clean = prepare_rel_rows(self.schema, rows, f"{rel_type} {from_label}->{to_label}")
        table = _rows_table(relationship_schema(self.schema), [*REL_ENDS, *columns], clean)
        return self._upsert_rel_table(rel_type, from_label, to_label, table)

    def upsert_relationship_table(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> int:
        self._check_rel(rel_type, from_label, to_label)
        where = f"{rel_type} {from_label}->{to_label} rows"
        written = self._upsert_rel_table(
            rel_type, from_label, to_label, conform(table, relationship_schema(self.schema), REL_ENDS, where)
        )
        self._let_go_of_tables()
        return written

    def _upsert_rel_table(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> int:
        """New pairs go in by ``COPY``, the others by ``MERGE``; rows whose ends are missing are not written."""
        written = 0
        merge = table
        if table.num_rows >= COPY_THRESHOLD:
            from_ok, to_ok = self._known(from_label, table["from_id"]), self._known(to_label, table["to_id"])
            resolvable = _where(table, pc.and_(from_ok, to_ok))
            existing = (
                self._existing_pairs(rel_type, from_label, to_label, resolvable)
                if self._any_edge(rel_type, from_label, to_label)
                else set()
            )
            if existing:
                pairs = zip(resolvable["from_id"].to_pylist(), resolvable["to_id"].to_pylist(), strict=True)
                known = pa.array([pair in existing for pair in pairs], pa.bool_())
            else:
                known = pa.repeat(pa.scalar(False), resolvable.num_rows)
            new, merge = _where(resolvable, pc.invert(known)), _where(resolvable, known)
            if new.num_rows >= COPY_THRESHOLD:
                self._copy_rels(rel_type, from_label, to_label, new)
                written += new.num_rows
            else:
                merge = pa.concat_tables([new, merge])
        cypher = self._merge_rels_cypher(rel_type, from_label, to_label, merge.column_names[len(REL_ENDS) :])
        for start in range(0, merge.num_rows, WRITE_BATCH):
            written += int(all_rows(self._execute(cypher, {"t": _prefixed(merge.slice(start, WRITE_BATCH))}))[0][0])
        return written

    def _merge_rels_cypher(self, rel_type: str, from_label: str, to_label: str, columns: Sequence[str]) -> str:
        sets = ", ".join(f"e.{c} = {_COLUMN}{c}" for c in columns)
        return (
            f"LOAD FROM $t MATCH (a:{from_label} {{id: {_COLUMN}from_id}}) MATCH (b:{to_label} {{id: {_COLUMN}to_id}}) "
            f"MERGE (a)-[e:{rel_type}]->(b)" + (f" SET {sets}" if sets else "") + " RETURN count(e)"
        )

    def _existing_pairs(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> set[tuple[str, str]]:
        """Which (from, to) pairs already have this relationship.

        Expands from the side with more distinct ids in the batch: its nodes have the fewer edges each (an
        enterprise's clusters, not a cluster's hundred thousand enterprises), so the check stays linear.
        """
        wanted = set(zip(table["from_id"].to_pylist(), table["to_id"].to_pylist(), strict=True))
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
        for batch in _batches(ids, ID_LOOKUP):
            for row in all_rows(self._execute(cypher, {"ids": pa.table({"i": batch})})):
                if (row[0], row[1]) in wanted:
                    found.add((row[0], row[1]))
        return found

    def _copy_rels(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> None:
        whole = _every_column(table, relationship_schema(self.schema))
        rows = rel_copy_rows(whole.num_rows, self.buffer_pool_mb)
        if rows < whole.num_rows:
            _warn_of_parts(f"{rel_type} ({from_label}→{to_label})", whole.num_rows, self.buffer_pool_mb)
        for start in range(0, whole.num_rows, rows):
            self._copy(rel_type, whole.slice(start, rows), f" (from='{from_label}', to='{to_label}')")
            let_go_of_read_pages(whole)

    def update_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Row]) -> int:
        self._check_rel(rel_type, from_label, to_label)
        columns, clean = prepare_rel_rows(self.schema, rows, f"{rel_type} {from_label}->{to_label}")
        table = _rows_table(relationship_schema(self.schema), [*REL_ENDS, *columns], clean)
        return self._update_rel_table(rel_type, from_label, to_label, table)

    def update_relationship_table(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> int:
        self._check_rel(rel_type, from_label, to_label)
        where = f"{rel_type} {from_label}->{to_label} rows"
        updated = self._update_rel_table(
            rel_type, from_label, to_label, conform(table, relationship_schema(self.schema), REL_ENDS, where)
        )
        self._let_go_of_tables()
        return updated

    def _update_rel_table(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> int:
        """Set the table's columns on the ties that exist, and count the rows whose tie was found (a pair held twice
        is one row). The ties are looked up first, under the file gate, so that none goes before it is set; the
        rows of the others are passed over. The ties are then ``MERGE``d, as whole rows are: a ``MATCH`` of each tie
        by its ends with a ``SET`` filled a 3 GiB buffer pool within 100,000 updates at scale 50, and again with a
        checkpoint every 25,000."""
        with self.transaction():
            existing = self._existing_pairs(rel_type, from_label, to_label, table) if table.num_rows else set()
            pairs = zip(table["from_id"].to_pylist(), table["to_id"].to_pylist(), strict=True)
            found = _where(table, pa.array([pair in existing for pair in pairs], pa.bool_()))
            cypher = self._merge_rels_cypher(rel_type, from_label, to_label, found.column_names[len(REL_ENDS) :])
            for start in range(0, found.num_rows, WRITE_BATCH):
                all_rows(self._execute(cypher, {"t": _prefixed(found.slice(start, WRITE_BATCH))}))
            return int(found.num_rows)

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

    def replacing_pays(self, ties: int, to_write: int) -> bool:
        return to_write >= REPLACE_MIN_TIES and to_write >= ties * REPLACE_SHARE

    def replace_relationship_type(
        self, rel_type: str, tables: Mapping[tuple[str, str], pa.Table]
    ) -> dict[tuple[str, str], int]:
        """Copies the tables into a new table beside the type's (``STAGED``), then in one LadybugDB transaction
        drops the type's table and gives the new one its name: a run that fails before that leaves the type as it
        was, its staged table dropped; one killed before that leaves the staged table too, whose ties would match
        every pattern without a type: the next read-only open drops it while no one writes the file
        (graph/embedded_open.py), and so does the next setup or replacement. Never the type without its ties."""
        rel = self.schema.rel_type(rel_type)
        for from_label, to_label in tables:
            self._check_rel(rel_type, from_label, to_label)
        staged = f"{rel_type}{STAGED}"
        where = f"{rel_type} rows"
        expected = relationship_schema(self.schema)
        with self.transaction():  # under the file gate from the first read to the swap
            self._execute(f"DROP TABLE IF EXISTS {staged}")
            self._execute(rel_table_ddl(rel, self.schema.relationship_properties, name=staged))
            try:
                written: dict[tuple[str, str], int] = {}
                for (from_label, to_label), table in tables.items():
                    stamped = self._with_stored_stamps(rel_type, from_label, to_label, table)
                    whole = conform(stamped, expected, REL_ENDS, where)
                    written[(from_label, to_label)] = self._upsert_rel_table(staged, from_label, to_label, whole)
                    self._let_go_of_tables()
                self._swap(rel_type, staged)
            except BaseException:  # its ties would match every pattern without a type until the next setup
                with contextlib.suppress(StoreError):
                    self._execute(f"DROP TABLE IF EXISTS {staged}")
                raise
        return written

    def _swap(self, rel_type: str, staged: str) -> None:
        """The type's table dropped and the staged one given its name, in one LadybugDB transaction. Only these two
        statements: a transaction that also held the copies lost the type's ties when a kill met its commit
        (tests/test_replace_killed.py)."""
        swap = f"BEGIN TRANSACTION; DROP TABLE {rel_type}; ALTER TABLE {staged} RENAME TO {rel_type}; COMMIT;"
        try:  # one call: the writer's connection is not renewed in the middle
            self._execute(swap)
        except StoreError:
            with contextlib.suppress(StoreError):  # a statement that failed to bind leaves none open
                self._execute("ROLLBACK")
            raise

    def _with_stored_stamps(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> pa.Table:
        """The table with each null ``ingest_run`` filled from the stored tie between the same ends (a tie left as
        it was keeps the run that wrote it; of a pair stored twice, the stamp that sorts first)."""
        where = table.schema.get_field_index("ingest_run")
        if where < 0 or not table["ingest_run"].null_count:
            return table
        cypher = (
            f"MATCH (a:{from_label})-[r:{rel_type}]->(b:{to_label}) WHERE r.ingest_run IS NOT NULL "
            "RETURN a.id AS from_id, b.id AS to_id, min(r.ingest_run) AS stored_run"
        )
        stored = self._execute(cypher).get_as_arrow(0)
        stored = pa.table([stored[name].cast(pa.string()) for name in stored.column_names], names=stored.column_names)
        ends = [table[end].cast(pa.string()) for end in REL_ENDS]
        rows = pa.table([*ends, pa.array(range(table.num_rows))], names=[*REL_ENDS, "row"])
        found = rows.join(stored, keys=list(REL_ENDS), join_type="left outer").sort_by("row")
        stamps = pc.coalesce(table["ingest_run"], found["stored_run"])
        return table.set_column(where, "ingest_run", stamps)

    def clear(self) -> None:
        for rel in self.schema.relationships.values():
            self._execute(f"MATCH ()-[r:{rel.name}]->() DELETE r")
        for cls in self.schema.node_classes:
            self._execute(f"MATCH (n:{cls.name}) DELETE n")


def rel_table_ddl(rel: RelType, properties: Sequence[PropertySpec], name: str | None = None) -> str:
    """The statement that makes a relationship type's table (or, ``name``d, one like it): every pair of end labels,
    every property."""
    pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rel.pairs)
    columns = ", ".join(f"{p.name} {p.store_type}" for p in properties)
    return f"CREATE REL TABLE {name or rel.name}({pairs}, {columns})"


def _warn_of_parts(table: str, rows: int, buffer_pool_mb: int) -> None:
    """Say that a relationship table goes in parts, and which pool would take it whole: each part after the first is
    merged into the rows of those before it, so the write grows faster than the table (bench/rel_copy.py)."""
    parts = math.ceil(rows / COPY_CHUNK)
    pool_mb = math.ceil(rows / REL_COPY_ROWS_PER_POOL_MB)
    log.warning(
        "关系表 %s 有 %s 行，%s MB 的缓冲池一次 COPY 写不下：分 %d 批写入，之后每批都要并入之前各批的行，表越大越慢；"
        "若内存够用，将 CLUSTERKG_BUFFER_POOL_MB 设为约 %d 即可一次写入 / the relationship table %s has %s rows, "
        "more than a single COPY can take with a %s MB buffer pool: it goes in %d parts, each after the first merged "
        "into the rows of those before it, which takes longer the larger the table; with the memory to spare, "
        "CLUSTERKG_BUFFER_POOL_MB=%d takes it in one COPY",
        table, f"{rows:,}", f"{buffer_pool_mb:,}", parts, pool_mb,
        table, f"{rows:,}", f"{buffer_pool_mb:,}", parts, pool_mb,
    )  # fmt: skip


def _rows_table(expected: pa.Schema, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Validated rows (graph/row_checks.py: ``prepare_*_rows``) as an Arrow table of the given columns, typed."""
    return pa.table({c: pa.array([r.get(c) for r in rows], type=expected.field(c).type) for c in columns})


def _every_column(table: pa.Table, expected: pa.Schema) -> pa.Table:
    """The table with every column of the schema, in its order (the order ``COPY`` takes), absent ones null."""
    return pa.table(
        [table[f.name] if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in expected],
        schema=expected,
    )


def _without_empty_batches(table: pa.Table) -> pa.Table:
    """The table's rows in its own batches (no copy), leaving out batches of no rows: LadybugDB 0.22's ``COPY`` from
    an Arrow table stops at the first empty batch (batches of 5, 0 and 3 rows stored 5), without an error."""
    batches = table.to_batches()
    if all(batch.num_rows for batch in batches):
        return table
    return pa.Table.from_batches([batch for batch in batches if batch.num_rows], schema=table.schema)


def _prefixed(rows: pa.Table) -> pa.Table:
    """Rows for one ``LOAD FROM``, in one chunk (a table of many small chunks would otherwise be read as many
    statements), its columns named with ``_COLUMN`` before each property so that no column shadows a variable of
    the statement (a property called ``n``)."""
    return rows.combine_chunks().rename_columns([f"{_COLUMN}{name}" for name in rows.column_names])


def _where(table: pa.Table, mask: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The rows where ``mask`` holds: the table itself when that is every row. A first load's tables are all new,
    and a filtered copy of the firms' table was half a gigabyte at 300,000 firms."""
    return table if pc.all(mask).as_py() is not False else table.filter(mask)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
