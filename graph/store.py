"""The one narrow interface both stores implement (the row checks they share: graph/row_checks.py).

A store holds exactly the graph described by the schema: one node per ``id`` per label, at most one
relationship of a type between two nodes. Upserts are idempotent: the same batch twice leaves the same
graph. Rows are validated against the schema before any store sees them.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from graph.errors import SchemaError
from graph.row_checks import Row
from graph.schema import NodeClass, Schema
from graph.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

ID_CHUNK = 1_000  # ids per lookup: one parameter list, looked up through the id index on both stores
STORE_ZH = {"embedded": "内嵌存储", "neo4j": "Neo4j 存储"}  # a store's name in Chinese, as the pages say it
TABLE_HANDOVER = 10_000  # rows of an Arrow table made into dicts at a time, for a store that takes dicts


@dataclass(frozen=True)
class UntrustedLimits:
    """What one user query may cost: time, rows, bytes of answer, one value's length; and, for the store's
    sandbox, how many run at once, how long one waits for a turn and each one's memory."""

    timeout_s: float = 10.0
    row_cap: int = 5000
    max_bytes: int = 8 * 1024**2
    value_max_chars: int = 2000
    children: int = 2
    wait_s: float = 3.0
    child_memory_mb: int = 2048

    @classmethod
    def from_settings(cls, settings: Settings) -> UntrustedLimits:
        return cls(
            timeout_s=settings.query_timeout_s,
            row_cap=settings.row_cap,
            max_bytes=settings.result_max_bytes,
            value_max_chars=settings.value_max_chars,
            children=settings.console_children,
            wait_s=settings.console_wait_s,
            child_memory_mb=settings.console_child_memory_mb,
        )


@dataclass(frozen=True)
class ReadLimits:
    """What one ``read`` may cost when its caller says nothing: the settings' time limit and row cap. A caller
    may ask for less, never for more and never for none (datasette's rule); the library's own bulk reads, which
    need every row, say so with ``read_all``."""

    timeout_s: float = 10.0
    row_cap: int = 5000

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(timeout_s=settings.query_timeout_s, row_cap=settings.row_cap)

    def within(self, timeout_s: float | None, row_cap: int | None) -> tuple[float, int]:
        """The limits a read runs with: the caller's where they are lower, these otherwise."""
        if timeout_s is not None and not timeout_s > 0:  # 0 means "no limit" to both databases; NaN compares false
            raise ValueError(f"a read's time limit must be a positive number of seconds, not {timeout_s!r}")
        if row_cap is not None and row_cap < 0:
            raise ValueError(f"a read's row cap cannot be negative ({row_cap})")
        return (
            self.timeout_s if timeout_s is None else min(timeout_s, self.timeout_s),
            self.row_cap if row_cap is None else min(row_cap, self.row_cap),
        )


@dataclass
class QueryResult:
    """Rows of a read, as plain Python values; ``truncated`` says the row cap cut it short."""

    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = False


