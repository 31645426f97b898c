"""The ingest pipeline: read sources → merge with the statements the store keeps → resolve → diff → write.

Facts belong to sources (docs/MAPPINGS.md, "How a run changes the graph"). A run reads some sources;
each one read completely and validly replaces that source's statements, one that could not be read
whole (a missing or damaged file, lost columns, a row count outside its bounds) keeps its earlier
statements untouched, and ``retract`` removes a source's statements. The statements of every other
source come from the store. All of them are resolved again into the graph, so the result is the same
whatever order sources are run in, and a run changes only what its own sources' statements change.

A run is recorded as an IngestRun node (a PROV activity): when it started and ended, its files with
checksums, its counts, what it added, changed and dropped (overall and per source), and its report.
Nodes and relationships that did not change are not written, so a re-run of unchanged files changes
nothing; writes are idempotent upserts, so an interrupted run is finished by running it again.

Everything before the write is ``ingest/collecting.py``'s; on the embedded store a large run does it in a forked child
of its own (``ingest/collect_apart.py``), so that the process that writes never held the records.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph import aggregates, name_index, name_index_ahead
from graph.errors import StoreError, noted
from graph.mapped_tables import let_go_of_read_pages
from graph.settings import Settings
from graph.store import GraphStore
from ingest import collect_apart
from ingest.build import Inference, RelKey
from ingest.collecting import (  # Progress, collect and the others: where callers have long found them
    Collected,
    CollectSteps,
    Progress,
    UnknownSourceError,
    collect,
    default_inferences,
)
from ingest.collector import rare_collections
from ingest.report import Report
from ingest.row_tables import NodeTables, RelGroup, RelTables, spilled_again, stamped
from ingest.run_changes import (
    IngestResult,
    run_record,
    written_nodes,
)
from ingest.sources import Source
from ingest.spill import spill_folder
from ingest.stored import NodeKey, read_stored
from ingest.tie_diff import TieWrites

log = logging.getLogger(__name__)

__all__ = ["Progress", "UnknownSourceError", "collect", "default_inferences", "run_ingest"]


def run_ingest(
    store: GraphStore,
    sources: list[Source],
    *,
    data_dir: Path,
    dry_run: bool = False,
    retract: Iterable[str] = (),
    progress: Progress | None = None,
    inferences: Iterable[Inference] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    apart: bool | None = None,
) -> IngestResult:
    """Reads ``sources``, resolves them with the statements the store keeps, and writes what changed. ``apart``: the
    collect in a process of its own (ingest/collect_apart.py); None: on the embedded store when the files read are
    at least ``CLUSTERKG_COLLECT_APART_MB`` (graph/settings.py)."""
    started = now()
    run_id = f"run/{started:%Y%m%dT%H%M%S%f}"
    if apart is None:
        apart = _large_enough_to_collect_apart(store, sources, data_dir)
    report = Report()
    recover = False
    if not dry_run:
        store.setup_schema()
        recover = _last_run_unfinished(store)
        _close_interrupted_runs(store)
        store.upsert_nodes("IngestRun", [{"id": run_id, "started_at": started.isoformat(), "status": "running"}])
    try:
        # a rule's table that cannot be used stops the run here, before it reads or writes anything
        rules = default_inferences(store.schema, data_dir, report) if inferences is None else inferences
        # the rows' tables wait for the write as files, mapped (ingest/row_tables.py); TMPDIR says where
        with rare_collections(), spill_folder() as spill, ExitStack() as on_exit:
            result = _run(
                store, sources, data_dir, dry_run, set(retract), run_id, report, progress, rules, started, now,
                spill, on_exit, recover, apart and collect_apart.available(),
            )  # fmt: skip
    except BaseException:
        if not dry_run:
            _mark_failed(store, run_id, now())
        raise
    return result


def _large_enough_to_collect_apart(store: GraphStore, sources: list[Source], data_dir: Path) -> bool:
    """Whether a run's files are large enough for its collect to go to a process of its own: only the embedded
    store writes in the run's own process (Neo4j's server holds the write's memory)."""
    if store.backend != "embedded" or not collect_apart.available():
        return False
    least = Settings.from_env().collect_apart_mb
    files = {data_dir / source.file for source in sources}
    size = sum(file.stat().st_size for file in files if file.is_file())
    return size >= least * 1024 * 1024


