"""User-typed Cypher on Neo4j: checked, run with least privilege, and on a server that may be thrown away.

The order of defences, each independent of the one before:

1. ``graph.neo4j_guard.check_text``: the query's text (no commands, allowlisted functions and procedures,
   bounded ``range()``, no multiplying expressions) — before any server sees it.
2. ``EXPLAIN`` on the server and ``check_plan``: a read query of this database, no LOAD CSV, SHOW, TERMINATE
   or administration operator, allowlisted procedures only.
3. The run: a READ transaction as the reader identity (NEO4J_READER_USERNAME; on Enterprise/Aura a ``reader``
   role), the server's transaction timeout, the row cap, then the byte cap and bounded values.
4. Disposable compute: with CLUSTERKG_CONSOLE_URI the query runs on a small read-only replica, refreshed from
   the main server when the main server's graph changed (an ingest), and restarted (CLUSTERKG_CONSOLE_RESTART)
   when a query outlives its timeout — Neo4j cannot stop an expression half-way, so a runaway costs the
   replica's CPU and heap, never the main server's. Without it the main server runs console queries, and
   ``safety_warnings`` says so.

At most ``limits.children`` console queries run at once per app process (the slots the embedded sandbox uses),
and the page waits no longer than the timeout and a margin.
"""

from __future__ import annotations

import logging
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import neo4j
from neo4j.exceptions import Neo4jError

from graph.errors import BilingualRejectionError, QueryRejectedError, StoreError, StoreUnavailableError, noted
from graph.neo4j_guard import check_plan, check_text
from graph.result_values import MAX_DEPTH, bounded_rows
from graph.sandbox import CHILD_SLOTS, WALL_CLOCK_MARGIN_S
from graph.settings import Settings
from graph.store import QueryResult, UntrustedLimits

if TYPE_CHECKING:
    from graph.neo4j_store import Neo4jStore

log = logging.getLogger(__name__)

FRESHNESS_CHECK_S = 10.0  # how often the replica is compared with the main server
COPY_BATCH = 10_000
RESTART_TIMEOUT_S = 180.0

# Server settings ClusterKG needs, and what to say when one is missing (see docs/DEPLOYMENT.md).
CHECKED_SETTINGS = (
    "dbms.security.allow_csv_import_from_file_urls",
    "server.directories.import",
    "db.memory.transaction.max",
    "dbms.memory.transaction.total.max",
    "dbms.security.auth_enabled",
)


