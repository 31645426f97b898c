"""Maintained data-quality counts (``Tally`` nodes) that the quality page's queries read instead of scanning every node.

``dq_low_confidence``, ``dq_orphans`` and ``dq_without_source`` each looked at every node of the graph (0.3–3 s at a
million nodes). Their answers change only when the graph does, so ``aggregates.refresh`` counts them in the same
write as the place counts, one label at a time, and keeps one row per (kind, class, detail) with the count and, where
the page shows them, the first five names in id order. The full-scan definitions stay in ``queries/full_scans.py``;
a test checks the kept rows against them after every kind of write, on both stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.store import GraphStore
from graph.tally_rows import read_kinds, tally_id

LOW_CONFIDENCE = "low_confidence"  # detail: the confidence (anything but 'high')
ORPHANS = "orphans"
WITHOUT_FILE = "without_file"
WITHOUT_URL = "without_url"
KINDS = (LOW_CONFIDENCE, ORPHANS, WITHOUT_FILE, WITHOUT_URL)
NOT_ORPHANS = frozenset({"SourceList"})  # a list node stands alone until a curator's rows cite it
EXAMPLES = 5

QualityKey = tuple[str, str, str]  # kind, class, detail ("" where not used)
Quality = tuple[int, tuple[str, ...]]  # count, the first names in id order


def compute(store: GraphStore) -> dict[QualityKey, Quality]:
    """The quality counts from the graph itself, per entity class (bookkeeping nodes have none of these properties)."""
    found: dict[QualityKey, Quality] = {}
    for cls in store.schema.entity_classes:
        label = cls.name  # a schema class name, never user text
        # one pass over the class for the confidences and the missing sources (each text is planned once per
        # server start: fewer texts, a faster first load after a restart)
        low: dict[str, int] = {}
        without_file = without_url = 0
        for row in store.read_in_write(
            f"MATCH (n:{label}) RETURN n.confidence AS detail, count(n) AS n, "
            "sum(CASE WHEN n.source_file IS NULL THEN 1 ELSE 0 END) AS file, "
            "sum(CASE WHEN n.source_url IS NULL THEN 1 ELSE 0 END) AS url"
        ):
            without_file += int(row["file"] or 0)
            without_url += int(row["url"] or 0)
            if row["detail"] is not None and row["detail"] != "high":
                low[str(row["detail"])] = int(row["n"])
        for detail in sorted(low):
            examples = _first_names(store, label, "n.confidence = $detail", {"detail": detail})
            found[(LOW_CONFIDENCE, label, detail)] = (low[detail], examples)
        if label not in NOT_ORPHANS:
            orphan = "NOT EXISTS { MATCH (n)-[]-() }"
            for row in store.read_in_write(f"MATCH (n:{label}) WHERE {orphan} RETURN count(n) AS n"):
                if row["n"]:
                    found[(ORPHANS, label, "")] = (int(row["n"]), _first_names(store, label, orphan, {}))
        found[(WITHOUT_FILE, label, "")] = (without_file, ())
        found[(WITHOUT_URL, label, "")] = (without_url, ())
    return {key: value for key, value in found.items() if value[0]}


def _first_names(store: GraphStore, label: str, condition: str, params: dict[str, Any]) -> tuple[str, ...]:
    """The first names in id order (a query of its own: neither store's collect() keeps an ORDER BY's order)."""
    # ``n.id IS NOT NULL`` (always true) lets Neo4j walk the id index in order and stop at the fifth name: 6.9 s →
    # 0.05 s for the firms' commonest confidence at scale 150, where it sorted the 825,000 that have it
    rows = store.read_in_write(
        f"MATCH (n:{label}) WHERE n.id IS NOT NULL AND {condition} AND n.name_zh IS NOT NULL "
        "RETURN n.name_zh AS name ORDER BY n.id LIMIT $examples",
        {**params, "examples": EXAMPLES},
    )
    return tuple(str(r["name"]) for r in rows)


def stored(store: GraphStore, label: str) -> dict[QualityKey, Quality]:
    """The kept quality rows (``label`` is the Tally class's name)."""
    columns = "t.tally_class AS class, t.tally_detail AS detail, t.tally_count AS n, t.tally_examples AS examples"
    rows = read_kinds(store, label, KINDS, columns)
    # a confidence is kept as the source gave it ('' included); the other kinds have no detail (None ↔ "")
    return {
        (r["kind"], r["class"], r["detail"] if r["kind"] == LOW_CONFIDENCE else r["detail"] or ""): (
            int(r["n"]),
            tuple(r["examples"] or ()),
        )
        for r in rows
    }


def rows(counts: dict[QualityKey, Quality]) -> Iterable[dict[str, Any]]:
    for key, (n, examples) in sorted(counts.items()):
        kind, label, detail = key
        yield {
            "id": tally_id(key),
            "tally_kind": kind,
            "tally_class": label,
            "tally_detail": detail if kind == LOW_CONFIDENCE else detail or None,
            "tally_count": n,
            "tally_examples": list(examples),
        }
