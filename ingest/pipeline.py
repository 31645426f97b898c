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

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph import aggregates, name_index
from graph.errors import ClusterKGError
from graph.schema import Schema
from graph.store import GraphStore
from ingest.attribution import attribution
from ingest.build import (
    Built,
    Inference,
    NodeRows,
    RelKey,
    RelRows,
    build,
    count_by_type,
    node_rows,
    record_hash,
    relationship_rows,
)
from ingest.claims import SourceStatements, link_to_json, record_to_json
from ingest.collector import rare_collections
from ingest.inference import place_from_coordinates, place_from_host
from ingest.report import Level, Report
from ingest.sources import Source
from ingest.stored import NodeKey, StoredGraph, read_stored

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (step description, items done in that step)
CHANGE_LIST_CAP = 500  # ids listed per kind of change in the run record; counts are always complete


def default_inferences(schema: Schema, data_dir: Path) -> list[Inference]:
    """The rules every ingest applies, in order (a later rule sees the earlier rules' ties)."""
    return [place_from_coordinates(schema, data_dir), place_from_host(schema), attribution(schema, data_dir)]


class UnknownSourceError(ClusterKGError):
    """A source to retract holds no statements in the store."""


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    dropped: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "dropped": len(self.dropped),
        }


@dataclass
class IngestResult:
    run_id: str
    report: Report
    node_counts: dict[str, int]
    relationship_counts: dict[str, int]
    nodes: Changes
    relationships: Changes
    dry_run: bool
    seconds: dict[str, float] = field(default_factory=dict)  # time per phase: collect, diff, write
    kept: list[str] = field(default_factory=list)  # sources read incompletely: earlier statements kept
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)  # statements added/changed/removed

    @property
    def ok(self) -> bool:
        return not self.report.bounds_broken and not self.kept

    @property
    def changed_anything(self) -> bool:
        return any(self.nodes.summary()[k] or self.relationships.summary()[k] for k in ("added", "changed", "dropped"))


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
    fatal = any(i.level is Level.ERROR and i.row is None and i.file in files for i in report.issues)
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
    with rare_collections():
        gathered = gather(sources, data_dir, report, progress)
        rules = default_inferences(schema, data_dir) if inferences is None else inferences
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
    rules = default_inferences(store.schema, data_dir) if inferences is None else inferences
    try:
        with rare_collections():
            result = _run(
                store, sources, data_dir, dry_run, set(retract), run_id, report, progress, rules, started, now, recover
            )
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
    recover: bool = False,
) -> IngestResult:
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    gathered = gather(sources, data_dir, report, progress)
    stored = read_stored(store)
    unknown = retract - stored.sources
    if unknown:
        known = ", ".join(sorted(stored.sources)) or "none"
        names = ", ".join(sorted(unknown))
        raise UnknownSourceError(f"the store holds no statements of source(s) {names}; sources it holds: {known}")
    for name in sorted(gathered.incomplete):
        report.error(
            gathered.files[name],
            f"source {name} was not read whole (see the errors above): nothing it stated was changed or retracted",
        )
    replaced = (set(gathered.statements) - gathered.incomplete) | retract
    statements = {name: part for name, part in stored.statements.items() if name not in replaced}
    statements.update({name: gathered.statements[name] for name in replaced if name in gathered.statements})
    by_source = {
        name: statement_changes(stored.statements.get(name), gathered.statements.get(name)) for name in sorted(replaced)
    }
    built = build(
        statements, store.schema, data_dir, report, reported_sources=gathered.statements, inferences=inferences
    )
    nodes = node_rows(built, store.schema)
    rels = relationship_rows(built.links)
    # the rows hold all that is written; at a million nodes the records and statements are gigabytes
    del built, statements
    gathered.statements.clear()
    stored.statements.clear()
    seconds["collect"], clock = time.perf_counter() - clock, time.perf_counter()
    read_files = {a.file for a in report.files.values() if a.source not in gathered.incomplete}
    node_changes, node_todo, node_drop = _diff_nodes(stored, nodes, read_files)
    rel_changes, rel_todo, rel_drop = _diff_relationships(stored, rels, read_files)
    seconds["diff"], clock = time.perf_counter() - clock, time.perf_counter()
    result = IngestResult(
        run_id=run_id,
        report=report,
        node_counts={label: len(ids) for label, ids in sorted(nodes.items())},
        relationship_counts=count_by_type(rels),
        nodes=node_changes,
        relationships=rel_changes,
        dry_run=dry_run,
        seconds=seconds,
        kept=sorted(gathered.incomplete),
        by_source=by_source,
    )
    if not dry_run:
        # the changes and the run's record commit together: a reader sees the graph before or after
        with store.transaction(rows=len(node_todo) + len(rel_todo) + len(node_drop) + len(rel_drop)):
            _write(store, nodes, rels, node_todo, rel_todo, node_drop, rel_drop, run_id, progress)
            epochs = [aggregates.epoch(store)]  # the counts the queries read, recounted in the same write
            recount = result.changed_anything or epochs[0] is None or recover
            epochs.append(aggregates.refresh(store) if recount else epochs[0])
            result.seconds["write"] = time.perf_counter() - clock
            store.upsert_nodes("IngestRun", [run_record(result, started, now())])
        # after the commit; after an unfinished run the index is rebuilt whole (it may miss that run's writes)
        name_index.follow_write(store, None if recover else epochs[0], epochs[1], node_todo | node_drop)
    return result