def _run(
    store: GraphStore,
    sources: list[Source],
    data_dir: Path,
    dry_run: bool,
    retract: set[str],
    run_id: str,
    report: Report,
    progress: Progress | None,
    inferences: Iterable[Inference],
    started: datetime,
    now: Callable[[], datetime],
    spill: Path,
    on_exit: ExitStack,
    recover: bool = False,
    apart: bool = False,
) -> IngestResult:
    steps = CollectSteps(store.schema, sources, data_dir, dry_run, retract, run_id, report, progress, inferences, spill)

    def index_ahead(nodes: NodeTables) -> name_index_ahead.IndexAhead | None:
        """A first load's name index, built from the node tables while the rest of the run goes on."""
        ahead = None if dry_run else name_index_ahead.start(store, nodes)
        if ahead is not None:
            on_exit.callback(ahead.discard)  # deleted if the run ends before it is in place
        return ahead

    collected = _collect_apart(store, steps, spill) if apart else None
    if collected is None:  # in this process; also when a source the child read was not read whole
        collected = steps.collect(
            lambda replaced: read_stored(store, counted=replaced, version=store.written_version()), index_ahead
        )
        assert collected is not None  # this read always answers
    if not dry_run:
        _write_collected(store, collected, run_id, progress, started, now, recover, on_exit)
    return collected.result


def _collect_apart(store: GraphStore, steps: CollectSteps, spill: Path) -> Collected | None:
    """The collect in a process of its own (ingest/collect_apart.py), the stored statements read before it: those
    of every source the run names as digests. None when a source was not read whole: its stored statements are then
    needed whole, and the collect runs again in this process."""
    named = {source.name for source in steps.sources} | steps.retract
    stored = read_stored(store, counted=named, version=store.written_version())
    progress = steps.progress
    shown: list[tuple[str, int]] = []  # the child's progress: this process's bar, of which the child drew a copy,
    # is told it afterwards, so that it goes on from where the child's left off

    def noted(step: str, count: int) -> None:
        shown.append((step, count))
        if progress is not None:
            progress(step, count)

    def in_child() -> tuple[Collected | None, list[tuple[str, int]]]:
        collect = dataclasses.replace(steps, progress=noted).collect
        return collect(lambda replaced: stored if replaced == named else None, None), shown

    collected, shown_by_child = collect_apart.in_own_process(in_child, spill / "collected.pickle")
    if collected is None:  # read again in this process, which shows its own progress
        return None
    for step, count in shown_by_child:
        if progress is not None:
            progress(step, count)
    # its report is the child's: the one given to it, with what it found
    collected.nodes, collected.rels = spilled_again(spill, list(collected.nodes), list(collected.rels))
    # a first load's name index: built in this process once the write's largest table is in (_write)
    collected.index_later = None if steps.dry_run else name_index_ahead.ahead_path(store)
    return collected


