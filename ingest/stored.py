"""What the store holds before a run: every source's statements, each node's hash, and the stored ties.

The statements of the sources a run does not read (or read incompletely) come from here; those of the sources it
replaces are kept only as digests, to count what changed; the hashes and the stored ties' tables tell the run what
it adds, changes, leaves alone and drops.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

import pyarrow as pa

from graph.store import GraphStore
from ingest.claims import SourceStatements, StatementPrints, claims_from_json
from ingest.row_tables import RelGroup

log = logging.getLogger(__name__)

NodeKey = tuple[str, str]  # label, id
# what a run reads of each stored node (its other properties are in its statements)
NODE_COLUMNS = ("id", "record_hash", "claims_json", "source_refs", "source_file")


@dataclass
class StoredGraph:
    statements: dict[str, SourceStatements] = field(default_factory=dict)
    prints: dict[str, StatementPrints] = field(default_factory=dict)  # the replaced sources' (``counted``)
    node_hashes: dict[NodeKey, str] = field(default_factory=dict)
    # every stored tie, by type and ends' labels, as the store's table (ingest/tie_diff.py compares them)
    ties: dict[RelGroup, pa.Table] = field(default_factory=dict)
    # Written by a version before statements were kept: no statements to rebuild them from, so a run
    # drops one only where all its files were read again completely (the rule of that version; a tie's in
    # ingest/tie_diff.py: ``dropped``).
    legacy_nodes: dict[NodeKey, list[str]] = field(default_factory=dict)  # key → files

    @property
    def sources(self) -> set[str]:
        kept = {name for name, part in self.statements.items() if part.records or part.links}
        return kept | {name for name, prints in self.prints.items() if not prints.empty}


def read_stored(store: GraphStore, counted: Collection[str] = ()) -> StoredGraph:
    """The store's statements, hashes and legacy rows; the statements of the ``counted`` sources (those a run
    replaces) as digests only (``StoredGraph.prints``)."""
    stored = StoredGraph()
    absent = store.absent_tables()  # a dry run on a store never written to
    for cls in store.schema.node_classes:
        if cls.name in ("IngestRun", "Edition", "Tally") or cls.name in absent:  # bookkeeping, not statements
            continue
        for columns in store.node_columns(cls.name, NODE_COLUMNS):
            for node_id, row_hash, text, refs, file in zip(*columns, strict=True):
                key = (cls.name, str(node_id))
                stored.node_hashes[key] = "" if row_hash is None else str(row_hash)
                if text is None:
                    stored.legacy_nodes[key] = [str(r).split("#")[0] for r in (refs or [file or ""])]
                    continue
                for source, part in claims_from_json(str(text), counted, stored.prints).items():
                    mine = stored.statements.setdefault(source, SourceStatements())
                    mine.records.extend(part.records)
                    mine.links.extend(part.links)
    parts: dict[RelGroup, list[pa.Table]] = {}
    for rel in store.schema.relationships.values():
        if rel.name not in absent:
            for from_label, to_label, table in store.relationship_tables(rel.name):
                parts.setdefault((rel.name, from_label, to_label), []).append(table)
    for group in list(parts):
        stored.ties[group] = pa.concat_tables(parts.pop(group), promote_options="default")  # ``UNFIT`` in some
    if stored.legacy_nodes:
        log.warning(
            "%d nodes were written by an older ClusterKG without their sources' statements; "
            "a full `ckg ingest` rebuilds them",
            len(stored.legacy_nodes),
        )
    return stored
