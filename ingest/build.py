"""From statements to the graph: entity resolution, link resolution, inference, and the rows to write.

Pure: the same statements give the same rows whatever order the sources were read or run in, because
records and links are resolved in one canonical order (``NodeRecord.order_key``) and every merge is
decided by declared precedence, never by arrival.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from graph.arrow_rows import ARROW_TYPES, node_schema, relationship_schema
from graph.json_text import compact_bytes
from graph.row_checks import EXACT_TYPES, prepare_node_rows, prepare_rel_rows
from graph.schema import NodeClass, Schema
from ingest import row_tables
from ingest.claims import SourceStatements, claims_to_json
from ingest.link_columns import LinkColumns, Ties
from ingest.links import Priorities, resolve_links
from ingest.records import Link, NodeRecord, PendingLink, Provenance
from ingest.report import Report
from ingest.resolve import Curation, Entity, EntityIndex
from ingest.row_tables import NodeTables, RelGroup, RelTables, TableBuilder, tables
from ingest.tie_text import LinkTexts

UNHASHED = ("ingest_run", "record_hash")
ONTOLOGY_SOURCE = "ontology"

RelKey = tuple[str, str, str, str, str]  # type, from label, from id, to label, to id
# An inference step: (the resolved entities, the resolved links) → more links, each marked as inferred.
Inference = Callable[[EntityIndex, Ties], list[Link]]


@dataclass
class Built:
    index: EntityIndex
    links: LinkColumns
    # the records no source stated (the chain stages, from the ontology): they are kept in no node's claims
    unstated: frozenset[int] = frozenset()  # their id()s

    def claims(self, entity: Entity) -> dict[str, SourceStatements]:
        """The entity's statements by source, as its node keeps them: the records its sources' rows gave it (not
        those made from a reference to it) and the relationships they state, kept on the entity rather than in a
        dict of every entity's statements by source (with a list per entity and source, until its row was made)."""
        by_source: dict[str, SourceStatements] = {}
        for record in entity.records:
            if not record.from_reference and id(record) not in self.unstated:
                by_source.setdefault(record.provenance.source, SourceStatements()).records.append(record)
        for link in entity.stated_links:
            by_source.setdefault(link.provenance.source, SourceStatements()).links.append(link)
        return by_source


def record_hash(props: dict[str, Any]) -> str:
    clean = {k: v for k, v in props.items() if k not in UNHASHED and v is not None}
    return hashlib.sha256(compact_bytes(clean)).hexdigest()[:32]


def stage_records(schema: Schema) -> list[NodeRecord]:
    """The five chain stages as nodes, straight from the ontology's SKOS concepts."""
    return [
        NodeRecord(
            label="ChainStage",
            id=f"stage/{stage.key}",
            props={"name_zh": stage.labels.zh, "name_en": stage.labels.en, "stage_order": stage.order},
            provenance=Provenance(source=ONTOLOGY_SOURCE, file="ontology.ttl", row=stage.order, confidence="high"),
            names=(stage.labels.zh, stage.labels.en),
            priority=0,
        )
        for stage in schema.stages
    ]


def _in_order(statements: dict[str, SourceStatements]) -> Iterator[PendingLink]:
    """Every stated tie, by (source, file, row, type, from label, from id, far end's text, resolver), equal ones in
    the order read. Sorted a file at a time by row, then a row's few ties by the rest: a key tuple for each of the
    3.3 M ties at scale 150 was about 350 MB at once."""
    by_file: dict[tuple[str, str], list[PendingLink]] = {}
    for part in statements.values():
        for link in part.links:
            by_file.setdefault((link.provenance.source, link.provenance.file), []).append(link)
    for place in sorted(by_file):
        links = by_file.pop(place)
        links.sort(key=_row)  # stable, and the key is the row's own int
        for _, same_row in itertools.groupby(links, key=_row):
            yield from sorted(same_row, key=_within_row)


def _row(link: PendingLink) -> int:
    return link.provenance.row


def _within_row(link: PendingLink) -> tuple[str, str, str, str, str]:
    return (link.rel_type, link.from_label, link.from_id, link.target.text, link.target.resolver)


def build(
    statements: dict[str, SourceStatements],
    schema: Schema,
    data_dir: Path,
    report: Report,
    *,
    reported_sources: Iterable[str] | None = None,
    inferences: Iterable[Inference] = (),
) -> Built:
    """Resolve every source's statements into entities and links (nothing is written).

    Problems are reported only for ``reported_sources`` (the sources read in this run); the others'
    were reported when they were read."""
    _check_sources(statements)
    index = EntityIndex(Curation.load(data_dir / "resolution.yaml"))
    stages = stage_records(schema)
    records = [r for s in statements.values() for r in s.records]
    for record in sorted([*stages, *records], key=lambda r: r.order_key):
        index.add(record)
    priority: Priorities = {}
    for r in records:
        priority.setdefault((r.provenance.source, r.label), {})[r.id] = r.priority
    links = resolve_links(_in_order(statements), index, report, priority, reported_sources)
    del records, priority  # a list entry each, and priority a dict entry per record
    for infer in inferences:
        links.extend(infer(index, links))
    _keep_stated_links(statements, index)
    return Built(index=index, links=links, unstated=frozenset(id(r) for r in stages))


