"""From statements to the graph: entity resolution, link resolution, inference, and the rows to write.

Pure: the same statements give the same rows whatever order the sources were read or run in, because
records and links are resolved in one canonical order (``NodeRecord.order_key``) and every merge is
decided by declared precedence, never by arrival.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

import numpy as np

from graph.arrow_rows import node_schema, relationship_schema
from graph.schema import NodeClass, Schema
from graph.store import prepare_node_rows, prepare_rel_rows
from ingest.claims import SourceStatements, claims_to_json
from ingest.links import resolve_links
from ingest.records import Link, NodeRecord, PendingLink, Provenance
from ingest.report import Report
from ingest.resolve import Curation, Entity, EntityIndex
from ingest.row_tables import NodeTables, RelGroup, RelTables, TableBuilder, tables

UNHASHED = ("ingest_run", "record_hash")
ONTOLOGY_SOURCE = "ontology"

RelKey = tuple[str, str, str, str, str]  # type, from label, from id, to label, to id
# An inference step: (the resolved entities, the resolved links) → more links, each marked as inferred.
Inference = Callable[[EntityIndex, list[Link]], list[Link]]


Statement = NodeRecord | PendingLink


@dataclass
class Built:
    index: EntityIndex
    links: list[Link]
    # id(entity) → source → its records and links in one list: a SourceStatements and a second list per entity held
    # about 170 bytes an entity more until its row is made (bench/collect_memory.py --scale 50: 1,178 → 1,123 MB)
    statements_of: dict[int, dict[str, list[Statement]]] = field(default_factory=dict)

    def statements(self, entity: Entity, source: str) -> list[Statement]:
        """The list of one source's statements about the entity, made when first asked for."""
        by_source = self.statements_of.get(id(entity))
        if by_source is None:
            by_source = self.statements_of[id(entity)] = {}
        found = by_source.get(source)
        if found is None:
            found = by_source[source] = []
        return found

    def claims(self, entity: Entity) -> dict[str, SourceStatements]:
        """The entity's statements by source, as its node keeps them; they leave ``statements_of``."""
        by_source = self.statements_of.pop(id(entity), {})
        return {
            source: SourceStatements(
                records=[s for s in found if isinstance(s, NodeRecord)],
                links=[s for s in found if isinstance(s, PendingLink)],
            )
            for source, found in by_source.items()
        }


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
            provenance=Provenance(source=ONTOLOGY_SOURCE, file="ontology.ttl", row=stage.order, confidence="high"),
            names=(stage.labels.zh, stage.labels.en),
            priority=0,
        )
        for stage in schema.stages
    ]


def _link_order(link: PendingLink) -> tuple[str, str, int, str, str, str, str, str]:
    p = link.provenance
    target = link.target
    return (p.source, p.file, p.row, link.rel_type, link.from_label, link.from_id, target.text, target.resolver)


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
    index = EntityIndex(Curation.load(data_dir / "resolution.yaml"))
    records = [r for s in statements.values() for r in s.records]
    for record in sorted([*stage_records(schema), *records], key=lambda r: r.order_key):
        index.add(record)
    pending = sorted((k for s in statements.values() for k in s.links), key=_link_order)
    priority = {(r.provenance.source, r.label, r.id): r.priority for r in records}
    links = resolve_links(pending, index, report, priority, reported_sources)
    del records, pending, priority  # a list entry each, and priority a tuple and a dict entry per record
    for infer in inferences:
        links.extend(infer(index, links))
    built = Built(index=index, links=links)
    for source, part in statements.items():
        for record in part.records:
            entity = index.get(record.label, record.id)
            if entity is not None:
                built.statements(entity, source).append(record)
        for link in part.links:
            entity = index.get(link.from_label, link.from_id)
            if entity is not None:
                built.statements(entity, source).append(link)
    return built


