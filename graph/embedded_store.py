"""EmbeddedStore: the zero-setup default, on LadybugDB (in-process, one file on disk).

LadybugDB needs a declared schema: one node table per concrete class and one relationship table per
type, each listing every allowed (from, to) pair — all generated from the ontology. Small batches go
through ``UNWIND … MERGE``; large ones load new rows with ``COPY`` from an Arrow table (an order of
magnitude faster) and update the rows that already exist with ``MERGE``, so a re-run never duplicates.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import ladybug
import pyarrow as pa

from graph import aggregates
from graph.embedded_pool import CORES, QUERY_WORKERS, ConnectionPool
from graph.errors import QueryRejectedError, StoreError
from graph.file_gate import FileGate
from graph.schema import NodeClass, PropertySpec, Schema
from graph.store import (
    GraphStore,
    QueryResult,
    ReadLimits,
    Row,
    UntrustedLimits,
    prepare_node_rows,
    prepare_rel_rows,
)

log = logging.getLogger(__name__)

# Below this many new rows, UNWIND is about as fast as COPY and simpler.
COPY_THRESHOLD = 2_000
# Rows per COPY: one COPY of millions of relationships fills a 1 GiB buffer pool ("no memory could be freed").
COPY_CHUNK = 250_000
WRITE_BATCH = 5_000
ITER_PAGE = 100_000  # rows per page when iterating a whole table

ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "STRING[]": pa.list_(pa.string()),
}


def _wal_error(exc: Exception) -> bool:
    """A write-ahead log that cannot be replayed: torn by a kill mid-write, or left from another database file."""
    text = str(exc).lower()
    return "wal" in text and any(word in text for word in ("does not match", "corrupt", "checksum"))


class EmbeddedStore(GraphStore):
    backend: ClassVar[str] = "embedded"

    def __init__(
        self,
        path: Path,
        schema: Schema,
        *,
        read_only: bool = False,
        buffer_pool_mb: int = 1024,
        max_db_size: int | None = None,
        read_limits: ReadLimits | None = None,
        query_workers: int = QUERY_WORKERS,
    ) -> None:
        super().__init__(schema, read_limits)
        self.path = Path(path)
        self.read_only = read_only
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._max_db_size = max_db_size
        # more than the cores, so that concurrent reads each stop at their own limit (graph/embedded_pool.py); a
        # process that runs one query at a time (the console's sandbox child) needs no more than the cores
        self._query_workers = query_workers
        self._db = self._open(buffer_pool_mb)
        # schema and writes; reads borrow their own from the pool
        self._conn = ladybug.Connection(self._db, num_threads=CORES)
        self._pool = ConnectionPool(self._db)
        self._buffer_pool_mb = buffer_pool_mb
        self._gate = FileGate(self.path)
        self._version = self._gate.version()

    def _open(self, buffer_pool_mb: int) -> ladybug.Database:
        kwargs: dict[str, Any] = {
            "read_only": self.read_only,
            "buffer_pool_size": buffer_pool_mb * 1024 * 1024,
            "max_num_threads": self._query_workers,
        }
        if self._max_db_size is not None:  # the address space LadybugDB reserves (8 TiB by default)
            kwargs["max_db_size"] = self._max_db_size
        try:
            return ladybug.Database(str(self.path), **kwargs)
        except RuntimeError as exc:
            if "recovery is pending" in str(exc) and self.read_only:
                return self._recover_then_open(kwargs)
            if "No space left on device" in str(exc):
                raise StoreError(f"cannot open the embedded store at {self.path}: {DISK_FULL}") from exc
            wal = Path(f"{self.path}.wal")
            if not (_wal_error(exc) and wal.exists()):
                raise StoreError(f"cannot open the embedded store at {self.path}: {exc}") from exc
            first_error = exc
        # A process killed mid-write leaves a WAL whose last record is torn. Its committed transactions come
        # first: replay up to the damage (the torn, uncommitted tail is dropped). A copy of the WAL is kept
        # for inspection. If even that fails (a WAL from another database file), open without it.
        kept = wal.with_name(f"{wal.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        shutil.copyfile(wal, kept)
        try:
            database = ladybug.Database(str(self.path), throw_on_wal_replay_failure=False, **kwargs)
        except RuntimeError:
            wal.unlink()
            log.warning("could not replay %s (%s); a copy is at %s; opened without it", wal, first_error, kept)
            return ladybug.Database(str(self.path), **kwargs)
        log.warning("replayed the write-ahead log of %s up to its damage (%s); a copy is at %s", self.path,
                    first_error, kept)  # fmt: skip
        return database

    def _recover_then_open(self, kwargs: dict[str, Any]) -> ladybug.Database:
        """A reader finds a committed write whose checkpoint did not finish (the disk was full when a load
        ended): opening read-write once completes it from the log, and the store is readable again."""
        try:
            ladybug.Database(str(self.path), **{**kwargs, "read_only": False}).close()
            database = ladybug.Database(str(self.path), **kwargs)
        except RuntimeError as exc:
            reason = DISK_FULL if "No space left on device" in str(exc) else RECOVERY_PENDING
            raise StoreError(f"cannot open the embedded store at {self.path}: {reason} ({exc})") from exc
        log.warning("completed the pending checkpoint of %s before reading it", self.path)
        return database

    # ------------------------------------------------------------------ schema
    def setup_schema(self) -> None:
        existing = self._tables()
        for cls in self.schema.node_classes:
            if cls.name in existing:
                self._add_missing_columns(cls.name, cls.properties)
                continue
            columns = ", ".join(
                f"{p.name} {p.store_type}" + (" PRIMARY KEY" if p.name == "id" else "") for p in cls.properties
            )
            self._execute(f"CREATE NODE TABLE {cls.name}({columns})")
        rel_columns = ", ".join(f"{p.name} {p.store_type}" for p in self.schema.relationship_properties)
        for rel in self.schema.relationships.values():
            if rel.name in existing:
                self._add_missing_columns(rel.name, self.schema.relationship_properties)
                continue
            pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rel.pairs)
            self._execute(f"CREATE REL TABLE {rel.name}({pairs}, {rel_columns})")
        aggregates.ensure(self)  # a store loaded before the tallies existed gets them here
        log.info("embedded schema ready at %s", self.path)

    def _tables(self) -> set[str]:
        result = self._conn.execute("CALL show_tables() RETURN name")
        return {row[0] for row in _all_rows(result)}

    def _add_missing_columns(self, table: str, props: Sequence[PropertySpec]) -> None:
        result = self._conn.execute(f"CALL table_info('{table}') RETURN name")
        have = {row[0] for row in _all_rows(result)}
        for prop in props:
            if prop.name not in have:
                self._execute(f"ALTER TABLE {table} ADD {prop.name} {prop.store_type}")
                log.info("added column %s.%s", table, prop.name)

    # ------------------------------------------------------------------ writes
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
        for batch in _batches(new_rows + old_rows, WRITE_BATCH):
            self._execute(self._merge_nodes_cypher(cls, columns), {"rows": batch})
        return len(clean)

    def _merge_nodes_cypher(self, cls: NodeClass, columns: Sequence[str]) -> str:
        sets = ", ".join(f"n.{c} = CAST(r.{c} AS {cls.get_property(c).store_type})" for c in columns if c != "id")
        return f"UNWIND $rows AS r MERGE (n:{cls.name} {{id: r.id}})" + (f" SET {sets}" if sets else "")

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
        return bool(_all_rows(self._execute(f"MATCH (n:{label}) RETURN n.id LIMIT 1")))

    def _any_edge(self, rel_type: str, from_label: str, to_label: str) -> bool:
        cypher = f"MATCH (:{from_label})-[e:{rel_type}]->(:{to_label}) RETURN 1 LIMIT 1"
        return bool(_all_rows(self._execute(cypher)))

    def _existing_ids(self, label: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(list(ids), 50_000):
            # ids as an Arrow column (LOAD FROM), not a list parameter the driver inspects item by item
            result = self._execute(
                f"LOAD FROM $ids WITH i MATCH (n:{label} {{id: i}}) RETURN n.id", {"ids": pa.table({"i": batch})}
            )
            found.update(row[0] for row in _all_rows(result))
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
        for batch in _batches(merge_rows, WRITE_BATCH):
            result = self._execute(cypher, {"rows": batch})
            written += int(_all_rows(result)[0][0])
        return written

    def _merge_rels_cypher(self, rel_type: str, from_label: str, to_label: str, columns: Sequence[str]) -> str:
        sets = ", ".join(f"e.{c} = CAST(r.{c} AS {self.schema.relationship_property(c).store_type})" for c in columns)
        return (
            f"UNWIND $rows AS r MATCH (a:{from_label} {{id: r.from_id}}) MATCH (b:{to_label} {{id: r.to_id}}) "
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
            for row in _all_rows(self._execute(cypher, {"ids": pa.table({"i": batch})})):
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
            deleted += int(_all_rows(result)[0][0])
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
            deleted += int(_all_rows(result)[0][0])
        return deleted

    def clear(self) -> None:
        for rel in self.schema.relationships.values():
            self._execute(f"MATCH ()-[r:{rel.name}]->() DELETE r")
        for cls in self.schema.node_classes:
            self._execute(f"MATCH (n:{cls.name}) DELETE n")

    # ------------------------------------------------------------------ reads
    def _read(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        row_cap: int | None = None,
    ) -> QueryResult:
        # A connection of its own for the whole read: its time limit is no other read's (graph/embedded_pool.py).
        with self._pool.lend(timeout_s) as conn:
            try:
                result = conn.execute(cypher, dict(params or {}))
            except RuntimeError as exc:
                raise QueryRejectedError(_plain_error(exc)) from exc
            if isinstance(result, list):  # several statements: the last one's rows
                result = result[-1]
            columns = list(result.get_column_names())
            rows: list[dict[str, Any]] = []
            truncated = False
            while result.has_next():
                if row_cap is not None and len(rows) >= row_cap:
                    truncated = True
                    break
                rows.append({c: _to_python(v) for c, v in zip(columns, result.get_next(), strict=True)})
            result.close()
        return QueryResult(columns=columns, rows=rows, truncated=truncated)

    def read_in_write(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        # the writer's own connection: it sees the batches this write committed so far
        result = self._execute(cypher, params)
        columns = list(result.get_column_names())
        return [{c: _to_python(v) for c, v in zip(columns, row, strict=True)} for row in _all_rows(result)]

    def read_untrusted(self, cypher: str, params: Mapping[str, Any] | None, limits: UntrustedLimits) -> QueryResult:
        # In a confined child process: read-only, no network, no file but the database's, bounded memory.
        from graph.sandbox import run_sandboxed

        return run_sandboxed(
            self.path,
            cypher,
            dict(params or {}),
            timeout_s=limits.timeout_s,
            row_cap=limits.row_cap,
            max_bytes=limits.max_bytes,
            memory_mb=limits.child_memory_mb,
            max_children=limits.children,
            wait_s=limits.wait_s,
        )

    def untrusted_problem(self) -> tuple[str, str] | None:
        from graph.sandbox import landlock_problem

        problem = landlock_problem()
        if problem is None:
            return None
        return (
            "控制台已停用：本机未启用 Landlock 文件隔离（需要 Linux ≥ 5.13），查询可能读取本机文件。原因：" + problem,
            "The console is off: Landlock file confinement is not in force here (Linux ≥ 5.13 needed), so a "
            "query could read local files. Reason: " + problem,
        )

    def untrusted_guard(self) -> tuple[str, str]:
        return (
            "只读打开的嵌入式数据库，在无网络、无文件访问、限内存的子进程中运行",
            "the embedded database opened read-only, in a child process with no network, no files and a memory limit",
        )

    def _iter_nodes(self, label: str) -> Iterator[dict[str, Any]]:
        """In pages of internal row offsets: LadybugDB materialises a query's result, so one query per label
        would hold the whole table in memory; an offset range is a cheap column scan and keeps memory flat."""
        cls = self.schema.node_class(label)
        returns = self._node_return_clause(cls)
        for lo, hi in self._offset_pages(cls.name):
            cypher = f"MATCH (n:{cls.name}) WHERE offset(id(n)) >= $lo AND offset(id(n)) < $hi RETURN {returns}"
            for row in self._stream(cypher, {"lo": lo, "hi": hi}):
                yield {k: v for k, v in row.items() if v is not None}

    def _iter_relationships(self, rel_type: str) -> Iterator[dict[str, Any]]:
        rel = self.schema.rel_type(rel_type)
        props = self._rel_return_clause("r")
        for from_label, to_label in rel.pairs:
            for lo, hi in self._offset_pages(from_label):
                cypher = (
                    f"MATCH (a:{from_label})-[r:{rel.name}]->(b:{to_label}) "
                    f"WHERE offset(id(a)) >= $lo AND offset(id(a)) < $hi RETURN a.id AS from_id, b.id AS to_id, {props}"
                )
                for row in self._stream(cypher, {"lo": lo, "hi": hi}):
                    yield {
                        "from_label": from_label,
                        "to_label": to_label,
                        **{k: v for k, v in row.items() if v is not None},
                    }

    def _offset_pages(self, label: str) -> Iterator[tuple[int, int]]:
        rows = _all_rows(self._execute(f"MATCH (n:{label}) RETURN max(offset(id(n)))"))
        top = rows[0][0] if rows else None
        if top is None:
            return
        for lo in range(0, int(top) + 1, ITER_PAGE):
            yield lo, lo + ITER_PAGE

    def _stream(
        self, cypher: str, params: Mapping[str, Any] | None = None, timeout_s: float | None = None
    ) -> Iterator[dict[str, Any]]:
        with self._pool.lend(timeout_s) as conn:  # a connection of its own: its time limit is this read's
            try:
                result = conn.execute(cypher, dict(params or {}))
            except RuntimeError as exc:
                raise StoreError(f"embedded store rejected a statement: {_plain_error(exc)}") from exc
            if isinstance(result, list):  # several statements: the last one's rows
                result = result[-1]
            columns = list(result.get_column_names())
            try:
                while result.has_next():
                    yield {c: _to_python(v) for c, v in zip(columns, result.get_next(), strict=True)}
            finally:
                result.close()

    # ------------------------------------------------------------------ reads, through the file gate
    # A read-only store reads under a shared lock and reopens the database when a writer changed the file
    # since it opened it (graph/file_gate.py): it sees the graph before an ingest or after it, never a mix.
    def _reading(self) -> AbstractContextManager[None]:
        return self._gate.reading(self._stale, self._reopen) if self.read_only else nullcontext()

    def _stale(self) -> bool:
        return self._gate.version() != self._version

    def _reopen(self) -> None:
        self._pool.close()  # no read is running: the gate let this thread in alone
        self._conn.close()
        self._db.close()
        self._db = self._open(self._buffer_pool_mb)
        self._conn = ladybug.Connection(self._db, num_threads=CORES)
        self._pool = ConnectionPool(self._db)
        self._version = self._gate.version()
        log.info("reopened %s: a writer changed it", self.path)

    def _read_within(
        self, cypher: str, params: Mapping[str, Any] | None, *, timeout_s: float | None, row_cap: int | None
    ) -> QueryResult:
        with self._reading():
            return self._read(cypher, params, timeout_s=timeout_s, row_cap=row_cap)

    def stream(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> Iterator[dict[str, Any]]:
        with self._reading():
            yield from self._stream(cypher, params, timeout_s)

    def iter_nodes(self, label: str) -> Iterator[dict[str, Any]]:
        with self._reading():
            yield from self._iter_nodes(label)

    def iter_relationships(self, rel_type: str) -> Iterator[dict[str, Any]]:
        with self._reading():
            yield from self._iter_relationships(rel_type)

    @contextmanager
    def transaction(self, rows: int = 0) -> Iterator[None]:
        """The block writes under the file gate's exclusive lock: readers in other processes wait, then reopen
        and see the graph after it (never a mix). The batches inside commit one by one, as before — one
        LadybugDB transaction around a whole load lost the kill test's equality once in about ten trials (a
        process killed while committing), and the batch commits with an idempotent re-run never did."""
        del rows
        with self._gate.writing():
            yield

    def describe(self) -> tuple[str, str]:
        mode = ("（只读）", " (read-only)") if self.read_only else ("", "")
        return f"嵌入式 LadybugDB{mode[0]} · {self.path}", f"embedded LadybugDB{mode[1]} · {self.path}"

    def close(self) -> None:
        with self._gate.writing() if not self.read_only else nullcontext():  # closing checkpoints the file
            self._pool.close()
            self._conn.close()
            self._db.close()
        self._gate.close()

    # ------------------------------------------------------------------ internals
    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            if not self.read_only:
                with self._gate.writing():
                    return self._conn.execute(cypher, dict(params or {}))
            return self._conn.execute(cypher, dict(params or {}))
        except RuntimeError as exc:
            raise StoreError(f"embedded store rejected a statement: {_plain_error(exc)}") from exc


DISK_FULL = (
    "the disk holding the embedded store is full (No space left on device). Nothing committed is lost: free "
    "some space, then run the same `ckg ingest` again — it finishes the interrupted write"
)
RECOVERY_PENDING = (
    "the embedded store has a committed write whose checkpoint did not finish (a full disk or a killed "
    "process); run `ckg ingest` once (with space on the disk) to complete it"
)


def _plain_error(exc: Exception) -> str:
    text = str(exc)
    if text.strip() == "Interrupted.":
        return "the query ran past its time limit and was stopped (timeout)"
    if "No space left on device" in text:
        return DISK_FULL
    return text


def _all_rows(result: Any) -> list[list[Any]]:
    rows = []
    while result.has_next():
        rows.append(result.get_next())
    return rows


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _to_python(value: Any) -> Any:
    """Nodes, relationships and paths as plain dicts, the same shape the Neo4j store returns."""
    if isinstance(value, dict):
        keys = {k.upper() for k in value if k.startswith("_")}
        props = {k: _to_python(v) for k, v in value.items() if not k.startswith("_") and v is not None}
        label = value.get("_LABEL", value.get("_label"))
        if {"_SRC", "_DST", "_LABEL"} <= keys:
            return {"_type": label, **props}
        if {"_ID", "_LABEL"} <= keys:
            return {"_label": label, **props}
        if {"_NODES", "_RELS"} <= keys:
            nodes = value.get("_NODES", value.get("_nodes")) or []
            rels = value.get("_RELS", value.get("_rels")) or []
            return {"nodes": [_to_python(n) for n in nodes], "relationships": [_to_python(r) for r in rels]}
        return {k: _to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_python(v) for v in value]
    if isinstance(value, Decimal):  # sum() of integers comes back as DECIMAL; Neo4j gives an int
        return int(value) if value == value.to_integral_value() else float(value)
    return value