def _write_collected(
    store: GraphStore,
    collected: Collected,
    run_id: str,
    progress: Progress | None,
    started: datetime,
    now: Callable[[], datetime],
    recover: bool,
    on_exit: ExitStack,
) -> None:
    """The collected rows written in one transaction with the run's record; then the name index follows."""
    clock = time.perf_counter()
    result, nodes, rels = collected.result, collected.nodes, collected.rels
    node_todo, node_drop = collected.node_todo, collected.node_drop
    rel_todo, rel_drop = collected.ties.todo, collected.ties.drop
    seconds = result.seconds
    log.info(
        "writing: %d node rows, %d relationship rows, %d removals (read and resolved in %.1f s)",
        _true(node_todo), _tie_rows(rel_todo), len(node_drop) + len(rel_drop), seconds["collect"] + seconds["diff"],
    )  # fmt: skip
    # the changes and the run's record commit together: a reader sees the graph before or after
    with store.transaction(rows=_true(node_todo) + _tie_rows(rel_todo) + len(node_drop) + len(rel_drop)):
        before = aggregates.epoch(store)  # of the counts the queries read, recounted in the same write
        # the name index's, made before the rows go, only if it will take them: a first load's million
        # (label, id) pairs would otherwise wait through the write for an index rebuilt whole
        by_entity = not recover and name_index.follows_entity_by_entity(store, before)
        changed_nodes = written_nodes(nodes, node_todo) | node_drop if by_entity else None  # None: rebuilt
        for table in (*nodes.values(), *rels.values()):  # the diff read their ids: resident till let go of
            let_go_of_read_pages(table)
        # a type written again whole is written from what the run read: only if nothing was written since
        whole_ok = collected.read_version is not None and store.written_version() == collected.read_version
        _write(
            store, nodes, rels, node_todo, rel_todo, node_drop, rel_drop, run_id, progress, whole_ok,
            collected.ties.held, _index_starter(collected, store, dict(nodes), on_exit),
        )  # fmt: skip
        recount = result.changed_anything or before is None or recover
        after = aggregates.refresh(store) if recount else before
        result.seconds["write"] = time.perf_counter() - clock
        store.upsert_nodes("IngestRun", [run_record(result, started, now())])
    _follow_in_name_index(store, collected.ahead, before, after, changed_nodes, recover)
    log.info("written in %.1f s", result.seconds["write"])


def _index_starter(
    collected: Collected, store: GraphStore, nodes: NodeTables, on_exit: ExitStack
) -> Callable[[], None] | None:
    """For a collect done in a child: starts a first load's name index from the node tables (``nodes``, kept here
    while the write empties its own dict). Started after the write's largest table, the index is built beside the
    rest of the write but not beside its peak (docs/SCALE.md: the two together were 465 MB higher)."""
    index = collected.index_later
    if index is None:
        return None

    def start() -> None:
        collected.ahead = name_index_ahead.start_at(index, store.schema, nodes)
        on_exit.callback(collected.ahead.discard)  # deleted if the run ends before it is in place

    return start


def _follow_in_name_index(
    store: GraphStore,
    ahead: name_index_ahead.IndexAhead | None,
    before: str | None,
    after: str | None,
    changed_nodes: set[NodeKey] | None,
    recover: bool,
) -> None:
    """After the commit, the name index in step with the written graph: the one built beside a first load, else
    followed or rebuilt (after an unfinished run rebuilt whole: it may miss that run's writes). The graph is written
    whatever happens here: an index left behind is rebuilt by the next reader, which finds its epoch old."""
    try:
        built_ahead = ahead is not None and after is not None and after != before and ahead.install(after)
        if not built_ahead:
            name_index.follow_write(store, None if recover else before, after, changed_nodes)
    except Exception as exc:
        log.warning(
            "名称索引未能随写入更新%s；下一次搜索会从存储重建它 / "
            "the name index did not follow the write (%s); the next search rebuilds it from the store",
            *noted(exc),
        )


