"""The ingest pipeline: sources → records → entity resolution → links → diff with the store → writes.

A run is recorded as an IngestRun node (a PROV activity): when it started and ended, its files with
checksums, its counts, what it added, changed and dropped, and its report. Nodes and relationships
that did not change are not written, so a re-run of unchanged files changes nothing; writes are
idempotent upserts, so an interrupted run is finished by running it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.schema import Schema
from graph.store import GraphStore
from ingest.links import resolve_links
from ingest.records import Link, NodeRecord, PendingLink, Provenance
from ingest.report import Report
from ingest.resolve import Curation, EntityIndex
from ingest.sources import Source

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (step description, items done in that step)
CHANGE_LIST_CAP = 500  # ids listed per kind of change in the run record; counts are always complete
UNHASHED = ("ingest_run", "record_hash")


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

    @property
    def ok(self) -> bool:
        return not self.report.bounds_broken

    @property
    def changed_anything(self) -> bool:
        return any(self.nodes.summary()[k] or self.relationships.summary()[k] for k in ("added", "changed", "dropped"))


def record_hash(props: dict[str, Any]) -> str:
    clean = {k: v for k, v in props.items() if k not in UNHASHED and v is not None}
    text = json.dumps(clean, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def stage_records(schema: Schema) -> list[NodeRecord]:
    """The five chain stages as nodes, straight from the ontology's SKOS concepts."""
    return [
        NodeRecord(
            label="ChainStage",
            id=f"stage/{stage.key}",
            props={"name_zh": stage.labels.zh, "name_en": stage.labels.en, "stage_order": stage.order},
            provenance=Provenance(source="ontology", file="ontology.ttl", row=stage.order, confidence="high"),
            names=(stage.labels.zh, stage.labels.en),
            priority=0,
        )
        for stage in schema.stages
    ]


def collect(
    sources: Iterable[Source], schema: Schema, data_dir: Path, report: Report, progress: Progress | None = None
) -> tuple[EntityIndex, list[Link]]:
    """Read every source, resolve entities and links; nothing is written."""
    index = EntityIndex(Curation.load(data_dir / "resolution.yaml"))
    pending: list[PendingLink] = []
    for record in stage_records(schema):
        index.add(record)
    for source in sources:
        records, links = source.collect(data_dir, report)
        for record in records:
            index.add(record)
        pending.extend(links)
        if progress:
            progress(f"read {source.name}", len(records))
    return index, resolve_links(pending, index, report)


def node_rows(index: EntityIndex, schema: Schema) -> dict[str, dict[str, dict[str, Any]]]:
    """label → id → the node's properties, merged over its records, with provenance."""
    rows: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for entity in index.entities:
        primary = entity.primary.provenance
        props = entity.merged_props()
        props.update(
            {
                "id": entity.id,
                "source_file": primary.file,
                "source_row": primary.row,
                "source_url": primary.url,
                "confidence": primary.confidence,
                "source_refs": sorted({r.provenance.ref for r in entity.records}),
            }
        )
        node_class = schema.node_class(entity.label)
        props["chain_stage"] = node_class.primary_stage
        allowed = set(node_class.property_names)
        clean = {k: v for k, v in props.items() if k in allowed and v is not None}
        clean["record_hash"] = record_hash(clean)
        rows[entity.label][entity.id] = clean
    return rows


RelKey = tuple[str, str, str, str, str]  # type, from label, from id, to label, to id


def relationship_rows(links: Iterable[Link]) -> dict[RelKey, dict[str, Any]]:
    rows: dict[RelKey, dict[str, Any]] = {}
    for link in links:
        key = (link.rel_type, link.from_label, link.from_id, link.to_label, link.to_id)
        if key not in rows:  # the first source to state a relationship is its provenance
            rows[key] = link.props
    return rows