def statement_changes(old: SourceStatements | None, new: SourceStatements | None) -> dict[str, int]:
    """How one source's statements changed: records and links added, changed and removed."""

    def keyed(part: SourceStatements | None) -> tuple[dict[Any, str], dict[str, int]]:
        records: dict[Any, str] = {}
        links: dict[str, int] = defaultdict(int)
        for r in part.records if part else []:
            key = (r.label, r.id, r.provenance.file, r.provenance.row)
            records[key] = json.dumps(record_to_json(r), sort_keys=True)
        for k in part.links if part else []:
            links[json.dumps(link_to_json(k), sort_keys=True)] += 1
        return records, links

    if not (old and (old.records or old.links)) or not (new and (new.records or new.links)):
        # one side is empty (a first load, a retraction): every statement is added or removed, no encoding needed
        return _all_added_or_removed(old, new)
    old_records, old_links = keyed(old)
    new_records, new_links = keyed(new)
    return {
        "records_added": sum(1 for k in new_records if k not in old_records),
        "records_changed": sum(1 for k, v in new_records.items() if k in old_records and old_records[k] != v),
        "records_removed": sum(1 for k in old_records if k not in new_records),
        "links_added": sum(max(0, n - old_links.get(k, 0)) for k, n in new_links.items()),
        "links_removed": sum(max(0, n - new_links.get(k, 0)) for k, n in old_links.items()),
    }


def _all_added_or_removed(old: SourceStatements | None, new: SourceStatements | None) -> dict[str, int]:
    def record_keys(part: SourceStatements | None) -> int:
        return len({(r.label, r.id, r.provenance.file, r.provenance.row) for r in part.records}) if part else 0

    return {
        "records_added": record_keys(new),
        "records_changed": 0,
        "records_removed": record_keys(old),
        "links_added": len(new.links) if new else 0,
        "links_removed": len(old.links) if old else 0,
    }


def _diff_nodes(
    stored: StoredGraph, nodes: NodeRows, read_files: set[str]
) -> tuple[Changes, set[NodeKey], set[NodeKey]]:
    changes = Changes()
    todo: set[NodeKey] = set()
    for label, by_id in nodes.items():
        for node_id, row in by_id.items():
            key = (label, node_id)
            old = stored.node_hashes.get(key)
            if old is None:
                changes.added.append(f"{label}:{node_id}")
                todo.add(key)
            elif old != row["record_hash"]:
                changes.changed.append(f"{label}:{node_id}")
                todo.add(key)
            else:
                changes.unchanged += 1
    drop: set[NodeKey] = set()
    for key in stored.node_hashes:
        if key[1] in nodes.get(key[0], {}):
            continue
        legacy_files = stored.legacy_nodes.get(key)
        if legacy_files is None or (legacy_files and all(f in read_files for f in legacy_files)):
            drop.add(key)
            changes.dropped.append(f"{key[0]}:{key[1]}")
    return changes, todo, drop


def _rel_text(key: RelKey) -> str:
    return "|".join(key)


