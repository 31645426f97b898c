"""What an ingest run changes: its rows against the store's (added, changed, unchanged, dropped), each source's
statements against the ones it left before, and the IngestRun record that keeps both with the run's report."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest import tie_diff
from ingest.build import RelKey
from ingest.claims import SourceStatements, StatementPrints
from ingest.report import Report
from ingest.row_tables import NodeTables, RelGroup, RelTables
from ingest.stored import HASH_SCHEMA, NodeKey, StoredGraph

DIFF_BATCH = 20_000  # relationship rows looked at a time, to name the ones a run adds or changes
CHANGE_LIST_CAP = 500  # ids listed per kind of change in the run record; counts are always complete


@dataclass
class Changes:
    """How many rows a run adds, changes, leaves and drops, with the first ``CHANGE_LIST_CAP`` of each kind named:
    naming every one of a first load's 3.5 M ties took half a gigabyte at scale 150."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    dropped: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "changed": 0, "dropped": 0})

    def note(self, kind: str, name: str) -> None:
        """Count one row of a kind (added, changed, dropped), naming it while fewer than the cap are named."""
        self.counts[kind] += 1
        named: list[str] = getattr(self, kind)
        if len(named) < CHANGE_LIST_CAP:
            named.append(name)

    def note_many(self, kind: str, count: int, names: Iterable[str]) -> None:
        """Count ``count`` rows of a kind at once, naming the first of ``names`` while fewer than the cap are named
        (a first load's 3.5 M added ties are counted, not each noted)."""
        self.counts[kind] += count
        named: list[str] = getattr(self, kind)
        named.extend(itertools.islice(names, max(0, min(count, CHANGE_LIST_CAP - len(named)))))

    def summary(self) -> dict[str, int]:
        return {
            "added": self.counts["added"],
            "changed": self.counts["changed"],
            "unchanged": self.unchanged,
            "dropped": self.counts["dropped"],
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


def statement_changes(old: StatementPrints | None, new: SourceStatements | None) -> dict[str, int]:
    """How one source's statements changed: records and links added, changed and removed (``old``: the stored
    ones, as ``read_stored`` counted them). A record is changed when the file states the same entity differently;
    one that only moved to another row is the same statement (``StatementPrints``)."""
    if old is None or old.empty or not (new and (new.records or new.links)):
        # one side is empty (a first load, a retraction): every statement is added or removed, no encoding needed
        return _all_added_or_removed(old, new)
    fresh = StatementPrints()
    fresh.add(new)
    added, removed = fresh.records - old.records, old.records - fresh.records
    # a record added and one removed of the same entity in the same file: one changed record
    gone = Counter(key[:3] for key in removed.elements())
    changed = sum(min(n, gone[entity]) for entity, n in Counter(key[:3] for key in added.elements()).items())
    return {
        "records_added": added.total() - changed,
        "records_changed": changed,
        "records_removed": removed.total() - changed,
        "links_added": (fresh.links - old.links).total(),
        "links_removed": (old.links - fresh.links).total(),
    }


def _all_added_or_removed(old: StatementPrints | None, new: SourceStatements | None) -> dict[str, int]:
    return {
        "records_added": len(new.records) if new else 0,
        "records_changed": 0,
        "records_removed": old.records.total() if old else 0,
        "links_added": len(new.links) if new else 0,
        "links_removed": old.links.total() if old else 0,
    }


def diff_nodes(
    stored: StoredGraph, nodes: NodeTables, read_files: set[str]
) -> tuple[Changes, dict[str, pa.Array], set[NodeKey]]:
    """What the run's node rows change: the changes, which rows of each label's table to write (a mask), and
    the stored nodes to drop. Each label's rows are matched to the stored ones by id, as columns."""
    changes = Changes()
    todo: dict[str, pa.Array] = {}
    kept: dict[str, np.ndarray] = {}  # by label, by stored row: whether the run has it
    for label, table in nodes.items():
        old = stored.node_hashes.get(label)
        if old is None:
            old = HASH_SCHEMA.empty_table()
        ids = table["id"].cast(pa.string())
        at_old = pc.index_in(ids, value_set=old["id"])  # null: not stored
        added = pc.is_null(at_old).to_numpy(zero_copy_only=False)
        same = pc.equal(old["record_hash"].take(at_old), table["record_hash"].cast(pa.string()))
        changed = ~added & ~pc.fill_null(same, False).to_numpy(zero_copy_only=False)
        changes.note_many("added", int(added.sum()), _node_names(label, ids, added))
        changes.note_many("changed", int(changed.sum()), _node_names(label, ids, changed))
        changes.unchanged += int((~added & ~changed).sum())
        todo[label] = pa.array(added | changed, pa.bool_())
        found = np.zeros(old.num_rows, dtype=bool)
        found[pc.drop_null(at_old).to_numpy()] = True
        kept[label] = found
    drop: set[NodeKey] = set()
    for label, old in stored.node_hashes.items():
        found = kept.get(label, np.zeros(old.num_rows, dtype=bool))
        for node_id in old["id"].filter(pa.array(~found)).to_pylist():
            key = (label, node_id)
            legacy_files = stored.legacy_nodes.get(key)
            if legacy_files is None or (legacy_files and all(f in read_files for f in legacy_files)):
                drop.add(key)
                changes.note("dropped", f"{label}:{node_id}")
    return changes, todo, drop


def _node_names(label: str, ids: pa.ChunkedArray, rows: np.ndarray) -> Iterator[str]:
    """The names of the nodes where ``rows`` is true, in order, made as they are asked for."""
    for start in range(0, len(ids), DIFF_BATCH):
        positions = np.flatnonzero(rows[start : start + DIFF_BATCH]) + start
        if len(positions):
            yield from (f"{label}:{node_id}" for node_id in ids.take(pa.array(positions)).to_pylist())


def _rel_text(key: RelKey) -> str:
    return "|".join(key)


@dataclass
class TieDiff:
    """What a run writes of the ties: per group, which it adds and changes; which it drops; and the relationship
    types that keep a stored tie the run does not have (``tie_diff.held_back``), never written again whole."""

    changes: Changes
    todo: dict[RelGroup, tie_diff.TieWrites]
    drop: set[RelKey]
    held: set[str]


def diff_relationships(stored: StoredGraph, rels: RelTables, read_files: set[str]) -> TieDiff:
    """As ``diff_nodes``, for the relationship rows: each group's table beside the stored one, column by column
    (ingest/tie_diff.py), and what to write of it. ``stored.ties`` is emptied."""
    changes = Changes()
    todo: dict[RelGroup, tie_diff.TieWrites] = {}
    drop: list[RelKey] = []
    held: set[str] = set()
    for group, table in rels.items():
        old = stored.ties.pop(group, None)
        comparison = tie_diff.compare(table, old)
        added, changed = ~comparison.stored, comparison.changed
        changes.note_many("added", int(added.sum()), _named(group, table, added))
        changes.note_many("changed", int(changed.sum()), _named(group, table, changed))
        changes.unchanged += int((comparison.stored & ~changed).sum())
        todo[group] = comparison.writes()
        if old is not None:
            drop.extend(tie_diff.dropped(group, old, comparison.kept, read_files))
            if tie_diff.held_back(old, comparison.kept, read_files):
                held.add(group[0])
    for group in list(stored.ties):
        old = stored.ties.pop(group)
        none_kept = np.zeros(old.num_rows, dtype=bool)
        drop.extend(tie_diff.dropped(group, old, none_kept, read_files))
        if tie_diff.held_back(old, none_kept, read_files):
            held.add(group[0])
    changes.note_many("dropped", len(drop), map(_rel_text, drop))
    return TieDiff(changes, todo, set(drop), held)


def _named(group: RelGroup, table: pa.Table, rows: np.ndarray) -> Iterator[str]:
    """The names (``_rel_text``) of the table's rows where ``rows`` is true, in order, made as they are asked for."""
    rel_type, from_label, to_label = group
    for start in range(0, table.num_rows, DIFF_BATCH):
        positions = np.flatnonzero(rows[start : start + DIFF_BATCH]) + start
        if len(positions):
            taken = table.select(["from_id", "to_id"]).take(pa.array(positions))
            ends = zip(taken["from_id"].to_pylist(), taken["to_id"].to_pylist(), strict=True)
            for from_id, to_id in ends:
                yield _rel_text((rel_type, from_label, from_id, to_label, to_id))


def written_nodes(nodes: NodeTables, todo: dict[str, pa.Array]) -> set[NodeKey]:
    """The (label, id) of every node row the diff says to write."""
    return {
        (label, node_id) for label, table in nodes.items() for node_id in table["id"].filter(todo[label]).to_pylist()
    }


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
            **{k: getattr(getattr(result, kind), k) for k in ("added", "changed", "dropped")},
        }
        for kind in ("nodes", "relationships")
    }
    changes["sources"] = result.by_source
    changes["kept"] = result.kept
    issues = [  # the first of each level: the run's rejections.csv holds every one
        {"level": i.level.value, "file": i.file, "row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
        for i in report.first_of_each_level()
    ]
    return {
        "id": result.run_id,
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "status": status or ("completed" if result.ok else "completed_with_errors"),
        "files_json": json.dumps(files, ensure_ascii=False),
        "counts_json": json.dumps(
            {
                "nodes": result.node_counts,
                "relationships": result.relationship_counts,
                "issues": {level.value: count for level, count in report.counts.items()},
            },
            ensure_ascii=False,
        ),
        "changes_json": json.dumps(changes, ensure_ascii=False),
        "report_json": json.dumps(issues, ensure_ascii=False),
    }