def _write(
    store: GraphStore,
    nodes: NodeTables,
    rels: RelTables,
    node_todo: dict[str, pa.Array],
    rel_todo: dict[RelGroup, TieWrites],
    node_drop: set[NodeKey],
    rel_drop: set[RelKey],
    run_id: str,
    progress: Progress | None,
    replaceable: bool = False,
    held: Collection[str] = (),
    after_largest: Callable[[], None] | None = None,
) -> None:
    """Writes the changed rows and deletes the dropped ones. ``nodes`` and ``rels`` are emptied as they are written
    (at a million nodes, gigabytes): a label's table is gone once its rows are in the store. With ``replaceable``
    (the store unchanged since the run read it), a relationship type of which much changes is written again whole
    (``_replace_whole``), unless it is ``held``. ``after_largest`` is called once the largest relationship table is
    written (or, without one, once the nodes are)."""
    for label in list(nodes):
        table = _to_write(nodes.pop(label), node_todo[label], run_id)
        if table.num_rows:  # every property of the class, so that a value gone from the source is cleared
            store.upsert_node_table(label, table)
            if progress:
                progress(f"wrote {label}", int(table.num_rows))
        del table
    replaced = _replace_whole(store, rels, rel_todo, rel_drop, held, run_id, progress) if replaceable else set()
    largest = max(rels, key=lambda group: int(rels[group].num_rows), default=None)
    if largest is None and after_largest is not None:
        after_largest()
    for group in list(rels):
        whole, writes = rels.pop(group), rel_todo[group]
        added = writes.added_table(whole)
        if added is not None:  # every column
            table = stamped(added, run_id)
            _check_ends_found(group, int(table.num_rows), store.upsert_relationship_table(*group, table))
            if progress:
                progress(f"wrote {group[0]}", int(table.num_rows))
        for part in writes.changed_tables(whole):  # the columns that differ, set on the stored ties
            table = stamped(part, run_id)
            _check_ties_found(group, int(table.num_rows), store.update_relationship_table(*group, table))
            if progress:
                progress(f"updated {group[0]}", int(table.num_rows))
        del whole
        if group == largest and after_largest is not None:
            after_largest()
    dropped_rels: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for rel_type, from_label, from_id, to_label, to_id in rel_drop:
        if rel_type in replaced:
            continue  # gone with the type's table
        dropped_rels[(rel_type, from_label, to_label)].append((from_id, to_id))
    for (rel_type, from_label, to_label), pairs in dropped_rels.items():
        store.delete_relationships(rel_type, from_label, to_label, sorted(pairs))
    dropped_nodes: dict[str, list[str]] = defaultdict(list)
    for label, node_id in node_drop:
        dropped_nodes[label].append(node_id)
    for label, ids in dropped_nodes.items():
        store.delete_nodes(label, sorted(ids))


def _replace_whole(
    store: GraphStore,
    rels: RelTables,
    rel_todo: dict[RelGroup, TieWrites],
    rel_drop: set[RelKey],
    held: Collection[str],
    run_id: str,
    progress: Progress | None,
) -> set[str]:
    """Writes again whole each relationship type of which the run writes enough for that to cost less than writing
    its ties one by one (``GraphStore.replacing_pays``), and returns those types; their groups leave ``rels``. A tie
    the run leaves as it was keeps its run stamp; one it adds or changes gets this run's."""
    groups: dict[str, list[RelGroup]] = defaultdict(list)
    for group in rels:
        groups[group[0]].append(group)
    dropped = Counter(key[0] for key in rel_drop)
    replaced: set[str] = set()
    for rel_type, members in groups.items():
        if rel_type in held:
            continue
        ties = sum(int(rels[group].num_rows) for group in members)
        to_write = sum(rel_todo[group].count for group in members) + dropped[rel_type]
        stored = dropped[rel_type] or any(not rel_todo[group].added.all() for group in members)
        if not stored or not store.replacing_pays(ties, to_write):  # a type the store lacks is copied in as it is
            continue
        tables = {group[1:]: _run_stamped(rels.pop(group), rel_todo[group].written(), run_id) for group in members}
        written = store.replace_relationship_type(rel_type, tables)
        for (from_label, to_label), table in tables.items():
            _check_ends_found((rel_type, from_label, to_label), int(table.num_rows), written[(from_label, to_label)])
            if progress:
                progress(f"wrote {rel_type} whole", int(table.num_rows))
        replaced.add(rel_type)
    return replaced


def _run_stamped(table: pa.Table, written: np.ndarray, run_id: str) -> pa.Table:
    """The table with this run's stamp on the rows it writes, and none on the others (they keep the stored one)."""
    stamps = pc.if_else(pa.array(written), pa.scalar(run_id, pa.string()), pa.scalar(None, pa.string()))
    where = table.schema.get_field_index("ingest_run")
    return table.set_column(where, "ingest_run", stamps) if where >= 0 else table.append_column("ingest_run", stamps)