class GraphStore(ABC):
    """Schema set-up, idempotent batched upserts, reads with parameters, iteration for export, counts."""

    backend: ClassVar[str]

    def __init__(self, schema: Schema, read_limits: ReadLimits | None = None) -> None:
        self.schema = schema
        self.read_limits = read_limits or ReadLimits()  # the settings' limits (graph/factory.py passes them)

    # -- schema
    @abstractmethod
    def setup_schema(self) -> None:
        """Create tables / constraints / indexes for every class and relationship type (idempotent)."""

    def absent_tables(self) -> set[str]:
        """The schema's node classes and relationship types the store has no table for yet (a store whose schema
        was never set up, read by a dry run). Neo4j needs no table for a label: none."""
        return set()

    # -- writes
    @abstractmethod
    def upsert_nodes(self, label: str, rows: Sequence[Row]) -> int:
        """Create or update nodes by ``id``; set exactly the properties the batch carries. Returns rows written."""

    @abstractmethod
    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Row]) -> int:
        """Create or update relationships between existing nodes; rows whose endpoints are missing are
        not written. Returns the number written."""

    def upsert_node_table(self, label: str, table: pa.Table) -> int:
        """``upsert_nodes`` for rows held as an Arrow table of the class's properties (the ingest's rows, see
        graph/arrow_rows.py). Its columns are checked as ``conform`` says: unlike a batch of dicts, a table whose ids
        repeat is refused. By default handed over in batches as dicts; a store that takes Arrow overrides it."""
        from graph.arrow_rows import conform, node_schema

        table = conform(table, node_schema(self.schema.node_class(label)), ("id",), f"{label} rows")
        starts = range(0, table.num_rows, TABLE_HANDOVER)
        return sum(self.upsert_nodes(label, table.slice(i, TABLE_HANDOVER).to_pylist()) for i in starts)

    def upsert_relationship_table(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> int:
        """``upsert_relationships`` for rows held as an Arrow table: ``from_id``, ``to_id`` and properties (checked
        as ``upsert_node_table``'s are: a pair of ends repeated is refused)."""
        from graph.arrow_rows import REL_ENDS, conform, relationship_schema

        self._check_rel(rel_type, from_label, to_label)
        where = f"{rel_type} {from_label}->{to_label} rows"
        table = conform(table, relationship_schema(self.schema), REL_ENDS, where)
        starts = range(0, table.num_rows, TABLE_HANDOVER)
        rows = (table.slice(i, TABLE_HANDOVER).to_pylist() for i in starts)
        return sum(self.upsert_relationships(rel_type, from_label, to_label, batch) for batch in rows)

    @abstractmethod
    def update_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Row]) -> int:
        """Set the rows' properties on the relationships the store holds between their ends; a pair with none is
        passed over, never created. Returns the number of rows whose relationship was found (a pair held twice is
        one row), so that a count short of the rows tells of a deleted one."""

    def update_relationship_table(self, rel_type: str, from_label: str, to_label: str, table: pa.Table) -> int:
        """``update_relationships`` for rows held as an Arrow table (checked as ``upsert_relationship_table``'s are).
        A run writes a changed tie's differing columns so (ingest/tie_diff.py): a tie deleted meanwhile would come
        back from a ``MERGE`` with only those, and a count short of the rows tells the run instead."""
        from graph.arrow_rows import REL_ENDS, conform, relationship_schema

        self._check_rel(rel_type, from_label, to_label)
        where = f"{rel_type} {from_label}->{to_label} rows"
        table = conform(table, relationship_schema(self.schema), REL_ENDS, where)
        starts = range(0, table.num_rows, TABLE_HANDOVER)
        rows = (table.slice(i, TABLE_HANDOVER).to_pylist() for i in starts)
        return sum(self.update_relationships(rel_type, from_label, to_label, batch) for batch in rows)

    @abstractmethod
    def delete_nodes(self, label: str, ids: Sequence[str]) -> int:
        """Delete nodes (and their relationships) by id. Returns the number deleted."""

    @abstractmethod
    def delete_relationships(
        self, rel_type: str, from_label: str, to_label: str, pairs: Sequence[tuple[str, str]]
    ) -> int:
        """Delete relationships given as (from_id, to_id) pairs. Returns the number deleted."""

    def written_version(self) -> object | None:
        """A value that moves with every write to the store, by any process; None where the store cannot tell.
        A run that would write a relationship type whole (``replace_relationship_type``) from what it read checks
        that it has not moved since."""
        return None

    def let_go_of_cache(self, read_version: object | None) -> object | None:
        """Give back the memory the store's reads have cached in this process (a run that read the whole stored
        graph, before its own rows take memory). ``read_version`` is what ``written_version`` said before that
        read; returned is what stands for it now: the store's own letting go may move the version, another
        writer's write since then makes it None. Neo4j caches in its server: nothing to give back here."""
        return read_version

    def replacing_pays(self, ties: int, to_write: int) -> bool:
        """Whether writing every tie of a relationship type again (``replace_relationship_type``) costs less than
        writing ``to_write`` of its ``ties`` (added, changed or dropped) one by one. Not unless a store says so:
        Neo4j sets a tie's property cheaply."""
        del ties, to_write
        return False

    def replace_relationship_type(
        self, rel_type: str, tables: Mapping[tuple[str, str], pa.Table]
    ) -> dict[tuple[str, str], int]:
        """Every tie of the type written again from ``tables``, a table per pair of end labels holding every tie
        the type is to hold: the stored ties go, of whatever pair. A row whose ``ingest_run`` is null keeps the
        stored tie's. Returns the rows written per pair. Only a store whose ``replacing_pays`` can say yes has it."""
        raise NotImplementedError(f"{type(self).__name__} writes a relationship type tie by tie")

    @abstractmethod
    def clear(self) -> None:
        """Remove every node and relationship (the schema stays)."""

    def transaction(self, rows: int = 0) -> AbstractContextManager[None]:
        """The writes inside the block commit together or not at all, so that a reader sees the graph
        before them or after them, never a mix. ``rows`` is the number of rows the block will write: a store
        may commit batch by batch above what one transaction can hold (it logs so). By default: nothing."""
        del rows
        return nullcontext()

    # -- reads
    def read(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        row_cap: int | None = None,
    ) -> QueryResult:
        """Run a read query with parameters within ``read_limits``: a caller may pass a shorter time limit or a
        smaller row cap, a longer or larger one is cut to the store's. The database enforces the time limit
        (QueryRejectedError); rows stop at the cap (``truncated``)."""
        timeout, cap = self.read_limits.within(timeout_s, row_cap)
        return self._read_within(cypher, params, timeout_s=timeout, row_cap=cap)

    def read_all(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> QueryResult:
        """Every row of a read the library itself needs whole (exports, analytics pulls, editions, reports): no
        row cap, and no time limit unless one is given. Never for a query a page or a user chose."""
        if timeout_s is not None and not timeout_s > 0:
            raise ValueError(f"a read's time limit must be a positive number of seconds, not {timeout_s!r}")
        return self._read_within(cypher, params, timeout_s=timeout_s, row_cap=None)

    def read_columns(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> pa.Table:
        """Every row of a trusted whole read (as ``read_all``: the topology snapshot, a scope's chain) as Arrow
        columns: a store that can hand its result over as Arrow makes no Python object per value. By default,
        built from ``read_all``'s rows."""
        import pyarrow as pa

        result = self.read_all(cypher, params, timeout_s=timeout_s)
        return pa.table({c: [row[c] for row in result.rows] for c in result.columns})

    @abstractmethod
    def _read_within(
        self, cypher: str, params: Mapping[str, Any] | None, *, timeout_s: float | None, row_cap: int | None
    ) -> QueryResult:
        """The read with exactly these limits (None: none); only ``read`` and ``read_all`` call it."""

    def read_in_write(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """A trusted read that sees the writes of the open ``transaction()`` (derived counts recomputed in the
        write that changed the graph, graph/aggregates.py). By default, a plain read."""
        return self.read_all(cypher, params).rows

    @abstractmethod
    def read_untrusted(self, cypher: str, params: Mapping[str, Any] | None, limits: UntrustedLimits) -> QueryResult:
        """Run a query a user typed, the way this store makes safe (a sandbox, plan checks, a reader identity, a
        disposable server): read-only, within ``limits``, values bounded to JSON-able text; a refusal is a
        QueryRejectedError (a BilingualRejectionError when it says why in Chinese and English)."""

    def untrusted_problem(self) -> tuple[str, str] | None:
        """Why this store cannot run user queries safely here at all (zh, en), or None: the console refuses then."""
        return None

    def untrusted_guard(self) -> tuple[str, str]:
        """How this store guards user queries, for the console's caption (zh, en)."""
        return "只读访问", "read-only access"

    def prepare_untrusted(self) -> None:
        """Get ready for a user query soon (the console is open); by default nothing to do."""
        return None

    def safety_warnings(self) -> list[tuple[str, str]]:
        """Ways the server behind this store is configured less safely than ClusterKG needs (zh, en)."""
        return []

    def change_stamp(self) -> object | None:
        """A value that changes whenever a write this store's reads can see lands, read without a query; None when
        the store cannot tell (then only a read of the data says whether it changed)."""
        return None

    def node_counts(self) -> dict[str, int]:
        counts = {}
        for cls in self.schema.node_classes:
            result = self.read_all(f"MATCH (n:{cls.name}) RETURN count(n) AS n")
            counts[cls.name] = int(result.rows[0]["n"])
        return counts

    def relationship_counts(self) -> dict[str, int]:
        counts = {}
        for rel in self.schema.relationships.values():
            result = self.read_all(f"MATCH ()-[r:{rel.name}]->() RETURN count(r) AS n")
            counts[rel.name] = int(result.rows[0]["n"])
        return counts

    def describe(self) -> tuple[str, str]:
        """Which store this is and where, in Chinese and English, for a page's caption (never a secret)."""
        return self.backend, self.backend

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers shared by the implementations
    def _check_rel(self, rel_type: str, from_label: str, to_label: str) -> None:
        rel = self.schema.rel_type(rel_type)
        if not rel.allows(from_label, to_label):
            raise SchemaError(f"{rel_type} does not go from {from_label} to {to_label} in the ontology")

    def _node_return_clause(self, cls: NodeClass, var: str = "n", names: Sequence[str] | None = None) -> str:
        """``var.p AS p`` for each of the class's properties, or for ``names`` (each checked to be one of them)."""
        chosen = cls.property_names if names is None else [cls.get_property(name).name for name in names]
        return ", ".join(f"{var}.{p} AS {p}" for p in chosen)

    def _rel_return_clause(self, var: str = "r") -> str:
        return ", ".join(f"{var}.{p} AS {p}" for p in self.schema.relationship_property_names)

    @abstractmethod
    def stream(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """Rows of a trusted read as the database produces them, without holding the result in memory; no time
        limit unless one is given."""

    def iter_nodes(self, label: str) -> Iterator[dict[str, Any]]:
        """Every node of a label, streamed in one read (export, digests, the ingest diff); order not defined."""
        cls = self.schema.node_class(label)
        for row in self.stream(f"MATCH (n:{cls.name}) RETURN {self._node_return_clause(cls)}"):
            yield without_nulls(row)

    def iter_relationships(self, rel_type: str) -> Iterator[dict[str, Any]]:
        """Every relationship of a type as ``from_label, from_id, to_label, to_id`` and properties, streamed."""
        rel = self.schema.rel_type(rel_type)
        props = self._rel_return_clause("r")
        for from_label, to_label in rel.pairs:
            cypher = (
                f"MATCH (a:{from_label})-[r:{rel.name}]->(b:{to_label}) RETURN a.id AS from_id, b.id AS to_id, {props}"
            )
            for row in self.stream(cypher):
                yield {"from_label": from_label, "to_label": to_label, **without_nulls(row)}

    def node_columns(self, label: str, names: Sequence[str]) -> Iterator[list[list[Any]]]:
        """Some properties of every node of a label, in parts: each part a list of values per name, in ``names``'
        order (None where a node lacks one). A re-run reads each stored node's hash and statements so, not every
        property as a dict. A store that answers in Arrow overrides it."""
        cls = self.schema.node_class(label)
        part: list[list[Any]] = [[] for _ in names]
        for row in self.stream(f"MATCH (n:{cls.name}) RETURN {self._node_return_clause(cls, names=names)}"):
            for column, name in zip(part, names, strict=True):
                column.append(row[name])
            if len(part[0]) >= TABLE_HANDOVER:
                yield part
                part = [[] for _ in names]
        if part[0]:
            yield part

    def relationship_tables(self, rel_type: str) -> Iterator[tuple[str, str, pa.Table]]:
        """Every relationship of a type as Arrow tables of ``relationship_schema`` (``from_id``, ``to_id``, every
        property), each with its ends' labels: a re-run compares the stored ties with its own column by column
        (ingest/tie_diff.py). A pair of labels may come in several parts. A store that answers in Arrow
        overrides it; here the streamed rows are gathered ``TABLE_HANDOVER`` at a time, and a row whose values do
        not fit their columns is marked (``arrow_rows.UNFIT``)."""
        from graph.arrow_rows import relationship_schema, tie_table_of_rows

        expected = relationship_schema(self.schema)
        parts: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in self.iter_relationships(rel_type):
            pair = (str(row.pop("from_label")), str(row.pop("to_label")))
            part = parts.setdefault(pair, [])
            part.append(row)
            if len(part) >= TABLE_HANDOVER:
                yield *pair, tie_table_of_rows(parts.pop(pair), expected)
        for pair, rows in parts.items():
            yield *pair, tie_table_of_rows(rows, expected)

    def iter_nodes_among(self, label: str, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The nodes of a label whose ids are in ``ids``, looked up by id: a scoped export reads its scope, not
        the whole graph. Ids of other labels, or of no node, are passed over."""
        cls = self.schema.node_class(label)
        cypher = f"UNWIND $ids AS i MATCH (n:{cls.name} {{id: i}}) RETURN {self._node_return_clause(cls)}"
        for start in range(0, len(ids), ID_CHUNK):
            for row in self.stream(cypher, {"ids": list(ids[start : start + ID_CHUNK])}):
                yield without_nulls(row)

    def iter_relationships_from(
        self, rel_type: str, ids_by_label: Mapping[str, Sequence[str]], to_labels: Collection[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The relationships of a type that leave the given nodes (their ids by label), to nodes of ``to_labels``
        (None: of any class), as ``iter_relationships`` gives them; the caller decides which far ends it keeps."""
        rel = self.schema.rel_type(rel_type)
        props = self._rel_return_clause("r")
        for from_label, to_label in rel.pairs:
            ids = ids_by_label.get(from_label, ()) if to_labels is None or to_label in to_labels else ()
            cypher = (
                f"UNWIND $ids AS i MATCH (a:{from_label} {{id: i}})-[r:{rel.name}]->(b:{to_label}) "
                f"RETURN a.id AS from_id, b.id AS to_id, {props}"
            )
            for start in range(0, len(ids), ID_CHUNK):
                for row in self.stream(cypher, {"ids": list(ids[start : start + ID_CHUNK])}):
                    yield {"from_label": from_label, "to_label": to_label, **without_nulls(row)}


def without_nulls(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row without its null values, as both stores hand rows out for export and iteration."""
    return {k: v for k, v in row.items() if v is not None}