def _keep_stated_links(statements: dict[str, SourceStatements], index: EntityIndex) -> None:
    """Each entity keeps the ties its sources' rows state, for its claims. A row's ties come one after another, so
    they are kept a run at a time; the runs of an entity that several rows or sources state are joined once, at
    the end, so that an entity with many rows is not copied again for each."""
    later: dict[int, tuple[Entity, list[PendingLink]]] = {}  # id(entity) → the entity, its ties after its first run

    def keep(entity: Entity | None, run: list[PendingLink]) -> None:
        if entity is None or not run:
            return
        if entity.stated_links:
            later.setdefault(id(entity), (entity, []))[1].extend(run)
        else:
            entity.add_stated_links(run)

    for part in statements.values():
        current: Entity | None = None
        run: list[PendingLink] = []
        for link in part.links:
            entity = index.get(link.from_label, link.from_id)
            if entity is not current:
                keep(current, run)
                current, run = entity, []
            run.append(link)
        keep(current, run)
    for entity, more in later.values():
        entity.add_stated_links(more)


def _check_sources(statements: dict[str, SourceStatements]) -> None:
    """Each statement is filed under the source its provenance names: a node's claims are grouped by that name."""
    for source, part in statements.items():
        provenances = itertools.chain((r.provenance for r in part.records), (k.provenance for k in part.links))
        for prov in provenances:
            if prov.source != source:
                raise ValueError(f"a statement of {prov.source!r} ({prov.ref}) is filed under source {source!r}")


def node_rows(built: Built, schema: Schema, spill: Path | None = None) -> NodeTables:
    """label → a table of its nodes' properties, merged over their records by precedence, with provenance. Each
    entity's records and stated relationships leave it once they are in its row (its claims): ``built`` is spent,
    but for its links. With ``spill``, a folder, the tables are files in it, mapped
    (ingest/row_tables.py)."""
    built.index.forget_keys()
    builders: dict[str, TableBuilder] = {}
    ties = LinkTexts()
    for entity in built.index.entities:
        builder = builders.get(entity.label)
        if builder is None:
            cls = schema.node_class(entity.label)
            file = row_tables.node_file(spill, entity.label) if spill else None
            builder = builders[entity.label] = TableBuilder(node_schema(cls), partial(_checked_nodes, cls), file)
        builder.add(entity_row(entity, schema, built.claims(entity), ties))
        entity.let_go()
    return dict(tables(builders))


def entity_row(
    entity: Entity, schema: Schema, claims: dict[str, SourceStatements], ties: LinkTexts | None = None
) -> dict[str, Any]:
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
            "claims_json": claims_to_json(claims, ties),
        }
    )
    node_class = schema.node_class(entity.label)
    props["chain_stage"] = node_class.primary_stage
    allowed = set(node_class.property_names)
    clean = {k: v for k, v in props.items() if k in allowed and v is not None}
    clean["record_hash"] = record_hash(clean)
    return clean


def relationship_rows(links: Ties, schema: Schema, spill: Path | None = None) -> RelTables:
    """One row per relationship, in a table per type and ends' labels: the best-ranked statement's provenance,
    every statement's reference. ``links`` is emptied (at scale 150, 3.5 M ties): columns once the rows are made, a
    list at once, its ties held as columns instead. With ``spill``, a folder, the tables are files in it, mapped
    (ingest/row_tables.py).

    A stated tie always wins over an inferred one: inferred statements of a relationship that a source
    states are dropped, so ``derived`` is true only where no source states the tie."""
    ties = links if isinstance(links, LinkColumns) else LinkColumns(links)
    if ties is not links:
        links.clear()
    others = _other_statements(ties)
    later = np.zeros(len(ties), dtype=bool)  # true for a tie's second and later statements: its first makes its row
    for statements in others.values():
        later[statements] = True
    table_schema = relationship_schema(schema)
    builders: dict[RelGroup, TableBuilder] = {}
    batch = row_tables.ROW_BATCH
    for group, positions in ties.groups():
        where = f"{group[0]} {group[1]}->{group[2]}"
        file = row_tables.tie_file(spill, group) if spill else None
        builder = builders[group] = TableBuilder(table_schema, partial(_checked_rels, schema, where), file)
        firsts = positions[~later[positions]]
        for start in range(0, len(firsts), batch):
            _add_tie_rows(builder, ties, firsts[start : start + batch].tolist(), others)
    ties.clear()
    return dict(tables(builders))