def node_rows(built: Built, schema: Schema, spill: Path | None = None) -> NodeTables:
    """label → a table of its nodes' properties, merged over their records by precedence, with provenance. Each
    entity's statements leave ``built.statements_of`` once they are in its row (its claims), and its records leave
    the entity: ``built`` is spent, but for its links. With ``spill``, a folder, the tables are files in it, mapped
    (ingest/row_tables.py)."""
    builders: dict[str, TableBuilder] = {}
    for entity in built.index.entities:
        builder = builders.get(entity.label)
        if builder is None:
            cls = schema.node_class(entity.label)
            file = spill / f"nodes-{entity.label}.arrow" if spill else None
            builder = builders[entity.label] = TableBuilder(node_schema(cls), partial(_checked_nodes, cls), file)
        builder.add(entity_row(entity, schema, built.claims(entity)))
        entity.let_go()
    return dict(tables(builders))


def entity_row(entity: Entity, schema: Schema, claims: dict[str, SourceStatements]) -> dict[str, Any]:
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
            "claims_json": claims_to_json(claims),
        }
    )
    node_class = schema.node_class(entity.label)
    props["chain_stage"] = node_class.primary_stage
    allowed = set(node_class.property_names)
    clean = {k: v for k, v in props.items() if k in allowed and v is not None}
    clean["record_hash"] = record_hash(clean)
    return clean


def relationship_rows(links: list[Link], schema: Schema, spill: Path | None = None) -> RelTables:
    """One row per relationship, in a table per type and ends' labels: the best-ranked statement's provenance,
    every statement's reference. ``links`` is emptied as the rows are made (at scale 150, 3.5 M ties). With
    ``spill``, a folder, the tables are files in it, mapped (ingest/row_tables.py).

    A stated tie always wins over an inferred one: inferred statements of a relationship that a source
    states are dropped, so ``derived`` is true only where no source states the tie."""
    others = _other_statements(links)
    slots = cast(list[Link | None], links)  # each statement let go as its row is made
    table_schema = relationship_schema(schema)
    builders: dict[RelGroup, TableBuilder] = {}
    for i, link in enumerate(slots):
        if link is None:  # a later statement of a tie whose row is made
            continue
        statements = [link, *(cast(Link, slots[j]) for j in others.get(i, ()))]
        for j in (i, *others.get(i, ())):
            slots[j] = None
        if len(statements) == 1:  # most relationships have one statement: nothing to rank
            stated = statements
        else:
            statements.sort(key=lambda k: k.rank)
            stated = [k for k in statements if k.rank[0] == 0] or statements
        best = stated[0]
        props = best.props  # a fresh dict
        props["source_refs"] = sorted({k.ref for k in stated if k.ref})
        if best.rank[0] == 0:
            for name in ("derived", "rule", "evidence"):
                props.pop(name, None)
        group = (link.rel_type, link.from_label, link.to_label)
        builder = builders.get(group)
        if builder is None:
            check = partial(_checked_rels, schema, f"{group[0]} {group[1]}->{group[2]}")
            file = spill / f"ties-{'-'.join(group)}.arrow" if spill else None
            builder = builders[group] = TableBuilder(table_schema, check, file)
        builder.add({"from_id": link.from_id, "to_id": link.to_id, **props})
    links.clear()
    return dict(tables(builders))


def _rel_key(link: Link) -> RelKey:
    return (link.rel_type, link.from_label, link.from_id, link.to_label, link.to_id)


def _other_statements(links: list[Link]) -> dict[int, list[int]]:
    """The position of each tie's first statement → the positions of its later ones, for the ties stated more than
    once. Found through the keys' hashes, sorted: a dict of every tie's key and its statements was a gigabyte at
    3.5 M ties, and most ties have one statement."""
    hashes = np.fromiter((hash(_rel_key(k)) for k in links), dtype=np.int64, count=len(links))
    order = np.argsort(hashes, kind="stable")
    equal_next = np.flatnonzero(hashes[order[1:]] == hashes[order[:-1]])
    shared = np.unique(np.concatenate([order[equal_next], order[equal_next + 1]]))  # in the order of the list
    first: dict[RelKey, int] = {}
    others: dict[int, list[int]] = {}
    for position in shared.tolist():
        key = _rel_key(links[position])
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