def run_ingest(
    store: GraphStore,
    sources: list[Source],
    *,
    data_dir: Path,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IngestResult:
    schema = store.schema
    started = now()
    run_id = f"run/{started:%Y%m%dT%H%M%S%f}"
    report = Report()
    if not dry_run:
        store.setup_schema()
        _close_interrupted_runs(store)
        store.upsert_nodes("IngestRun", [{"id": run_id, "started_at": started.isoformat(), "status": "running"}])
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    index, links = collect(sources, schema, data_dir, report, progress)
    nodes = node_rows(index, schema)
    rels = relationship_rows(links)
    del index, links  # the rows hold all that is written; at a million nodes the records are gigabytes
    seconds["collect"], clock = time.perf_counter() - clock, time.perf_counter()
    files = {acc.file for acc in report.files.values()} | {"ontology.ttl"}
    node_changes = _diff_nodes(store, nodes, files)
    rel_changes, rel_existing = _diff_relationships(store, rels, files)
    seconds["diff"], clock = time.perf_counter() - clock, time.perf_counter()
    if not dry_run:
        _write(store, nodes, rels, node_changes, rel_changes, rel_existing, run_id, progress)
        seconds["write"] = time.perf_counter() - clock
    result = IngestResult(
        run_id=run_id,
        report=report,
        node_counts={label: len(ids) for label, ids in sorted(nodes.items())},
        relationship_counts=_count_by_type(rels),
        nodes=node_changes,
        relationships=rel_changes,
        dry_run=dry_run,
        seconds=seconds,
    )
    if not dry_run:
        _finish_run(store, result, started, now())
    return result


def _diff_nodes(store: GraphStore, nodes: dict[str, dict[str, dict[str, Any]]], files: set[str]) -> Changes:
    changes = Changes()
    for cls in store.schema.node_classes:
        if cls.name == "IngestRun":
            continue
        wanted = nodes.get(cls.name, {})
        seen: set[str] = set()
        for existing in store.iter_nodes(cls.name):
            node_id = existing["id"]
            seen.add(node_id)
            if node_id in wanted:
                if existing.get("record_hash") == wanted[node_id]["record_hash"]:
                    changes.unchanged += 1
                else:
                    changes.changed.append(f"{cls.name}:{node_id}")
            elif _only_from(existing.get("source_refs") or [existing.get("source_file", "")], files):
                changes.dropped.append(f"{cls.name}:{node_id}")
        changes.added.extend(f"{cls.name}:{i}" for i in wanted if i not in seen)
    return changes


def _only_from(refs: list[str], files: set[str]) -> bool:
    """True when every source of a stored record is among this run's files (so its absence means it is gone)."""
    return bool(refs) and all(ref.split("#")[0] in files for ref in refs)


def _diff_relationships(
    store: GraphStore, rels: dict[RelKey, dict[str, Any]], files: set[str]
) -> tuple[Changes, dict[RelKey, dict[str, Any]]]:
    changes = Changes()
    existing: dict[RelKey, dict[str, Any]] = {}
    for rel in store.schema.relationships.values():
        for edge in store.iter_relationships(rel.name):
            key = (rel.name, edge["from_label"], edge["from_id"], edge["to_label"], edge["to_id"])
            props = {k: v for k, v in edge.items() if k not in ("from_label", "from_id", "to_label", "to_id")}
            existing[key] = props
            if key in rels:
                if record_hash(props) == record_hash(rels[key]):
                    changes.unchanged += 1
                else:
                    changes.changed.append("|".join(key))
            elif _only_from([str(props.get("source_file", ""))], files):
                changes.dropped.append("|".join(key))
    changes.added.extend("|".join(k) for k in rels if k not in existing)
    return changes, existing


def _write(
    store: GraphStore,
    nodes: dict[str, dict[str, dict[str, Any]]],
    rels: dict[RelKey, dict[str, Any]],
    node_changes: Changes,
    rel_changes: Changes,
    rel_existing: dict[RelKey, dict[str, Any]],
    run_id: str,
    progress: Progress | None,
) -> None:
    todo = {c.split(":", 1)[1] for c in node_changes.added + node_changes.changed}
    for label, by_id in nodes.items():
        # every property of the class, so that a value gone from the source is cleared in the store
        blank = dict.fromkeys(store.schema.node_class(label).property_names)
        batch = [{**blank, **row, "ingest_run": run_id} for node_id, row in by_id.items() if node_id in todo]
        if batch:
            store.upsert_nodes(label, batch)
            if progress:
                progress(f"wrote {label}", len(batch))
    # Rows are built one group at a time, so that only one group's rows are in memory besides `rels`.
    grouped: dict[tuple[str, str, str], list[RelKey]] = defaultdict(list)
    rel_todo = set(rel_changes.added + rel_changes.changed)
    for key in rels:
        if "|".join(key) in rel_todo:
            grouped[(key[0], key[1], key[3])].append(key)
    del rel_todo
    blank_rel = dict.fromkeys(store.schema.relationship_property_names)
    for (rel_type, from_label, to_label), keys in grouped.items():
        rows = [{"from_id": k[2], "to_id": k[4], **blank_rel, **rels[k], "ingest_run": run_id} for k in keys]
        store.upsert_relationships(rel_type, from_label, to_label, rows)
        if progress:
            progress(f"wrote {rel_type}", len(rows))
        del rows
    dropped_rels: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for text in rel_changes.dropped:
        rel_type, from_label, from_id, to_label, to_id = text.split("|")
        dropped_rels[(rel_type, from_label, to_label)].append((from_id, to_id))
    for (rel_type, from_label, to_label), pairs in dropped_rels.items():
        store.delete_relationships(rel_type, from_label, to_label, pairs)
    dropped_nodes: dict[str, list[str]] = defaultdict(list)
    for text in node_changes.dropped:
        label, node_id = text.split(":", 1)
        dropped_nodes[label].append(node_id)
    for label, ids in dropped_nodes.items():
        store.delete_nodes(label, ids)


def _count_by_type(rels: dict[RelKey, dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for key in rels:
        counts[key[0]] += 1
    return dict(sorted(counts.items()))


def _close_interrupted_runs(store: GraphStore) -> None:
    result = store.read("MATCH (r:IngestRun) WHERE r.status = 'running' RETURN r.id AS id")
    if result.rows:
        store.upsert_nodes("IngestRun", [{"id": row["id"], "status": "interrupted"} for row in result.rows])
        log.warning("%d earlier ingest run(s) had not finished; marked interrupted", len(result.rows))


def _finish_run(store: GraphStore, result: IngestResult, started: datetime, ended: datetime) -> None:
    store.upsert_nodes("IngestRun", [run_record(result, started, ended)])


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
    changes = {
        kind: {
            "summary": getattr(result, kind).summary(),
            **{k: getattr(result, kind).__dict__[k][:CHANGE_LIST_CAP] for k in ("added", "changed", "dropped")},
        }
        for kind in ("nodes", "relationships")
    }
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