def _add_tie_rows(builder: TableBuilder, ties: LinkColumns, positions: list[int], others: dict[int, list[int]]) -> None:
    """The rows of the ties whose first statements are at ``positions``, in that order. Most ties are stated once
    and have no properties of their own: their rows are made as columns (``LinkColumns.plain_columns``), with no
    dict each; the others' as checked dicts, put in among them."""
    plain = [i for i in positions if i not in others and ties.plain(i)]
    columns = ties.plain_columns(plain)
    if not plain or not _exact(columns, builder.schema):  # none, or a value the row check would convert or refuse
        for i in positions:
            builder.add(_tie_row(ties, i, others))
        return
    if len(plain) < len(positions):
        columns = _with_other_rows(builder, ties, positions, set(plain), columns, others)
    size = len(positions)
    arrays = [
        pa.array(columns[f.name], type=f.type) if f.name in columns else pa.nulls(size, f.type) for f in builder.schema
    ]
    builder.add_batch(pa.RecordBatch.from_arrays(arrays, schema=builder.schema))


def _with_other_rows(
    builder: TableBuilder,
    ties: LinkColumns,
    positions: list[int],
    plain: set[int],
    columns: dict[str, list[Any]],
    others: dict[int, list[int]],
) -> dict[str, list[Any]]:
    """Every column of the batch's rows: the plain ties' values from ``columns``, the others' from their checked
    rows, each in its tie's place."""
    plain_slots = [k for k, i in enumerate(positions) if i in plain]
    other_slots = [k for k, i in enumerate(positions) if i not in plain]
    rows = builder.check([_tie_row(ties, positions[k], others) for k in other_slots])
    spread: dict[str, list[Any]] = {}
    for name in builder.schema.names:
        column = spread[name] = [None] * len(positions)
        for k, value in zip(plain_slots, columns.get(name, ()), strict=False):  # a column the plain rows lack: none
            column[k] = value
        for k, row in zip(other_slots, rows, strict=True):
            column[k] = row.get(name)
    return spread


# The Python type a column's value has when the row check (graph/row_checks.py: ``check_value``) keeps it as it is.
_EXACT_TYPES = {ARROW_TYPES[store_type]: kind for store_type, kind in EXACT_TYPES.items()}


def _exact(columns: dict[str, list[Any]], table_schema: pa.Schema) -> bool:
    """Whether every value of the plain ties' columns is what the row check would keep as it is: each of its
    column's exact type or absent (a ``source_refs`` list holds one ``file#row`` text), and both ends' ids
    non-empty texts."""
    for name, column in columns.items():
        field = table_schema.field(name)
        kinds = set(map(type, column))
        if pa.types.is_list(field.type):
            if kinds - {list}:
                return False
        elif kinds - {_EXACT_TYPES[field.type], type(None)}:
            return False
    return all(columns["from_id"]) and all(columns["to_id"])  # texts or None, so: no None, no empty text


def _tie_row(ties: LinkColumns, i: int, others: dict[int, list[int]]) -> dict[str, Any]:
    """The row of the tie whose first statement is at ``i``, as a dict: merged over its statements."""
    later = others.get(i)
    if later is None:  # one statement: nothing to rank, and no Link to make
        props = ties.props(i)  # a fresh dict
        props["source_refs"] = [ties.ref(i)]
        stated = ties.stated(i)
    else:
        props, stated = _merged(ties, [i, *later])
    if stated:
        for name in ("derived", "rule", "evidence"):
            props.pop(name, None)
    _, _, from_id, _, to_id = ties.key(i)
    return {"from_id": from_id, "to_id": to_id, **props}


def _merged(ties: LinkColumns, positions: list[int]) -> tuple[dict[str, Any], bool]:
    """The properties of a tie stated more than once: the best-ranked statement's, with the reference of every
    statement that a source states (every inferred one's if none is); and whether the best is stated."""
    statements = sorted((ties[j] for j in positions), key=lambda k: k.rank)
    stated = [k for k in statements if k.rank[0] == 0] or statements
    props = stated[0].props  # a fresh dict
    props["source_refs"] = sorted({k.ref for k in stated if k.ref})
    return props, stated[0].rank[0] == 0


def _other_statements(ties: LinkColumns) -> dict[int, list[int]]:
    """The position of each tie's first statement → the positions of its later ones, for the ties stated more than
    once. Found through the keys' hashes, sorted: a dict of every tie's key and its statements was a gigabyte at
    3.5 M ties, and most ties have one statement."""
    hashes = np.fromiter((hash(ties.key(i)) for i in range(len(ties))), dtype=np.int64, count=len(ties))
    order = np.argsort(hashes, kind="stable")
    equal_next = np.flatnonzero(hashes[order[1:]] == hashes[order[:-1]])
    shared = np.unique(np.concatenate([order[equal_next], order[equal_next + 1]]))  # in the order of the list
    first: dict[RelKey, int] = {}
    others: dict[int, list[int]] = {}
    for position in shared.tolist():
        key = ties.key(position)
        if key in first:
            others.setdefault(first[key], []).append(position)
        else:
            first[key] = position
    return others


def _checked_nodes(cls: NodeClass, rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return prepare_node_rows(cls, rows)[1]


def _checked_rels(schema: Schema, where: str, rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows' values checked as a batch of dicts is (a property no table has a column for is refused: it would
    be lost without a word)."""
    return prepare_rel_rows(schema, rows, where)[1]


def count_by_type(rels: RelTables) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for (rel_type, _, _), table in rels.items():
        counts[rel_type] += int(table.num_rows)
    return dict(sorted(counts.items()))