class Console:
    """Where and how one Neo4jStore runs user queries."""

    def __init__(self, store: Neo4jStore, settings: Settings | None) -> None:
        self.store = store
        self.settings = settings
        self._replica: neo4j.Driver | None = None
        self._lock = threading.Lock()  # the replica's driver, refresh and restart
        self._checked_at = 0.0
        self._restarting = threading.Event()

    @property
    def has_replica(self) -> bool:
        return bool(self.settings and self.settings.console_uri)

    def run(self, cypher: str, params: Mapping[str, Any] | None, limits: UntrustedLimits) -> QueryResult:
        params = dict(params or {})
        check_text(cypher, params)
        if self._restarting.is_set():
            raise _restarting()
        CHILD_SLOTS.acquire(limits.children, limits.wait_s)
        try:
            driver = self._driver()
        except BaseException:
            CHILD_SLOTS.release()
            raise
        answers: queue.Queue[QueryResult | BaseException] = queue.Queue(maxsize=1)

        def work() -> None:
            try:
                answers.put(run_checked(driver, self.store.database, cypher, params, limits))
            except BaseException as exc:  # handed to the caller, which says what happened
                answers.put(exc)
            finally:
                CHILD_SLOTS.release()  # only when the read really ended: stuck reads stay counted

        threading.Thread(target=work, name="console-read", daemon=True).start()
        try:
            answer = answers.get(timeout=limits.timeout_s + WALL_CLOCK_MARGIN_S)
        except queue.Empty:
            log.warning(
                "控制台查询超出时限 %s 秒后仍未结束 / a console query outlived its timeout by %s s",
                *(WALL_CLOCK_MARGIN_S, WALL_CLOCK_MARGIN_S),
            )
            self._wedged()
            raise BilingualRejectionError(
                "查询超过时限仍未结束，已放弃；控制台服务器将重启。",
                "The query outlived its time limit and was given up; the console server is being restarted.",
            ) from None
        if isinstance(answer, RecursionError):
            raise BilingualRejectionError("结果嵌套过深，无法显示。", "The result nests too deeply to be shown.")
        if isinstance(answer, neo4j.exceptions.ServiceUnavailable) and self.has_replica:
            self._wedged()
            raise _restarting() from None
        if isinstance(answer, BaseException):
            raise answer
        return answer

    # ------------------------------------------------------------------ the replica
    def _driver(self) -> neo4j.Driver:
        if not self.has_replica or self.settings is None:
            return self.store.driver
        from graph.neo4j_store import connect

        with self._lock:
            if self._replica is None:
                self._replica = connect(self.settings, uri=self.settings.console_uri, reader=True)
            if time.monotonic() - self._checked_at > FRESHNESS_CHECK_S:
                self._refresh_if_stale()
                self._checked_at = time.monotonic()
            return self._replica

    def _refresh_if_stale(self) -> None:
        """Copy the main graph to the replica when they differ (after an ingest); keep the old copy on failure."""
        assert self.settings is not None and self.settings.console_uri  # only called with a replica
        from graph.neo4j_store import Neo4jStore, connect

        main = _marker(self.store.driver, self.store.database)
        assert self._replica is not None
        if main == _marker(self._replica, self.store.database):
            return
        started = time.monotonic()
        try:
            writer = connect(self.settings, uri=self.settings.console_uri)
        except StoreError as exc:
            log.warning(
                "控制台副本已过时且无法刷新%s / the console replica is stale and cannot be refreshed: %s", *noted(exc)
            )
            return
        replica = Neo4jStore(writer, self.store.schema, database=self.store.database)
        try:
            copy_graph(self.store, replica)
        finally:
            replica.close()
        log.info("console replica refreshed (%s) in %.1f s", main, time.monotonic() - started)

    def _wedged(self) -> None:
        """A query outlived its timeout: restart the replica (in the background), never the main server."""
        command = self.settings.console_restart if self.settings else None
        if not self.has_replica or not command or self._restarting.is_set():
            if not self.has_replica:
                log.warning(
                    "控制台查询卡住了主服务器：请设置 CLUSTERKG_CONSOLE_URI（见 docs/DEPLOYMENT.md） / "
                    "a console query wedged the MAIN server: set CLUSTERKG_CONSOLE_URI (docs/DEPLOYMENT.md)"
                )
            return
        self._restarting.set()

        def restart() -> None:
            try:
                log.warning("正在重启控制台服务器：%s / restarting the console server: %s", command, command)
                done = subprocess.run(shlex.split(command), check=False, capture_output=True, timeout=RESTART_TIMEOUT_S)
                if done.returncode != 0:
                    log.warning(
                        "控制台服务器重启失败（退出码 %s） / the console restart failed (exit %s)",
                        *(done.returncode, done.returncode),
                    )
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("控制台服务器重启失败：%s / the console restart failed: %s", *(type(exc).__name__,) * 2)
            finally:
                with self._lock:
                    if self._replica is not None:
                        self._replica.close()
                    self._replica = None
                self._restarting.clear()

        threading.Thread(target=restart, name="console-restart", daemon=True).start()

    def close(self) -> None:
        if self._replica is not None:
            self._replica.close()


def _restarting() -> BilingualRejectionError:
    return BilingualRejectionError(
        "控制台服务器正在重启，请稍后重试。", "The console server is restarting; please try again shortly."
    )


