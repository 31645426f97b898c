"""EmbeddedStore: the zero-setup default, on LadybugDB (in-process, one file on disk).

LadybugDB needs a declared schema: one node table per concrete class and one relationship table per
type, each listing every allowed (from, to) pair — all generated from the ontology. This module opens the
database (and recovers it after a crash or a full disk), creates the schema and reads, under the file gate
when read-only; the writes (``UNWIND … MERGE``, ``COPY`` for large batches) are in graph/embedded_writes.py,
and the conversion of results and errors in graph/embedded_results.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, ClassVar

import ladybug
import pyarrow as pa

from graph import aggregates, name_index
from graph.arrow_rows import as_typed, relationship_schema
from graph.embedded_open import closed_writable, open_database, opened_writable, without_stale_staging
from graph.embedded_pool import CORES, QUERY_WORKERS, ConnectionPool
from graph.embedded_results import all_rows, fetch_rows, plain_error, to_python
from graph.embedded_writes import ARROW_TYPES, COPY_CHUNK, STAGED, EmbeddedWrites, rel_table_ddl
from graph.errors import QueryRejectedError, StoreError, apart, led
from graph.file_gate import FileGate
from graph.native_memory import cap_malloc_arenas
from graph.return_names import renamed
from graph.schema import PropertySpec, RelType, Schema
from graph.store import QueryResult, ReadLimits, UntrustedLimits, without_nulls

# The benchmarks import the COPY constants from here, where they were before the writes had their own module.
__all__ = ["ARROW_TYPES", "COPY_CHUNK", "ITER_PAGE", "EmbeddedStore"]

REJECTED = ("内嵌存储拒绝了该语句", "embedded store rejected a statement")
log = logging.getLogger(__name__)
# before any store's worker threads start, and before the process has many threads (graph/native_memory.py)
cap_malloc_arenas(CORES)

ITER_PAGE = 100_000  # rows per page when iterating a whole table
# nodes per page of ``node_columns``: a page's answer is held twice (LadybugDB's, then Arrow's), and a node's
# statements are kilobytes (100,000 a page: 300 MB more at its peak than streaming them, at scale 15)
NODE_COLUMNS_PAGE = 10_000
# LadybugDB 0.22 keeps every Arrow table a statement was given as a parameter until its connection closes (a COPY's,
# a LOAD FROM's): the writer's connection is renewed once this many bytes were handed over, so that a load does
# not hold all it wrote (tests/test_store_tables.py; at scale 150 it was 1.4 GB by the end of the firms).
RENEW_AFTER_BYTES = 128 << 20
# ... and once this many statements were given a table: each holds about half a megabyte of the buffer pool until
# then, however small its table (500 one-row ``LOAD FROM`` statements filled a 256 MB pool).
RENEW_AFTER_TABLES = 64
# After a table, it is renewed once this many bytes are held: each renewal checkpoints first, which for a small
# table costs more than the memory it frees (the bundled load's write took 3.6 s instead of 2.8 s).
LET_GO_AFTER_TABLE_BYTES = 8 << 20


class EmbeddedStore(EmbeddedWrites):
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
        self._gate = FileGate(self.path)
        opened_version = self._gate.version()  # before the open: a write during it makes the first read reopen
        self._closed = False
        self._db = self._open(buffer_pool_mb)
        if read_only:  # a table a killed replacement left would show in every pattern without a type
            kwargs, rel_types = self._open_kwargs(buffer_pool_mb), self.schema.relationships
            self._db = without_stale_staging(self._db, self.path, kwargs, rel_types, self._gate)
        else:
            opened_writable(self.path)
        # schema and writes; reads borrow their own from the pool
        self._conn = ladybug.Connection(self._db, num_threads=CORES)
        self._handed_over = 0  # bytes of Arrow parameters the writer's connection holds (RENEW_AFTER_BYTES)
        self._tables_handed = 0  # the statements given them (RENEW_AFTER_TABLES)
        self._pool = ConnectionPool(self._db)
        self.buffer_pool_mb = buffer_pool_mb
        # a reader's version is the file's before it opened (its own clean-up or recovery costs one needless reopen)
        self._version = opened_version if read_only else self._gate.version()

    def _open_kwargs(self, buffer_pool_mb: int) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "read_only": self.read_only,
            "buffer_pool_size": buffer_pool_mb * 1024 * 1024,
            "max_num_threads": self._query_workers,
        }
        if self._max_db_size is not None:  # the address space LadybugDB reserves (8 TiB by default)
            kwargs["max_db_size"] = self._max_db_size
        return kwargs

    def _open(self, buffer_pool_mb: int) -> ladybug.Database:
        return open_database(self.path, self._open_kwargs(buffer_pool_mb))

    # ------------------------------------------------------------------ schema
    def setup_schema(self) -> None:
        existing = self._tables()
        for rel_type in self.schema.relationships:
            if f"{rel_type}{STAGED}" in existing:  # left by a run killed while it replaced the type
                self._execute(f"DROP TABLE {rel_type}{STAGED}")
        for cls in self.schema.node_classes:
            if cls.name in existing:
                self._add_missing_columns(cls.name, cls.properties)
                continue
            columns = ", ".join(
                f"{p.name} {p.store_type}" + (" PRIMARY KEY" if p.name == "id" else "") for p in cls.properties
            )
            self._execute(f"CREATE NODE TABLE {cls.name}({columns})")
        for rel in self.schema.relationships.values():
            if rel.name in existing:
                self._add_missing_columns(rel.name, self.schema.relationship_properties)
                self._add_missing_pairs(rel)
                continue
            self._execute(rel_table_ddl(rel, self.schema.relationship_properties))
        before = aggregates.epoch(self)
        aggregates.ensure(self)  # a store loaded before the tallies (or this version of them) gets them here
        # a recount changes no fact: the name index follows the new epoch (rebuilt if it was not in step)
        name_index.follow_write(self, before, aggregates.epoch(self), ())
        log.info("embedded schema ready at %s", self.path)

    def absent_tables(self) -> set[str]:
        names = {cls.name for cls in self.schema.node_classes} | set(self.schema.relationships)
        return names - self._tables()

    def _tables(self) -> set[str]:
        result = self._conn.execute("CALL show_tables() RETURN name")
        return {row[0] for row in all_rows(result)}

    def _add_missing_columns(self, table: str, props: Sequence[PropertySpec]) -> None:
        result = self._conn.execute(f"CALL table_info('{table}') RETURN name")
        have = {row[0] for row in all_rows(result)}
        for prop in props:
            if prop.name not in have:
                self._execute(f"ALTER TABLE {table} ADD {prop.name} {prop.store_type}")
                log.info("added column %s.%s", table, prop.name)

    def _add_missing_pairs(self, rel: RelType) -> None:
        """The pairs of end classes the ontology gained since the store was made (a range widened): without them a
        write of such a tie fails in the store's binder."""
        result = self._conn.execute(f"CALL show_connection('{rel.name}') RETURN *")
        have = {(row[0], row[1]) for row in all_rows(result)}
        for start, end in rel.pairs:
            if (start, end) not in have:
                self._execute(f"ALTER TABLE {rel.name} ADD FROM {start} TO {end}")
                log.info("added %s from %s to %s", rel.name, start, end)

    # ------------------------------------------------------------------ reads
    def read_in_write(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        # the writer's own connection: it sees the batches this write committed so far
        result = self._execute(cypher, params)
        columns = list(result.get_column_names())
        return [{c: to_python(v) for c, v in zip(columns, row, strict=True)} for row in all_rows(result)]

    def read_untrusted(self, cypher: str, params: Mapping[str, Any] | None, limits: UntrustedLimits) -> QueryResult:
        # In a confined child process: read-only, no network, no file but the database's, bounded memory.
        from graph.sandbox import run_sandboxed

        result = run_sandboxed(
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
        return renamed(cypher, result)  # columns named as the reader typed them, as Neo4j names them

    def prepare_untrusted(self) -> None:
        # a child with its libraries loaded waits for the query: ≈ 0.45 s of its 0.7 s done before it is typed
        from graph.sandbox import SPARE, child_env, landlock_problem

        if landlock_problem() is None:
            SPARE.refill(child_env())

    def untrusted_problem(self) -> tuple[str, str] | None:
        from graph.sandbox import landlock_problem

        problem = landlock_problem()
        if problem is None:
            return None
        zh, en = apart(problem)
        return (
            "控制台已停用：本机未启用 Landlock 文件隔离（需要 Linux ≥ 5.13），查询可能读取本机文件。原因：" + zh,
            "The console is off: Landlock file confinement is not in force here (Linux ≥ 5.13 needed), so a "
            "query could read local files. Reason: " + en,
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
                yield without_nulls(row)

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
                    yield {"from_label": from_label, "to_label": to_label, **without_nulls(row)}

    def _offset_pages(self, label: str, page: int = ITER_PAGE) -> Iterator[tuple[int, int]]:
        rows = all_rows(self._execute(f"MATCH (n:{label}) RETURN max(offset(id(n)))"))
        top = rows[0][0] if rows else None
        if top is None:
            return
        for lo in range(0, int(top) + 1, page):
            yield lo, lo + page

    def _stream(
        self, cypher: str, params: Mapping[str, Any] | None = None, timeout_s: float | None = None
    ) -> Iterator[dict[str, Any]]:
        with self._pool.lend(timeout_s) as conn:  # a connection of its own: its time limit is this read's
            try:
                result = conn.execute(cypher, dict(params or {}))
            except RuntimeError as exc:
                raise StoreError(led(*REJECTED, plain_error(exc))) from exc
            if isinstance(result, list):  # several statements: the last one's rows
                result = result[-1]
            columns = list(result.get_column_names())
            try:
                while result.has_next():
                    yield {c: to_python(v) for c, v in zip(columns, result.get_next(), strict=True)}
            finally:
                result.close()

    # ------------------------------------------------------------------ reads, through the file gate
    # A read-only store reads under a shared lock and reopens the database when a writer changed the file
    # since it opened it (graph/file_gate.py): it sees the graph before an ingest or after it, never a mix.
    def _reading(self) -> AbstractContextManager[None]:
        return self._gate.reading(self._stale, self._reopen) if self.read_only else nullcontext()

    def written_version(self) -> object | None:
        return self._gate.version()

    def change_stamp(self) -> object | None:
        # a read-only store (the app's) sees only other processes' writes, and each changes the file or its WAL (the
        # gate's version); a writable one (a command, a test) reads the epoch every time, its own writes included
        return self._gate.version() if self.read_only else None

    def _stale(self) -> bool:
        return self._gate.version() != self._version

    def _reopen(self) -> None:
        self._pool.close()  # no read is running: the gate let this thread in alone
        self._open_again()
        log.info("reopened %s: a writer changed it", self.path)

    def _open_again(self) -> None:
        """Close the database (its pool closed already) and open it anew, with a new pool."""
        self._database_reopened()
        self._pool = ConnectionPool(self._db)

    def _database_reopened(self) -> ladybug.Database:
        """The database closed and opened anew (LadybugDB gives back its buffer pool's memory only when closed),
        with a new writer's connection; the read connections are the caller's to close first."""
        self._conn.close()
        self._db.close()
        self._db = self._open(self.buffer_pool_mb)
        self._conn = ladybug.Connection(self._db, num_threads=CORES)
        self._handed_over = self._tables_handed = 0
        self._version = self._gate.version()
        return self._db

    def let_go_of_cache(self, read_version: object | None) -> object | None:
        """Closes and reopens the database. LadybugDB keeps every page a read loaded in its buffer pool until the
        pool is full: after a re-run of scale 150 read the stored graph, 1.7 GB of a 3 GiB pool stayed resident
        through the whole collect that followed. Closing rewrites the file's header, which moves its version, so it
        is done under the write lock (other threads' writes wait, and other processes'): no other write comes
        between, and the version after stands for ``read_version`` when the version before equals it. Left as it is
        while another thread reads (its connection would close under it; reads that start meanwhile wait) and on a
        read-only store (its reads reopen it as they need)."""
        if self.read_only:
            return read_version
        with self._gate.writing():
            unmoved = read_version is not None and self._gate.version() == read_version
            if not self._pool.reopen_if_unused(self._database_reopened):
                log.info("kept the buffer pool of %s: another thread is reading", self.path)
                return read_version if unmoved else None
            return self._version if unmoved else None

    def _read_within(
        self, cypher: str, params: Mapping[str, Any] | None, *, timeout_s: float | None, row_cap: int | None
    ) -> QueryResult:
        with self._reading():
            # A connection of its own for the whole read: its time limit is no other read's (graph/embedded_pool.py).
            with self._pool.lend(timeout_s) as conn:
                result = _execute_read(conn, cypher, params)
                columns = list(result.get_column_names())
                try:
                    rows, truncated = fetch_rows(result, columns, row_cap)
                finally:
                    result.close()
            return QueryResult(columns=columns, rows=rows, truncated=truncated)

    def read_columns(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> pa.Table:
        """LadybugDB hands the result over as Arrow (``get_as_arrow``): at a million nodes the topology snapshot's
        reads take a few seconds instead of 20 s of Python holding the interpreter lock beside the app's pages."""
        if timeout_s is not None and not timeout_s > 0:
            raise ValueError(f"a read's time limit must be a positive number of seconds, not {timeout_s!r}")
        with self._reading(), self._pool.lend(timeout_s) as conn:
            result = _execute_read(conn, cypher, params)
            try:
                return result.get_as_arrow()
            finally:
                result.close()

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

    def node_columns(self, label: str, names: Sequence[str]) -> Iterator[list[list[Any]]]:
        """Read by key, a page of ids at a time: a page chosen by ``offset(id(n))`` scans the columns it returns for
        every node of the label, and the first page of the 825,000 firms of scale 150 loaded all their statements
        into the buffer pool (1.2 GB; each later page 0.12 s, against 0.05 s by key)."""
        cls = self.schema.node_class(label)
        cypher = f"UNWIND $ids AS i MATCH (n:{cls.name} {{id: i}}) RETURN {self._node_return_clause(cls, names=names)}"
        with self._reading():
            ids = self._arrow_answer(f"MATCH (n:{cls.name}) RETURN n.id AS id", {})["id"]
            for start in range(0, len(ids), NODE_COLUMNS_PAGE):
                table = self._arrow_answer(cypher, {"ids": ids[start : start + NODE_COLUMNS_PAGE].to_pylist()})
                yield [table[name].to_pylist() for name in names]

    def relationship_tables(self, rel_type: str) -> Iterator[tuple[str, str, pa.Table]]:
        """As Arrow from LadybugDB itself (``get_as_arrow``), a page of start nodes at a time: at scale 15 the
        350,000 stored ties took 0.9 s, against 2.9 s as dicts."""
        rel = self.schema.rel_type(rel_type)
        expected = relationship_schema(self.schema)
        returns = f"a.id AS from_id, b.id AS to_id, {self._rel_return_clause('r')}"
        for from_label, to_label in rel.pairs:
            cypher = (
                f"MATCH (a:{from_label})-[r:{rel.name}]->(b:{to_label}) "
                f"WHERE offset(id(a)) >= $lo AND offset(id(a)) < $hi RETURN {returns}"
            )
            with self._reading():
                for lo, hi in self._offset_pages(from_label):
                    table = self._arrow_answer(cypher, {"lo": lo, "hi": hi})
                    if table.num_rows:  # empty pages are passed over
                        yield from_label, to_label, as_typed(table, expected)

    def _arrow_answer(self, cypher: str, params: Mapping[str, Any]) -> pa.Table:
        """A read's whole answer as Arrow, on a connection closed after it (idle, it would hold pool memory)."""
        with self._pool.lend(None, keep=False) as conn:
            try:
                result = _execute_read(conn, cypher, params)
            except QueryRejectedError as exc:
                raise StoreError(led(*REJECTED, exc)) from exc
            try:
                # one chunk the size of the answer: by default a chunk is sized for 10 M values whatever the answer
                # holds (a re-run of the bundled data peaked 230 MB higher)
                return result.get_as_arrow(0)
            finally:
                result.close()

    @contextmanager
    def transaction(self, rows: int = 0) -> Iterator[None]:
        """The block writes under the file gate's exclusive lock: readers in other processes wait, then reopen
        and see the graph after it (never a mix). The batches inside commit one by one, as before — one
        LadybugDB transaction around a whole load lost the kill test's equality once in about ten trials (a
        process killed while committing), and the batch commits with an idempotent re-run never did."""
        del rows
        if self.read_only:
            raise StoreError("内嵌存储以只读方式打开，不能写入 / the embedded store is open read-only: it cannot write")
        with self._gate.writing():
            self._pool.let_go_of_idle()  # they hold buffer-pool memory of earlier reads, which the write needs
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
        if not self.read_only and not self._closed:
            closed_writable(self.path)
        self._closed = True

    # ------------------------------------------------------------------ internals
    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        params = dict(params or {})
        try:
            with self._gate.writing() if not self.read_only else nullcontext():
                # renewed before a statement, not after: the caller has read the last one's rows by now
                if self._handed_over >= RENEW_AFTER_BYTES or self._tables_handed >= RENEW_AFTER_TABLES:
                    self._renew_writer()
                result = self._conn.execute(cypher, params)
                tables = [value for value in params.values() if isinstance(value, pa.Table)]
                self._handed_over += sum(table.nbytes for table in tables)
                self._tables_handed += bool(tables)
                return result
        except RuntimeError as exc:
            raise StoreError(led(*REJECTED, plain_error(exc))) from exc

    def _let_go_of_tables(self) -> None:
        if self._handed_over >= LET_GO_AFTER_TABLE_BYTES:
            with self._gate.writing():
                self._renew_writer()

    def _renew_writer(self) -> None:
        # Checkpoint first: a connection closed with the writes since the last checkpoint still in the log, then a
        # failed post-commit checkpoint later in the same load (a full buffer pool), left the primary-key index
        # without the earlier rows in about half the loads (found by a scan, not by id; docs/SCALE.md).
        try:
            self._conn.execute("CHECKPOINT")
        except RuntimeError as exc:
            raise StoreError(
                led(
                    "内嵌存储在更换写连接之前的检查点失败",
                    "the embedded store's checkpoint before renewing its writer's connection failed",
                    plain_error(exc),
                )
            ) from exc
        self._conn.close()
        self._conn = ladybug.Connection(self._db, num_threads=CORES)
        self._handed_over = self._tables_handed = 0


def _execute_read(conn: ladybug.Connection, cypher: str, params: Mapping[str, Any] | None) -> ladybug.QueryResult:
    """Run a read; a statement the database refuses is the caller's error (QueryRejectedError). Several statements:
    the last one's rows."""
    try:
        result = conn.execute(cypher, dict(params or {}))
    except RuntimeError as exc:
        raise QueryRejectedError(plain_error(exc)) from exc
    return result[-1] if isinstance(result, list) else result
