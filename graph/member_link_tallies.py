"""Maintained counts (``Tally`` nodes) of the ties a cluster's members start, by the stages they join and their type:
what ``cluster_chain_links`` answers (the chain page's "links between stages").

Counted the way the query's full scan (queries/full_scans.py) counts: for every membership tie (``SERVES_CLUSTER``
or ``IN_CLUSTER``) of a member to a cluster, every relationship the member starts that is not structural
(``NOT_LINKS``), by the member's stage, the relationship's type and the far end's stage (where it has none:
``industry`` for a member or a firm, ``none`` for a department or another end without one). Scanned per cluster,
that walked every tie of every member on each visit (0.2–0.5 s for a large cluster at a million nodes, 1.7 s on the
embedded store written so that it drops no row: queries/full_scans.py); kept, it is a read of a few dozen rows. A
test checks the kept rows against the full scan after every kind of write, on both stores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from graph.store import GraphStore
from graph.tally_rows import has_label, has_stage, membership_types, read_kinds, stage_expression, tally_id

KIND = "member_links"
NOT_LINKS = ("LOCATED_IN", "SERVES_CLUSTER", "IN_CLUSTER", "PART_OF", "IN_INDUSTRY")  # as the query leaves out

LinkKey = tuple[str, str, str, str, str]  # kind, cluster id, the member's stage, relationship type, the far stage


def compute(store: GraphStore) -> dict[LinkKey, int]:
    """The counts from the graph itself: one query per member class and membership type, over the relationship types
    that class can start, named (an unnamed relationship would read every relationship table, and LadybugDB 0.22
    drops rows from such a match after a join: queries/full_scans.py)."""
    schema = store.schema
    type_of = "label(r)" if store.backend == "embedded" else "type(r)"
    counts: dict[LinkKey, int] = defaultdict(int)
    for cls in schema.entity_classes:
        started = [
            r for r in sorted(schema.relationships) if r not in NOT_LINKS and cls.name in schema.rel_type(r).domain
        ]
        ends = {to for r in started for frm, to in schema.rel_type(r).pairs if frm == cls.name}
        if not started:
            continue
        # the far end's stage; without one, 'industry' for a firm and 'none' for the rest (a department, a place):
        # none of the classes it can be has a stage, or each has it or reads as null
        without = f"CASE WHEN {has_label(store, 'b', 'Enterprise')} THEN 'industry' ELSE 'none' END"
        far = f"coalesce(b.chain_stage, {without})" if any(has_stage(schema, to) for to in ends) else without
        for membership in membership_types(schema, cls.name):
            rows = store.read_in_write(  # schema names only, never user text
                f"MATCH (a:{cls.name})-[:{membership}]->(c:IndustryCluster) "
                f"MATCH (a)-[r:{'|'.join(started)}]->(b) "
                f"RETURN c.id AS cluster, {stage_expression(schema, cls.name, 'a')} AS from_stage, "
                f"{type_of} AS rel, {far} AS to_stage, count(*) AS n"
            )
            for row in rows:
                key = (KIND, str(row["cluster"]), str(row["from_stage"]), str(row["rel"]), str(row["to_stage"]))
                counts[key] += int(row["n"])
    return dict(counts)


def stored(store: GraphStore, label: str) -> dict[LinkKey, int]:
    """The kept rows (``label`` is the Tally class's name)."""
    columns = "t.tally_cluster AS cluster, t.tally_stage AS stage, t.tally_class AS rel, t.tally_detail AS far, " + (
        "t.tally_count AS n"
    )
    return {
        (r["kind"], r["cluster"], r["stage"], r["rel"], r["far"]): int(r["n"])
        for r in read_kinds(store, label, (KIND,), columns)
    }


def rows(counts: dict[LinkKey, int]) -> Iterable[dict[str, Any]]:
    for key, n in sorted(counts.items()):
        kind, cluster, from_stage, rel_type, to_stage = key
        yield {
            "id": tally_id(key),
            "tally_kind": kind,
            "tally_cluster": cluster,
            "tally_stage": from_stage,
            "tally_class": rel_type,
            "tally_detail": to_stage,
            "tally_count": n,
        }
