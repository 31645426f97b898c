"""What the store holds before a run: every source's statements, and each node's and relationship's hash.

The statements of the sources a run does not read (or read incompletely) come from here; those of the sources it
replaces are kept only as digests, to count what changed; the hashes tell the run what it adds, changes, leaves
alone and drops.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.store import GraphStore
from ingest.build import UNHASHED, RelKey
from ingest.claims import SourceStatements, StatementPrints, claims_from_json, digest

log = logging.getLogger(__name__)

NodeKey = tuple[str, str]  # label, id


@dataclass
class StoredGraph:
    statements: dict[str, SourceStatements] = field(default_factory=dict)
    prints: dict[str, StatementPrints] = field(default_factory=dict)  # the replaced sources' (``counted``)
    node_hashes: dict[NodeKey, str] = field(default_factory=dict)
    rel_hashes: dict[RelKey, bytes] = field(default_factory=dict)  # ``tie_print`` of each stored tie
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
            for source, part in claims_from_json(str(text), counted, stored.prints).items():
                mine = stored.statements.setdefault(source, SourceStatements())
                mine.records.extend(part.records)
                mine.links.extend(part.links)
    for rel in store.schema.relationships.values():
        if rel.name in absent:
            continue
        for edge in store.iter_relationships(rel.name):
            ends = (str(edge.pop("from_label")), str(edge.pop("from_id")), str(edge.pop("to_label")))
            rel_key: RelKey = (rel.name, *ends, str(edge.pop("to_id")))
            stored.rel_hashes[rel_key] = tie_print(edge)
            if "source_refs" not in edge:
                stored.legacy_rels[rel_key] = str(edge.get("source_file", ""))
    if stored.legacy_nodes:
        log.warning(
            "%d nodes were written by an older ClusterKG without their sources' statements; "
            "a full `ckg ingest` rebuilds them",
            len(stored.legacy_nodes),
        )
    return stored


def tie_print(props: Mapping[str, Any]) -> bytes:
    """A digest of a tie's properties (those ``record_hash`` reads), to tell whether a run changes it. Made on both
    sides of one run and never stored, so it is a statement's digest (``claims.digest``), not the stored text's
    hash. A re-run hashes every stored tie and every new one that the store has: at scale 150, twice 3.3 M
    (``record_hash`` took 2.9 µs a tie, this 1.9; its 32-character text held 32 bytes more a tie)."""
    return digest({k: v for k, v in props.items() if k not in UNHASHED and v is not None})
