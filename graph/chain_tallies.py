"""Maintained counts (``Tally`` nodes) the chain page and the yearly report read: a cluster's members per stage and
class.

``cluster_chain`` (entities per stage) and ``cluster_chain_classes`` (per stage and class) counted every member of a
cluster, with and without the ties an attribution rule inferred: 0.2–0.9 s at a million nodes, on every visit of the
chain page and once per cluster in the yearly report. The answers change only when the graph does, so
``aggregates.refresh`` counts them in the same write as the other tallies, one member class at a time. The
full-scan definitions stay in ``queries/full_scans.py``; a test checks the kept rows against them after every kind
of write, on both stores.

Counted, as the definitions count: per (cluster, stage, class), the entities with a ``SERVES_CLUSTER`` or
``IN_CLUSTER`` tie to the cluster (``members``) and those with at least one such tie that a source states, not
inferred (``members_sourced``). The stage is the entity's own, ``industry`` where it has none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.store import GraphStore
from graph.tally_rows import read_kinds, tally_id

MEMBERS = "members"
MEMBERS_SOURCED = "members_sourced"
KINDS = (MEMBERS, MEMBERS_SOURCED)
MEMBERSHIPS = ("SERVES_CLUSTER", "IN_CLUSTER")

ChainKey = tuple[str, str, str, str]  # kind, cluster id, stage, class


def _stage(store: GraphStore, label: str) -> str:
    """A class's stage expression (the embedded store refuses a property its class does not have)."""
    if "chain_stage" in store.schema.node_class(label).property_names:
        return "coalesce(e.chain_stage, 'industry')"
    return "'industry'"


def compute(store: GraphStore) -> dict[ChainKey, int]:
    """The counts from the graph itself (what the kept rows must equal). Each node has one class, so the per-class
    counts of distinct entities add up to a stage's count."""
    counts: dict[ChainKey, int] = {}
    labels = sorted({label for name in MEMBERSHIPS for label in store.schema.rel_type(name).domain})
    for label in labels:  # a schema class name, never user text
        rows = store.read_in_write(
            f"MATCH (e:{label})-[r:{'|'.join(MEMBERSHIPS)}]->(c:IndustryCluster) "
            f"RETURN c.id AS cluster, {_stage(store, label)} AS stage, count(DISTINCT e) AS n, "
            "count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END) AS sourced"
        )
        for row in rows:
            for kind, n in ((MEMBERS, row["n"]), (MEMBERS_SOURCED, row["sourced"])):
                if n:
                    counts[(kind, str(row["cluster"]), str(row["stage"]), label)] = int(n)
    return counts


def stored(store: GraphStore, label: str) -> dict[ChainKey, int]:
    """The kept chain rows (``label`` is the Tally class's name)."""
    columns = "t.tally_cluster AS cluster, t.tally_stage AS stage, t.tally_class AS class, t.tally_count AS n"
    return {
        (r["kind"], r["cluster"], r["stage"], r["class"]): int(r["n"]) for r in read_kinds(store, label, KINDS, columns)
    }


def rows(counts: dict[ChainKey, int]) -> Iterable[dict[str, Any]]:
    for key, n in sorted(counts.items()):
        kind, cluster, stage, label = key
        yield {
            "id": tally_id(key),
            "tally_kind": kind,
            "tally_cluster": cluster,
            "tally_stage": stage,
            "tally_class": label,
            "tally_count": n,
        }
