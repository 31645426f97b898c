"""What the store holds before a run: every source's statements, and each node's and relationship's hash.

The statements of the sources a run does not read (or read incompletely) come from here; those of the sources it
replaces are kept only as digests, to count what changed; the hashes tell the run what it adds, changes, leaves
alone and drops.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from graph.store import GraphStore
from ingest.build import RelKey, record_hash
from ingest.claims import SourceStatements, StatementPrints, claims_from_json

log = logging.getLogger(__name__)

NodeKey = tuple[str, str]  # label, id


@dataclass
class StoredGraph:
    statements: dict[str, SourceStatements] = field(default_factory=dict)
    prints: dict[str, StatementPrints] = field(default_factory=dict)  # the replaced sources' (``counted``)
    node_hashes: dict[NodeKey, str] = field(default_factory=dict)
    rel_hashes: dict[RelKey, str] = field(default_factory=dict)
    # Written by a version before statements were kept: no statements to rebuild them from, so a run
    # drops one only where all its files were read again completely (the rule of that version).
    legacy_nodes: dict[NodeKey, list[str]] = field(default_factory=dict)  # key → files
    legacy_rels: dict[RelKey, str] = field(default_factory=dict)  # key → file

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
        for node in store.iter_nodes(cls.name):
            key = (cls.name, str(node["id"]))
            stored.node_hashes[key] = str(node.get("record_hash", ""))
            text = node.get("claims_json")
            if text is None:
                refs = node.get("source_refs") or [node.get("source_file", "")]
                stored.legacy_nodes[key] = [str(r).split("#")[0] for r in refs]
                continue
            for source, part in claims_from_json(str(text)).items():
                if source in counted:
                    stored.prints.setdefault(source, StatementPrints()).add(part)
                    continue
                mine = stored.statements.setdefault(source, SourceStatements())
                mine.records.extend(part.records)
                mine.links.extend(part.links)
    for rel in store.schema.relationships.values():
        if rel.name in absent:
            continue
        for edge in store.iter_relationships(rel.name):
            ends = (str(edge.pop("from_label")), str(edge.pop("from_id")), str(edge.pop("to_label")))
            rel_key: RelKey = (rel.name, *ends, str(edge.pop("to_id")))
            stored.rel_hashes[rel_key] = record_hash(edge)
            if "source_refs" not in edge:
                stored.legacy_rels[rel_key] = str(edge.get("source_file", ""))
    if stored.legacy_nodes:
        log.warning(
            "%d nodes were written by an older ClusterKG without their sources' statements; "
            "a full `ckg ingest` rebuilds them",
            len(stored.legacy_nodes),
        )
    return stored
