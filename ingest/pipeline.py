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
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph import aggregates, name_index, name_index_ahead
from graph.errors import ClusterKGError, StoreError, noted
from graph.mapped_tables import let_go_of_read_pages
from graph.schema import Schema
from graph.store import GraphStore
from ingest.attribution import attribution
from ingest.build import Built, Inference, RelKey, build, count_by_type, node_rows, relationship_rows
from ingest.claims import SourceStatements
from ingest.collector import give_back, no_cyclic_collections, rare_collections
from ingest.inference import place_from_coordinates, place_from_host
from ingest.report import Report
from ingest.row_tables import NodeTables, RelGroup, RelTables, stamped
from ingest.run_changes import (
    IngestResult,
    diff_nodes,
    diff_relationships,
    run_record,
    statement_changes,
    written_nodes,
)
from ingest.sources import Source
from ingest.spill import spill_folder
from ingest.stored import NodeKey, read_stored
from ingest.tie_diff import TieWrites

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (step description, items done in that step)


def default_inferences(schema: Schema, data_dir: Path, report: Report | None = None) -> list[Inference]:
    """The rules every ingest applies, in order (a later rule sees the earlier rules' ties). The rows of their tables
    that cannot be parsed go into ``report``; a table that cannot be used raises RuleTableError
    (ingest/reference_rows.py)."""
    return [
        place_from_coordinates(schema, data_dir, report),
        place_from_host(schema),
        attribution(schema, data_dir, report),
    ]


class UnknownSourceError(ClusterKGError):
    """A source to retract holds no statements in the store."""


@dataclass
class Gathered:
    """This run's fresh statements, by source, and the sources that could not be read whole."""

    statements: dict[str, SourceStatements]
    incomplete: set[str]
    files: dict[str, str]  # source → its file, as the report names it


def gather(sources: Iterable[Source], data_dir: Path, report: Report, progress: Progress | None = None) -> Gathered:
    statements: dict[str, SourceStatements] = {}
    incomplete: set[str] = set()
    files: dict[str, str] = {}
    for source in sources:
        files[source.name] = source.file
        records, links = source.collect(data_dir, report)
        part = statements.setdefault(source.name, SourceStatements())
        part.records.extend(records)
        part.links.extend(links)
        if not _read_whole(report, source):
            incomplete.add(source.name)
        if progress:
            progress(f"read {source.name}", len(records))
    return Gathered(statements, incomplete, files)


def _read_whole(report: Report, source: Source) -> bool:
    """A source counts as read only when its file was read whole, had its columns and kept its bounds."""
    accounts = [a for a in report.files.values() if a.source == source.name]
    files = {a.file for a in accounts} | {source.file}
    broken = any(not a.bounds_ok for a in accounts)
    fatal = any(i.file in files for i in report.file_errors)
    return not broken and not fatal


