"""A content digest of a whole graph: equal digests mean the same nodes, properties and relationships.

Used to prove that two stores hold the same graph, that a re-run changed nothing, and that a rejected
query wrote nothing. Volatile bookkeeping (which ingest run last touched a record) can be left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graph.json_text import compact
from graph.store import GraphStore

VOLATILE = frozenset({"ingest_run"})
BOOKKEEPING_LABELS = frozenset({"IngestRun", "Edition", "Tally"})  # store bookkeeping, not facts


@dataclass(frozen=True)
class GraphDigest:
    node_counts: dict[str, int]
    relationship_counts: dict[str, int]
    sha256: str


def _canonical(record: dict[str, Any], ignore: Iterable[str]) -> str:
    skip = set(ignore)
    clean = {k: v for k, v in record.items() if k not in skip and v is not None}
    return compact(clean)


def graph_digest(
    store: GraphStore, *, ignore: Iterable[str] = VOLATILE, skip_labels: Iterable[str] = BOOKKEEPING_LABELS
) -> GraphDigest:
    ignore = frozenset(ignore)
    skip = frozenset(skip_labels)
    lines: list[str] = []
    node_counts: dict[str, int] = {}
    for cls in store.schema.node_classes:
        if cls.name in skip:
            continue
        count = 0
        for node in store.iter_nodes(cls.name):
            lines.append(f"N|{cls.name}|{_canonical(node, ignore)}")
            count += 1
        node_counts[cls.name] = count
    rel_counts: dict[str, int] = {}
    for rel in store.schema.relationships.values():
        count = 0
        for edge in store.iter_relationships(rel.name):
            lines.append(f"R|{rel.name}|{_canonical(edge, ignore)}")
            count += 1
        rel_counts[rel.name] = count
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return GraphDigest(node_counts=node_counts, relationship_counts=rel_counts, sha256=digest.hexdigest())