class UnfoundEndsError(StoreError):
    """The store wrote fewer ties than the run gave it: some ends the graph holds were not found by id."""


def _check_ends_found(group: RelGroup, given: int, written: int) -> None:
    """Every tie the run writes has both ends in the graph (built, or stored and counted unchanged): a store that
    writes fewer did not find stored nodes by id — deleted meanwhile, or a damaged index. Failing keeps the run
    unfinished (the next one rechecks) instead of reporting ties added that are not there."""
    if written < given:
        rel_type, from_label, to_label = group
        raise UnfoundEndsError(
            f"存储只写入了 {given} 条 {rel_type}（{from_label}→{to_label}）关系中的 {written} 条："
            "有些端点节点按 id 找不到（被另一位用户同时删除，或内嵌存储的索引已损坏）；请再运行一次，"
            "若仍如此，请把全部来源导入一个新的内嵌存储文件 / "
            f"the store wrote {written} of {given} {rel_type} ties ({from_label}->{to_label}): some ends were not "
            "found by id (deleted by another user meanwhile, or the embedded store's index is damaged); run it "
            "again, and if it fails the same way, load every source into a new embedded store file"
        )


def _check_ties_found(group: RelGroup, given: int, updated: int) -> None:
    """Every tie the run changes is one the store held when the run read it: one deleted since (by another user) is
    not made again with only the columns that changed; the run fails unfinished, and the next one writes it whole."""
    if updated < given:
        rel_type, from_label, to_label = group
        raise UnfoundEndsError(
            f"存储只更新了 {given} 条 {rel_type}（{from_label}→{to_label}）关系中的 {updated} 条："
            "有些在本次导入读取之后被删除（另一位用户同时在写）；请再运行一次 / "
            f"the store updated {updated} of {given} {rel_type} ties ({from_label}->{to_label}): some were deleted "
            "after this run read them (another user writing at the same time); run it again"
        )


def _to_write(table: pa.Table, todo: pa.Array, run_id: str) -> pa.Table:
    """The rows the diff says to write, stamped with this run."""
    if not pc.all(todo).as_py():
        table = table.filter(todo)
    return stamped(table, run_id)


def _tie_rows(writes: dict[RelGroup, TieWrites]) -> int:
    return sum(w.count for w in writes.values())


def _true(masks: dict[Any, pa.Array]) -> int:
    return sum(int(pc.sum(mask).as_py() or 0) for mask in masks.values())


def _last_run_unfinished(store: GraphStore) -> bool:
    """Whether the latest earlier run was killed or failed. Its facts may have been written without the tallies and
    name index that follow them (the embedded store commits in parts), and a re-run of the same files finds no
    change to write: it must recount and re-index anyway."""
    rows = store.read(
        "MATCH (r:IngestRun) WHERE r.started_at IS NOT NULL "
        "RETURN r.status AS status ORDER BY r.started_at DESC LIMIT 1"
    ).rows
    return bool(rows) and rows[0]["status"] in ("running", "failed", "interrupted")


def _close_interrupted_runs(store: GraphStore) -> None:
    result = store.read("MATCH (r:IngestRun) WHERE r.status = 'running' RETURN r.id AS id")
    if result.rows:
        store.upsert_nodes("IngestRun", [{"id": row["id"], "status": "interrupted"} for row in result.rows])
        log.warning(
            "此前有 %d 次导入未完成，已标为中断 / %d earlier ingest run(s) had not finished; marked interrupted",
            *(len(result.rows), len(result.rows)),
        )


def _mark_failed(store: GraphStore, run_id: str, ended: datetime) -> None:
    try:
        store.upsert_nodes("IngestRun", [{"id": run_id, "status": "failed", "ended_at": ended.isoformat()}])
    except Exception:  # the store itself may be what failed; the next run marks it interrupted
        log.warning("无法将导入 %s 标为失败 / could not mark ingest run %s as failed", run_id, run_id)
