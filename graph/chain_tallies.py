"""Maintained counts (``Tally`` nodes) the chain page and the yearly report read: a cluster's members per stage and
class, and the links that join its consecutive stages.

``cluster_chain`` (entities per stage) and ``cluster_chain_classes`` (per stage and class) counted every member of a
cluster, with and without the ties an attribution rule inferred, and a large cluster's completeness score read every
link of its staged members (queries/scoped_chain.py): 0.2–0.8 s each and 0.9–4 s for the score at a million nodes,
on every visit of the chain page and once per cluster in the yearly report. The answers change only when the graph
does, so ``aggregates.refresh`` counts them in the same write as the other tallies. The full-scan definitions stay in
``queries/full_scans.py`` and ``scoped_chain.scanned_completeness``; tests check the kept rows against them after
every kind of write, on both stores.

Counted, as the definitions count, per cluster:
- per (stage, class), the entities with a ``SERVES_CLUSTER`` or ``IN_CLUSTER`` tie to the cluster (``members``) and
  those with at least one such tie that a source states, not inferred (``members_sourced``); the stage is the
  entity's own, ``industry`` where it has none;
- per pair of consecutive chain stages, the relationships (not structural) between two staged entities that are not
  enterprises, of those two stages in either direction, with at least one end a member (``chain_links``) or a member
  by a stated tie (``chain_links_sourced``): what the completeness score calls a linked pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from graph.store import GraphStore
from graph.tally_rows import MEMBERSHIPS, has_stage, membership_types, read_kinds, stage_expression, tally_id

MEMBERS = "members"
MEMBERS_SOURCED = "members_sourced"
LINKS = "chain_links"
LINKS_SOURCED = "chain_links_sourced"
MEMBER_KINDS = (MEMBERS, MEMBERS_SOURCED)
KINDS = (*MEMBER_KINDS, LINKS, LINKS_SOURCED)

# kind, cluster id, stage, and the class (members) or the later stage of the pair (links)
ChainKey = tuple[str, str, str, str]


def compute(store: GraphStore) -> dict[ChainKey, int]:
    """The counts from the graph itself (what the kept rows must equal)."""
    return {**_members(store), **_links(store)}


def _members(store: GraphStore) -> dict[ChainKey, int]:
    """Each node has one class, so the per-class counts of distinct entities add up to a stage's count."""
    counts: dict[ChainKey, int] = {}
    for cls in store.schema.entity_classes:
        label, types = cls.name, membership_types(store.schema, cls.name)  # a schema class name, never user text
        if not types:
            continue
        # one type: ties count entities; the 2.5 million enterprise ties at scale 150 in 0.5 s instead of 2.7 s
        every, sourced = (
            ("count(*)", "sum(CASE WHEN coalesce(r.derived, false) THEN 0 ELSE 1 END)")
            if len(types) == 1
            else ("count(DISTINCT e)", "count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END)")
        )
        stage = stage_expression(store.schema, label, "e")
        # From the members' side, each one's stage read once (Neo4j, scale 150: 10.8 → 3.4 s; matched from the 20
        # clusters, it read the 2.27 M firms' ties and stages in no order, a page fault at a time)
        rows = store.read_in_write(
            f"MATCH (e:{label}) WITH e, {stage} AS stage MATCH (e)-[r:{'|'.join(types)}]->(c:IndustryCluster) "
            f"RETURN c.id AS cluster, stage, {every} AS n, {sourced} AS sourced"
        )
        for row in rows:
            for kind, n in ((MEMBERS, row["n"]), (MEMBERS_SOURCED, row["sourced"])):
                if n:
                    counts[(kind, str(row["cluster"]), str(row["stage"]), label)] = int(n)
    return counts


def _links(store: GraphStore) -> dict[ChainKey, int]:
    """The links between consecutive stages, per cluster of either end. Read class pair by class pair (an unlabelled
    match would read every relationship of the graph), then the clusters of their ends only (a few thousand at a
    million nodes, where the staged members are 300,000)."""
    schema = store.schema
    stages = [stage.key for stage in schema.stages]
    pairs = {frozenset(pair): pair for pair in pairwise(stages)}
    staged = {c.name for c in schema.entity_classes if c.name != "Enterprise" and has_stage(schema, c.name)}
    # only the links whose ends are of consecutive stages, either way round (the stages as parameters)
    consecutive = " OR ".join(
        f"(a.chain_stage = $s{i} AND b.chain_stage = $s{j}) OR (a.chain_stage = $s{j} AND b.chain_stage = $s{i})"
        for i, j in pairwise(range(len(stages)))
    )
    links: list[tuple[str, str, tuple[str, str]]] = []
    for rel in sorted(schema.relationships.values(), key=lambda r: r.name):
        if rel.structural:
            continue
        for from_label, to_label in rel.pairs:
            if from_label in staged and to_label in staged:
                links += [
                    (row["a"], row["b"], pairs[frozenset((row["sa"], row["sb"]))])
                    for row in store.read_in_write(
                        f"MATCH (a:{from_label})-[:{rel.name}]->(b:{to_label}) WHERE {consecutive} "
                        "RETURN a.id AS a, b.id AS b, a.chain_stage AS sa, b.chain_stage AS sb",
                        {f"s{i}": key for i, key in enumerate(stages)},
                    )
                ]
    ends = sorted({end for a, b, _pair in links for end in (a, b)})
    clusters: dict[str, set[str]] = defaultdict(set)
    sourced: dict[str, set[str]] = defaultdict(set)
    for name in MEMBERSHIPS:
        for label in sorted(set(schema.rel_type(name).domain) & staged) if ends else ():
            for row in store.read_in_write(
                f"MATCH (e:{label})-[m:{name}]->(c:IndustryCluster) WHERE e.id IN $ids "
                "RETURN e.id AS id, c.id AS cluster, coalesce(m.derived, false) AS derived",
                {"ids": ends},
            ):
                clusters[row["id"]].add(row["cluster"])
                if not row["derived"]:
                    sourced[row["id"]].add(row["cluster"])
    counts: dict[ChainKey, int] = defaultdict(int)
    for a, b, pair in links:
        for kind, of in ((LINKS, clusters), (LINKS_SOURCED, sourced)):
            for cluster in of.get(a, set()) | of.get(b, set()):
                counts[(kind, cluster, *pair)] += 1
    return dict(counts)


def stored(store: GraphStore, label: str) -> dict[ChainKey, int]:
    """The kept chain rows (``label`` is the Tally class's name)."""
    columns = (
        "t.tally_cluster AS cluster, t.tally_stage AS stage, t.tally_class AS class, t.tally_detail AS detail, "
        "t.tally_count AS n"
    )
    return {
        (r["kind"], r["cluster"], r["stage"], r["class"] if r["kind"] in MEMBER_KINDS else r["detail"]): int(r["n"])
        for r in read_kinds(store, label, KINDS, columns)
    }


def rows(counts: dict[ChainKey, int]) -> Iterable[dict[str, Any]]:
    for key, n in sorted(counts.items()):
        kind, cluster, stage, last = key
        last_column = "tally_class" if kind in MEMBER_KINDS else "tally_detail"
        yield {
            "id": tally_id(key),
            "tally_kind": kind,
            "tally_cluster": cluster,
            "tally_stage": stage,
            last_column: last,
            "tally_count": n,
        }