def _marker(driver: neo4j.Driver, database: str) -> tuple[Any, ...]:
    """What says two servers hold the same graph: the latest ingest run and the node count."""
    records, _, _ = driver.execute_query(
        "OPTIONAL MATCH (r:IngestRun) WITH max(r.id) AS run CALL { MATCH (n) RETURN count(n) AS nodes } "
        "RETURN run, nodes",
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return (records[0]["run"], records[0]["nodes"])


def copy_graph(source: Neo4jStore, target: Neo4jStore) -> None:
    """Make ``target`` hold exactly ``source``'s graph (the replica's refresh), in batches."""
    target.clear()
    target.setup_schema()
    for cls in source.schema.node_classes:
        for batch in _chunks(source.iter_nodes(cls.name)):
            target.upsert_nodes(cls.name, batch)
    for rel in source.schema.relationships.values():
        by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in source.iter_relationships(rel.name):
            pair = (row.pop("from_label"), row.pop("to_label"))
            by_pair.setdefault(pair, []).append(row)
            if len(by_pair[pair]) >= COPY_BATCH:
                target.upsert_relationships(rel.name, *pair, by_pair.pop(pair))
        for pair, rows in by_pair.items():
            target.upsert_relationships(rel.name, *pair, rows)


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= COPY_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def run_checked(
    driver: neo4j.Driver,
    database: str,
    cypher: str,
    params: dict[str, Any],
    limits: UntrustedLimits,
    *,
    plan_check: bool = True,
) -> QueryResult:
    """EXPLAIN and check the plan, then run the query in a READ transaction within the limits. (The tests
    switch ``plan_check`` off to show that the disposable server alone protects the main one.)"""
    from graph.neo4j_store import GONE, plain_error, to_python

    try:
        with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=100) as session:
            if plan_check:
                check_plan(session.run(f"EXPLAIN {cypher}", params).consume(), database)
            with session.begin_transaction(timeout=limits.timeout_s) as tx:
                result = tx.run(cypher, params)
                columns = list(result.keys())
                rows: list[dict[str, Any]] = []
                truncated = False
                for record in result:
                    if len(rows) >= limits.row_cap:
                        truncated = True
                        break
                    rows.append({c: to_python(record[c], MAX_DEPTH) for c in columns})
                tx.rollback()  # nothing to commit; the rest of a cut result is dropped, not computed
    except GONE as exc:
        raise StoreUnavailableError(f"Neo4j 不可达 / Neo4j is unreachable: {type(exc).__name__}") from exc
    except Neo4jError as exc:
        raise QueryRejectedError(plain_error(exc)) from None
    safe, _, cut = bounded_rows(rows, limits.max_bytes, chars=limits.value_max_chars)
    return QueryResult(columns=columns, rows=safe, truncated=truncated or cut)


def safety_warnings(store: Neo4jStore, settings: Settings | None) -> list[tuple[str, str]]:
    """How the server (and ClusterKG's use of it) is less safe than docs/DEPLOYMENT.md asks, in zh and en."""
    warnings: list[tuple[str, str]] = []
    try:
        records, _, _ = store.driver.execute_query(
            "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
            names=list(CHECKED_SETTINGS),
            database_=store.database,
            routing_=neo4j.RoutingControl.READ,
        )
        values = {r["name"]: str(r["value"]).strip().lower() for r in records}
    except Neo4jError:
        values = {}  # a real reader may not read settings: good, and nothing to check
    if values.get("dbms.security.allow_csv_import_from_file_urls") == "true":
        warnings.append(
            (
                "服务器允许 LOAD CSV 读取本机文件（dbms.security.allow_csv_import_from_file_urls=true）",
                "the server lets LOAD CSV read its files (dbms.security.allow_csv_import_from_file_urls=true)",
            )
        )
    if values.get("server.directories.import") in ("", "/"):
        warnings.append(
            (
                "服务器的导入目录是整个文件系统（server.directories.import）",
                "the server's import directory is the whole file system (server.directories.import)",
            )
        )
    for name in ("db.memory.transaction.max", "dbms.memory.transaction.total.max"):
        if values.get(name) in ("0", "0b", "0.00b", "0.00bytes", "0.00mib"):
            warnings.append(
                (f"服务器未限制事务内存（{name}=0）", f"the server puts no limit on transaction memory ({name}=0)")
            )
    if values.get("dbms.security.auth_enabled") == "false":
        warnings.append(
            (
                "服务器未启用身份验证（dbms.security.auth_enabled=false）",
                "the server has authentication off (dbms.security.auth_enabled=false)",
            )
        )
    if settings is not None and settings.neo4j_uri and not settings.console_uri:
        warnings.append(
            (
                "控制台查询在主服务器上运行（未设置 CLUSTERKG_CONSOLE_URI）",
                "console queries run on the main server (CLUSTERKG_CONSOLE_URI is not set)",
            )
        )
    if settings is not None and settings.neo4j_uri and not settings.neo4j_reader_username:
        warnings.append(
            (
                "读取使用主账户（未设置 NEO4J_READER_USERNAME）",
                "reads use the main identity (NEO4J_READER_USERNAME is not set)",
            )
        )
    return warnings