def collect(
    sources: Iterable[Source],
    schema: Schema,
    data_dir: Path,
    report: Report,
    progress: Progress | None = None,
    inferences: Iterable[Inference] | None = None,
) -> Built:
    """Read sources and resolve their statements alone (an initial load, benchmarks); nothing is written."""
    with no_cyclic_collections():
        gathered = gather(sources, data_dir, report, progress)
        rules = default_inferences(schema, data_dir, report) if inferences is None else inferences
        return build(gathered.statements, schema, data_dir, report, inferences=rules)


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
) -> IngestResult:
    started = now()
    run_id = f"run/{started:%Y%m%dT%H%M%S%f}"
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
                spill, on_exit, recover,
            )  # fmt: skip
    except BaseException:
        if not dry_run:
            _mark_failed(store, run_id, now())
        raise
    return result


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
) -> IngestResult:
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    with no_cyclic_collections():  # the files alone (ingest/collector.py: not while a store's driver reads)
        gathered = gather(sources, data_dir, report, progress)
    replaced = (set(gathered.statements) - gathered.incomplete) | retract
    # the replaced sources' statements as digests, to count changes; the store's version, for the write to check
    # that no other write came between
    stored = read_stored(store, counted=replaced, version=store.written_version())
    read_version = stored.version
    unknown = retract - stored.sources
    if unknown:
        known_zh, known = "、".join(sorted(stored.sources)) or "无", ", ".join(sorted(stored.sources)) or "none"
        names = ", ".join(sorted(unknown))
        raise UnknownSourceError(
            f"存储中没有来源 {names} 的陈述；存储中有的来源：{known_zh} / "
            f"the store holds no statements of source(s) {names}; sources it holds: {known}"
        )
    for name in sorted(gathered.incomplete):
        report.error(
            gathered.files[name],
            f"来源 {name} 未完整读取（见上面的错误），其陈述一概未改、未撤 / "
            f"source {name} was not read whole (see the errors above): nothing it stated was changed or retracted",
        )
    statements = dict(stored.statements)  # the sources this run does not replace
    statements.update({name: gathered.statements[name] for name in replaced if name in gathered.statements})
    by_source = {
        name: statement_changes(stored.prints.get(name), gathered.statements.get(name)) for name in sorted(replaced)
    }
    # At a million nodes the statements, the resolved entities and the rows are gigabytes each: each is let go as
    # soon as the next step holds what it needs (``statements`` keeps the stored ones this run does not replace).
    stored.statements.clear()
    stored.prints.clear()
    with no_cyclic_collections():  # give_back collects the few cycles of name_index_ahead's reads
        built = build(
            statements, store.schema, data_dir, report, reported_sources=gathered.statements, inferences=inferences
        )
        del statements
        gathered.statements.clear()
        nodes = node_rows(built, store.schema, spill)
        # a first load's name index, built from the node tables while the rest of the run goes on
        ahead = None if dry_run else name_index_ahead.start(store, nodes)
        if ahead is not None:
            on_exit.callback(ahead.discard)  # deleted if the run ends before it is in place
        links = built.links
        del built  # the entities and their records
        rels = relationship_rows(links, store.schema, spill)
        del links
        give_back()  # the write starts from the rows alone
    seconds["collect"], clock = time.perf_counter() - clock, time.perf_counter()
    read_files = {a.file for a in report.files.values() if a.source not in gathered.incomplete}
    node_changes, node_todo, node_drop = diff_nodes(stored, nodes, read_files)
    ties = diff_relationships(stored, rels, read_files)
    rel_changes, rel_todo, rel_drop = ties.changes, ties.todo, ties.drop
    seconds["diff"], clock = time.perf_counter() - clock, time.perf_counter()
    result = IngestResult(
        run_id=run_id,
        report=report,
        node_counts={label: int(table.num_rows) for label, table in sorted(nodes.items())},
        relationship_counts=count_by_type(rels),
        nodes=node_changes,
        relationships=rel_changes,
        dry_run=dry_run,
        seconds=seconds,
        kept=sorted(gathered.incomplete),
        by_source=by_source,
    )
    if not dry_run:
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
            whole_ok = read_version is not None and store.written_version() == read_version
            _write(
                store, nodes, rels, node_todo, rel_todo, node_drop, rel_drop, run_id, progress, whole_ok, ties.held
            )  # fmt: skip
            recount = result.changed_anything or before is None or recover
            after = aggregates.refresh(store) if recount else before
            result.seconds["write"] = time.perf_counter() - clock
            store.upsert_nodes("IngestRun", [run_record(result, started, now())])
        _follow_in_name_index(store, ahead, before, after, changed_nodes, recover)
        log.info("written in %.1f s", result.seconds["write"])
    return result


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
) -> None:
    """Writes the changed rows and deletes the dropped ones. ``nodes`` and ``rels`` are emptied as they are written
    (at a million nodes, gigabytes): a label's table is gone once its rows are in the store. With ``replaceable``
    (the store unchanged since the run read it), a relationship type of which much changes is written again whole
    (``_replace_whole``), unless it is ``held``."""
    for label in list(nodes):
        table = _to_write(nodes.pop(label), node_todo[label], run_id)
        if table.num_rows:  # every property of the class, so that a value gone from the source is cleared
            store.upsert_node_table(label, table)
            if progress:
                progress(f"wrote {label}", int(table.num_rows))
        del table
    replaced = _replace_whole(store, rels, rel_todo, rel_drop, held, run_id, progress) if replaceable else set()
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