def _diff_relationships(
    stored: StoredGraph, rels: RelRows, read_files: set[str]
) -> tuple[Changes, set[RelKey], set[RelKey]]:
    changes = Changes()
    todo: set[RelKey] = set()
    for key, props in rels.items():
        old = stored.rel_hashes.get(key)
        if old is None:
            changes.added.append(_rel_text(key))
            todo.add(key)
        elif old != record_hash(props):
            changes.changed.append(_rel_text(key))
            todo.add(key)
        else:
            changes.unchanged += 1
    drop: set[RelKey] = set()
    for key in stored.rel_hashes:
        if key in rels:
            continue
        legacy_file = stored.legacy_rels.get(key)
        if legacy_file is None or legacy_file in read_files:
            drop.add(key)
            changes.dropped.append(_rel_text(key))
    return changes, todo, drop


def _write(
    store: GraphStore,
    nodes: NodeRows,
    rels: RelRows,
    node_todo: set[NodeKey],
    rel_todo: set[RelKey],
    node_drop: set[NodeKey],
    rel_drop: set[RelKey],
    run_id: str,
    progress: Progress | None,
) -> None:
    for label, by_id in nodes.items():
        # every property of the class, so that a value gone from the source is cleared in the store
        blank = dict.fromkeys(store.schema.node_class(label).property_names)
        batch = [
            {**blank, **row, "ingest_run": run_id} for node_id, row in by_id.items() if (label, node_id) in node_todo
        ]
        if batch:
            store.upsert_nodes(label, batch)
            if progress:
                progress(f"wrote {label}", len(batch))
    # Rows are built one group at a time, so that only one group's rows are in memory besides `rels`.
    grouped: dict[tuple[str, str, str], list[RelKey]] = defaultdict(list)
    for key in rels:
        if key in rel_todo:
            grouped[(key[0], key[1], key[3])].append(key)
    blank_rel = dict.fromkeys(store.schema.relationship_property_names)
    for (rel_type, from_label, to_label), keys in grouped.items():
        rows = [{"from_id": k[2], "to_id": k[4], **blank_rel, **rels[k], "ingest_run": run_id} for k in keys]
        store.upsert_relationships(rel_type, from_label, to_label, rows)
        if progress:
            progress(f"wrote {rel_type}", len(rows))
        del rows
    dropped_rels: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for rel_type, from_label, from_id, to_label, to_id in rel_drop:
        dropped_rels[(rel_type, from_label, to_label)].append((from_id, to_id))
    for (rel_type, from_label, to_label), pairs in dropped_rels.items():
        store.delete_relationships(rel_type, from_label, to_label, sorted(pairs))
    dropped_nodes: dict[str, list[str]] = defaultdict(list)
    for label, node_id in node_drop:
        dropped_nodes[label].append(node_id)
    for label, ids in dropped_nodes.items():
        store.delete_nodes(label, sorted(ids))


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
        log.warning("%d earlier ingest run(s) had not finished; marked interrupted", len(result.rows))


def _mark_failed(store: GraphStore, run_id: str, ended: datetime) -> None:
    try:
        store.upsert_nodes("IngestRun", [{"id": run_id, "status": "failed", "ended_at": ended.isoformat()}])
    except Exception:  # the store itself may be what failed; the next run marks it interrupted
        log.warning("could not mark ingest run %s as failed", run_id)


def run_record(result: IngestResult, started: datetime, ended: datetime, status: str | None = None) -> dict[str, Any]:
    """The IngestRun node's properties: files with checksums, counts, changes and the report."""
    report = result.report
    files = [
        {
            "file": a.file,
            "source": a.source,
            "sha256": a.sha256,
            "read": a.read,
            "loaded": a.loaded,
            "rejected": a.rejected,
            "skipped": a.skipped,
            "bounds_ok": a.bounds_ok,
        }
        for a in report.files.values()
    ]
    changes: dict[str, Any] = {
        kind: {
            "summary": getattr(result, kind).summary(),
            **{k: getattr(result, kind).__dict__[k][:CHANGE_LIST_CAP] for k in ("added", "changed", "dropped")},
        }
        for kind in ("nodes", "relationships")
    }
    changes["sources"] = result.by_source
    changes["kept"] = result.kept
    issues = [
        {"level": i.level.value, "file": i.file, "row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
        for i in report.issues
    ]
    return {
        "id": result.run_id,
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "status": status or ("completed" if result.ok else "completed_with_errors"),
        "files_json": json.dumps(files, ensure_ascii=False),
        "counts_json": json.dumps(
            {"nodes": result.node_counts, "relationships": result.relationship_counts}, ensure_ascii=False
        ),
        "changes_json": json.dumps(changes, ensure_ascii=False),
        "report_json": json.dumps(issues, ensure_ascii=False),
    }
