"""Neo4jStore: the store that scales (a server, a cluster or Aura), on the official driver.

The driver is built from settings by ``connect`` (graph/neo4j_connect.py) or passed in. Writes are batched
``UNWIND … MERGE`` in managed transactions, which the driver retries on transient errors; the database name
is always passed. Reads run in READ access mode with a transaction timeout, so the server itself refuses
writes and stops runaway queries. Values and errors become plain Python in graph/neo4j_results.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import neo4j
from neo4j.exceptions import Neo4jError

from graph import aggregates, neo4j_entity
from graph.errors import QueryRejectedError, StoreError, StoreUnavailableError, led
from graph.neo4j_connect import GONE, connect, shown_uri
from graph.neo4j_console import Console as Neo4jConsole
from graph.neo4j_console import safety_warnings
from graph.neo4j_results import plain_error, to_python
from graph.row_checks import Row, prepare_node_rows, prepare_rel_rows
from graph.schema import NodeClass, Schema
from graph.settings import Settings
from graph.store import GraphStore, QueryResult, ReadLimits, UntrustedLimits, without_nulls

# The console and the tests import GONE, connect, plain_error and to_python from here, where they were defined
# before connecting and converting had their own modules.
__all__ = [
    "EPOCH_RETRIES",
    "GONE",
    "NODE_BATCH",
    "REL_BATCH",
    "SINGLE_TRANSACTION_MAX_ROWS",
    "STREAM_FETCH",
    "Neo4jStore",
    "connect",
    "plain_error",
    "to_python",
]

log = logging.getLogger(__name__)

NODE_BATCH = 5_000
REL_BATCH = 10_000
# Above this many rows an ingest commits batch by batch: db.memory.transaction.max bounds one transaction.
SINGLE_TRANSACTION_MAX_ROWS = 100_000
EPOCH_RETRIES = 3  # reads run again when an ingest committed while they ran
# the ingest epoch: the newest finished run and how many there are (cheap: there are few run records)
EPOCH = "MATCH (r:IngestRun) RETURN max(r.ended_at) AS ended, count(r) AS runs"
STREAM_FETCH = 5_000
UNREACHABLE_IN_WRITE = "写入时 Neo4j 连接中断（{0}） / Neo4j became unreachable during a write: {0}"


class Neo4jStore(GraphStore):
    backend: ClassVar[str] = "neo4j"

    def __init__(
        self,
        driver: neo4j.Driver,
        schema: Schema,
        *,
        database: str = "neo4j",
        owns_driver: bool = True,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(schema, ReadLimits.from_settings(settings) if settings else None)
        self.driver = driver  # reads (the reader identity when one is set)
        self.database = database
        self._owns_driver = owns_driver
        self._settings = settings
        self._writer: neo4j.Driver | None = None  # the main identity, opened on the first write
        self._console: Neo4jConsole | None = None
        self._tx: neo4j.Transaction | None = None  # open during transaction()

    @classmethod
    def from_settings(cls, settings: Settings, schema: Schema) -> Neo4jStore:
        store = cls(connect(settings, reader=True), schema, database=settings.neo4j_database, settings=settings)
        for zh, en in store._server_warnings():  # the command line's line (stderr); the app shows a banner
            log.warning(
                "Neo4j 服务器的配置不如 ClusterKG 所需的安全：%s / "
                "the Neo4j server is configured less safely than ClusterKG needs: %s",
                *(zh, en),
            )
        return store

    def _writer_driver(self) -> neo4j.Driver:
        """The main identity's driver: the reading one, unless a separate reader identity is set."""
        if self._settings is None or not self._settings.neo4j_reader_username:
            return self.driver
        if self._writer is None:
            self._writer = connect(self._settings)
        return self._writer

    # ------------------------------------------------------------------ schema
    def setup_schema(self) -> None:
        statements = []
        for cls in self.schema.node_classes:
            statements.append(
                f"CREATE CONSTRAINT ckg_{cls.name}_id IF NOT EXISTS FOR (n:{cls.name}) REQUIRE n.id IS UNIQUE"
            )
            for prop in cls.property_names:
                if prop in self.schema.indexed:
                    statements.append(
                        f"CREATE INDEX ckg_{cls.name}_{prop} IF NOT EXISTS FOR (n:{cls.name}) ON (n.{prop})"
                    )
        statements += neo4j_entity.schema_statements()
        for statement in statements:
            self._write(statement)
        self._label_entities()
        aggregates.ensure(self)  # a store loaded before the tallies existed (or by neo4j-admin import) gets them
        log.info("neo4j schema ready: %d constraints and indexes", len(statements))

    def _label_entities(self) -> None:
        """Give the Entity label to fact nodes written before it existed (counts first: O(1) when done)."""
        labels = sorted(neo4j_entity.entity_labels(self.schema))
        total = sum(int(self._write(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]) for label in labels)
        if int(self._write(f"MATCH (n:{neo4j_entity.ENTITY}) RETURN count(n) AS n")[0]["n"]) == total:
            return
        batch = {"batch": neo4j_entity.BACKFILL_BATCH}
        for label in labels:
            while int(self._write(neo4j_entity.backfill_statement(label), batch)[0]["n"]):
                pass
        log.info("labelled the fact nodes Entity")

    # ------------------------------------------------------------------ writes
    def upsert_nodes(self, label: str, rows: Sequence[Row]) -> int:
        cls = self.schema.node_class(label)
        columns, clean = prepare_node_rows(cls, rows)
        cypher = self._merge_nodes_cypher(cls, columns)
        for start in range(0, len(clean), NODE_BATCH):
            self._write(cypher, {"rows": clean[start : start + NODE_BATCH]})
        return len(clean)

    def _merge_nodes_cypher(self, node_class: NodeClass, columns: Sequence[str]) -> str:
        sets = [f"n.{c} = r.{c}" for c in columns if c != "id"]
        if self.schema.is_entity(node_class.name):  # the lookup label of every fact node (graph/neo4j_entity.py)
            sets.append(f"n:{neo4j_entity.ENTITY}")
        merge = f"UNWIND $rows AS r MERGE (n:{node_class.name} {{id: r.id}})"
        return merge + (f" SET {', '.join(sets)}" if sets else "")

    def upsert_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Row]) -> int:
        self._check_rel(rel_type, from_label, to_label)
        columns, clean = prepare_rel_rows(self.schema, rows, f"{rel_type} {from_label}->{to_label}")
        sets = ", ".join(f"e.{c} = r.{c}" for c in columns)
        cypher = (
            f"UNWIND $rows AS r MATCH (a:{from_label} {{id: r.from_id}}) MATCH (b:{to_label} {{id: r.to_id}}) "
            f"MERGE (a)-[e:{rel_type}]->(b)" + (f" SET {sets}" if sets else "") + " RETURN count(e) AS n"
        )
        written = 0
        for start in range(0, len(clean), REL_BATCH):
            records = self._write(cypher, {"rows": clean[start : start + REL_BATCH]})
            written += int(records[0]["n"])
        return written

    def update_relationships(self, rel_type: str, from_label: str, to_label: str, rows: Sequence[Row]) -> int:
        self._check_rel(rel_type, from_label, to_label)
        columns, clean = prepare_rel_rows(self.schema, rows, f"{rel_type} {from_label}->{to_label}")
        sets = ", ".join(f"e.{c} = r.{c}" for c in columns)
        cypher = (
            f"UNWIND $rows AS r MATCH (a:{from_label} {{id: r.from_id}})-[e:{rel_type}]->(b:{to_label} {{id: r.to_id}})"
            + (f" SET {sets}" if sets else "")
            + " RETURN count(DISTINCT [r.from_id, r.to_id]) AS n"  # rows, not ties: a pair held twice is one row
        )
        updated = 0
        for start in range(0, len(clean), REL_BATCH):
            updated += int(self._write(cypher, {"rows": clean[start : start + REL_BATCH]})[0]["n"])
        return updated

    def delete_nodes(self, label: str, ids: Sequence[str]) -> int:
        cls = self.schema.node_class(label)
        deleted = 0
        for start in range(0, len(ids), NODE_BATCH):
            records = self._write(
                f"UNWIND $ids AS i MATCH (n:{cls.name} {{id: i}}) DETACH DELETE n RETURN count(*) AS n",
                {"ids": list(ids[start : start + NODE_BATCH])},
            )
            deleted += int(records[0]["n"])
        return deleted

    def delete_relationships(
        self, rel_type: str, from_label: str, to_label: str, pairs: Sequence[tuple[str, str]]
    ) -> int:
        self._check_rel(rel_type, from_label, to_label)
        deleted = 0
        rows = [{"f": f, "t": t} for f, t in pairs]
        for start in range(0, len(rows), REL_BATCH):
            records = self._write(
                f"UNWIND $pairs AS p MATCH (a:{from_label} {{id: p.f}})-[r:{rel_type}]->(b:{to_label} {{id: p.t}}) "
                "DELETE r RETURN count(*) AS n",
                {"pairs": rows[start : start + REL_BATCH]},
            )
            deleted += int(records[0]["n"])
        return deleted

    def clear(self) -> None:
        # In batches, relationships first: detaching a hub (a cluster with 300,000 members) in one transaction
        # would pass the per-transaction memory limit.
        for statement in (
            "MATCH ()-[r]->() WITH r LIMIT 50000 DELETE r RETURN count(*) AS n",
            "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
        ):
            while int(self._write(statement)[0]["n"]):
                pass

    @contextmanager
    def transaction(self, rows: int = 0) -> Iterator[None]:
        """One Neo4j transaction around the block: other clients see the graph before or after it, and a
        failed write changes nothing. Above SINGLE_TRANSACTION_MAX_ROWS (the server bounds a transaction's
        memory) the writes commit batch by batch, as they did before."""
        if rows > SINGLE_TRANSACTION_MAX_ROWS or self._tx is not None:
            if rows > SINGLE_TRANSACTION_MAX_ROWS:
                log.warning(
                    "%d 行：分批写入，读者可能看到写了一部分的图 / "
                    "%d rows: written batch by batch, a reader may see part of them",
                    *(rows, rows),
                )
            yield
            return
        try:
            session = self._writer_driver().session(database=self.database)
            self._tx = session.begin_transaction()
        except GONE as exc:
            raise StoreUnavailableError(
                f"Neo4j 连接中断（{type(exc).__name__}） / Neo4j became unreachable: {type(exc).__name__}"
            ) from None
        try:
            yield
            self._tx.commit()
        except BaseException:
            if not self._tx.closed():
                self._tx.rollback()
            raise
        finally:
            self._tx = None
            session.close()

    def _write(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(cypher, dict(params or {}))]

        if self._tx is not None:  # inside transaction(): no retry, the block commits or rolls back whole
            try:
                return [record.data() for record in self._tx.run(cypher, dict(params or {}))]
            except GONE as exc:
                raise StoreUnavailableError(UNREACHABLE_IN_WRITE.format(type(exc).__name__)) from None
            except Neo4jError as exc:
                raise StoreError(
                    led("Neo4j 拒绝了写入", "Neo4j rejected a write", f"{exc.code}: {exc.message}")
                ) from exc
        try:
            with self._writer_driver().session(database=self.database) as session:
                return session.execute_write(work)
        except GONE as exc:
            raise StoreUnavailableError(UNREACHABLE_IN_WRITE.format(type(exc).__name__)) from None
        except Neo4jError as exc:
            raise StoreError(led("Neo4j 拒绝了写入", "Neo4j rejected a write", f"{exc.code}: {exc.message}")) from exc

    def read_in_write(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        # inside transaction(): on its open transaction, so the uncommitted changes are counted too
        return [{k: to_python(v) for k, v in row.items()} for row in self._write(cypher, params)]

    # ------------------------------------------------------------------ reads
    def _read_within(
        self, cypher: str, params: Mapping[str, Any] | None, *, timeout_s: float | None, row_cap: int | None
    ) -> QueryResult:
        # Neo4j reads at read-committed isolation: a query that runs while an ingest commits can see part of it.
        # The ingest's run record commits with its data, so the read looks at the ingest epoch before and after
        # itself and runs again (a few times at most) when it changed: the answer is the graph before an ingest
        # or after it.
        for _ in range(EPOCH_RETRIES):
            result, settled = self._read_retrying(cypher, params, timeout_s, row_cap)
            if settled:
                return result
        return result

    def _read_retrying(
        self, cypher: str, params: Mapping[str, Any] | None, timeout_s: float | None, row_cap: int | None
    ) -> tuple[QueryResult, bool]:
        # An explicit transaction, not a managed one: the driver would retry a query that ran out of its
        # memory budget (a "transient" error) for 30 s, where the user should hear at once that it was stopped.
        # A lost connection (a restarted server, a cluster member gone) is retried once: reads are safe to repeat.
        for attempt in (1, 2):
            try:
                return self._read_once(cypher, params, timeout_s, row_cap)
            except GONE as exc:
                if attempt == 2:
                    raise StoreUnavailableError(
                        f"无法连接 Neo4j（{type(exc).__name__}） / Neo4j is unreachable: {type(exc).__name__}"
                    ) from None
            except Neo4jError as exc:
                raise QueryRejectedError(plain_error(exc)) from exc
        raise AssertionError("unreachable")

    def _read_once(
        self, cypher: str, params: Mapping[str, Any] | None, timeout_s: float | None, row_cap: int | None
    ) -> tuple[QueryResult, bool]:
        """The rows, and whether no ingest finished or started while they were read."""
        # One session for the three statements (a session each cost two more round trips). The epoch is read
        # outside the query's transaction: Neo4j refuses a transaction that mixes a read with an administration
        # command such as SHOW USERS. The whole answer comes in one fetch (the driver's batch is 1,000 records).
        fetch = -1 if row_cap is None else row_cap + 1
        with self.driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS, fetch_size=fetch
        ) as session:
            before = session.run(EPOCH).values()
            with session.begin_transaction(timeout=timeout_s) as tx:
                result = tx.run(cypher, dict(params or {}))
                columns = list(result.keys())
                rows: list[dict[str, Any]] = []
                truncated = False
                for record in result:
                    if row_cap is not None and len(rows) >= row_cap:
                        truncated = True
                        break
                    rows.append(dict(zip(columns, map(to_python, record.values()), strict=True)))
                tx.rollback()  # nothing to commit; and the rest of a cut result is dropped, not computed
            after = session.run(EPOCH).values()
        return QueryResult(columns=columns, rows=rows, truncated=truncated), before == after

    def stream(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> Iterator[dict[str, Any]]:
        # One read transaction held open while the caller consumes; the driver fetches records in batches.
        try:
            with (
                self.driver.session(
                    database=self.database, default_access_mode=neo4j.READ_ACCESS, fetch_size=STREAM_FETCH
                ) as session,
                session.begin_transaction(timeout=timeout_s) as tx,
            ):
                result = tx.run(cypher, dict(params or {}))
                keys = list(result.keys())
                for record in result:
                    yield {k: to_python(record[k]) for k in keys}
        except GONE as exc:
            raise StoreUnavailableError(
                f"无法连接 Neo4j（{type(exc).__name__}） / Neo4j is unreachable: {type(exc).__name__}"
            ) from None
        except Neo4jError as exc:
            raise StoreError(led("Neo4j 停止了读取", "Neo4j stopped a read", f"{exc.code}: {exc.message}")) from None

    def iter_relationships(self, rel_type: str) -> Iterator[dict[str, Any]]:
        # One query per type (not per pair of labels): each node has one label, read with the edge.
        rel = self.schema.rel_type(rel_type)
        cypher = (
            f"MATCH (a)-[r:{rel.name}]->(b) RETURN [x IN labels(a) WHERE x <> 'Entity'][0] AS from_label, "
            f"a.id AS from_id, [x IN labels(b) WHERE x <> 'Entity'][0] AS to_label, b.id AS to_id, "
            f"{self._rel_return_clause('r')}"
        )
        for row in self.stream(cypher):
            yield without_nulls(row)

    # ------------------------------------------------------------------ user queries (graph/neo4j_console.py)
    def read_untrusted(self, cypher: str, params: Mapping[str, Any] | None, limits: UntrustedLimits) -> QueryResult:
        if self._console is None:
            self._console = Neo4jConsole(self, self._settings)
        return self._console.run(cypher, params, limits)

    def untrusted_guard(self) -> tuple[str, str]:
        where_zh, where_en = (
            ("在可随时重启的控制台副本上", "on a disposable console replica")
            if self._settings and self._settings.console_uri
            else ("在主服务器上", "on the main server")
        )
        return (
            f"执行前检查文本与执行计划，只读访问，{where_zh}运行",
            f"text and plan checked before it runs, read access, run {where_en}",
        )

    def safety_warnings(self) -> list[tuple[str, str]]:
        return safety_warnings(self, self._settings)

    def _server_warnings(self) -> list[tuple[str, str]]:
        return safety_warnings(self, None)

    def describe(self) -> tuple[str, str]:
        uri = self._settings.neo4j_uri if self._settings else None
        where = f"{shown_uri(uri)} · {self.database}" if uri else self.database
        return f"Neo4j · {where}", f"Neo4j · {where}"

    def close(self) -> None:
        if self._console is not None:
            self._console.close()
        if self._writer is not None:
            self._writer.close()
        if self._owns_driver:
            self.driver.close()
