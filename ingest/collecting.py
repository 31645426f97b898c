"""A run's reading, resolving, rows and diff — everything before its write — in the run's process or in a child of
its own (ingest/collect_apart.py); ``collect`` alone for an initial load's files and the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph import name_index_ahead
from graph.errors import ClusterKGError
from graph.schema import Schema
from ingest.attribution import attribution
from ingest.build import Built, Inference, build, count_by_type, node_rows, relationship_rows
from ingest.claims import SourceStatements
from ingest.collector import give_back, no_cyclic_collections
from ingest.inference import place_from_coordinates, place_from_district, place_from_host
from ingest.report import Report
from ingest.row_tables import NodeTables, RelTables
from ingest.run_changes import IngestResult, TieDiff, diff_nodes, diff_relationships, statement_changes
from ingest.sources import Source
from ingest.stored import NodeKey, StoredGraph

Progress = Callable[[str, int], None]  # (step description, items done in that step)


def default_inferences(schema: Schema, data_dir: Path, report: Report | None = None) -> list[Inference]:
    """The rules every ingest applies, in order (a later rule sees the earlier rules' ties). The rows of their tables
    that cannot be parsed go into ``report``; a table that cannot be used raises RuleTableError
    (ingest/reference_rows.py)."""
    return [
        place_from_coordinates(schema, data_dir, report),
        place_from_host(schema),
        place_from_district(schema),  # after the host's place, which may be a district
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


@dataclass
class Collected:
    """What the collect hands the write: the rows' tables (mapped from the spill folder), what the diff says to write
    and drop, and the run's result so far. Pickled without its tables (``ingest/collect_apart.py``): the parent maps
    them from the files the child left."""

    nodes: NodeTables
    rels: RelTables
    node_todo: dict[str, pa.Array]
    ties: TieDiff
    node_drop: set[NodeKey]
    result: IngestResult
    read_version: object
    ahead: name_index_ahead.IndexAhead | None = None  # a first load's name index, built beside the run
    index_later: Path | None = None  # a child's collect: the index file to build during the write (pipeline._write)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "nodes": sorted(self.nodes), "rels": sorted(self.rels)}


@dataclass
class CollectSteps:
    """A run's reading, resolving, rows and diff: in the run's process, or in a child of its own."""

    schema: Schema
    sources: list[Source]
    data_dir: Path
    dry_run: bool
    retract: set[str]
    run_id: str
    report: Report
    progress: Progress | None
    inferences: Iterable[Inference]
    spill: Path

    def collect(
        self,
        read: Callable[[set[str]], StoredGraph | None],
        on_nodes: Callable[[NodeTables], name_index_ahead.IndexAhead | None] | None,
    ) -> Collected | None:
        """``read`` gives the stored statements with those of the sources the run replaces as digests (None: it
        cannot); ``on_nodes`` starts the name index from the node tables beside the rest."""
        report, spill = self.report, self.spill
        clock = time.perf_counter()
        seconds: dict[str, float] = {}
        with no_cyclic_collections():  # the files alone (ingest/collector.py: not while a store's driver reads)
            gathered = gather(self.sources, self.data_dir, report, self.progress)
        replaced = (set(gathered.statements) - gathered.incomplete) | self.retract
        # the replaced sources' statements as digests, to count changes; the store's version, for the write to check
        # that no other write came between
        stored = read(replaced)
        if stored is None:
            return None
        unknown = self.retract - stored.sources
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
        # At a million nodes the statements, the resolved entities and the rows are gigabytes each: each is let go
        # as soon as the next step holds what it needs (``statements`` keeps the stored ones this run does not
        # replace).
        stored.statements.clear()
        stored.prints.clear()
        with no_cyclic_collections():  # give_back collects the few cycles of name_index_ahead's reads
            built = build(
                statements, self.schema, self.data_dir, report, reported_sources=gathered.statements,
                inferences=self.inferences,
            )  # fmt: skip
            del statements
            gathered.statements.clear()
            nodes = node_rows(built, self.schema, spill)
            ahead = on_nodes(nodes) if on_nodes is not None else None
            links = built.links
            del built  # the entities and their records
            rels = relationship_rows(links, self.schema, spill)
            del links
            give_back()  # the write starts from the rows alone
        seconds["collect"], clock = time.perf_counter() - clock, time.perf_counter()
        read_files = {a.file for a in report.files.values() if a.source not in gathered.incomplete}
        node_changes, node_todo, node_drop = diff_nodes(stored, nodes, read_files)
        ties = diff_relationships(stored, rels, read_files)
        seconds["diff"] = time.perf_counter() - clock
        result = IngestResult(
            run_id=self.run_id,
            report=report,
            node_counts={label: int(table.num_rows) for label, table in sorted(nodes.items())},
            relationship_counts=count_by_type(rels),
            nodes=node_changes,
            relationships=ties.changes,
            dry_run=self.dry_run,
            seconds=seconds,
            kept=sorted(gathered.incomplete),
            by_source=by_source,
        )
        return Collected(nodes, rels, node_todo, ties, node_drop, result, stored.version, ahead)
