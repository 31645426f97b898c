"""Maintained counts (``Tally`` nodes) that the whole-graph queries read instead of scanning the graph.

The graph changes only by a write (an ingest, a retract, an edition restored into a store, an initial load), so
the counts a page asks for on every visit — entities per city and cluster (``city_cluster_matrix``), per city
and stage (``stage_map``), enterprises and serving entities per cluster (``cluster_list``), the quality counts
(graph/quality_tallies.py), the map's counts per district and of entities without a city (graph/map_tallies.py),
a cluster's members per stage and class and the links between its stages (graph/chain_tallies.py), the ties its
members start by stage and type (graph/member_link_tallies.py), and a city's entities by stage and class
(``city_profile``: graph/city_class_tallies.py) — are computed once in that write and kept as bookkeeping nodes.
``refresh`` runs inside the writer's transaction where the store has one (Neo4j), reading through ``read_in_write``
so that it counts the uncommitted changes too.

Every recount writes a new ``epoch`` row: other derived state (the embedded store's name index) compares its
own epoch with it to know whether it is in step.

Why a full recount and not deltas: a count of *distinct* entities per (city, cluster) cannot be kept by adding
and subtracting changed edges without re-reading each changed entity's other edges; the recount runs a few
label-scoped aggregate queries (seconds at a million nodes) once per write, where pages ran them on every visit.
"""

from __future__ import annotations

import logging
import secrets
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph import chain_tallies, city_class_tallies, map_tallies, member_link_tallies, quality_tallies, tally_rows
from graph.errors import ClusterKGError
from graph.store import GraphStore

log = logging.getLogger(__name__)

LABEL = "Tally"
EPOCH_ID = "tally/epoch"
CITY_CLUSTER = "city_cluster"
CITY_STAGE = "city_stage"
CLUSTER_ENTERPRISES = "cluster_enterprises"
CLUSTER_SERVING = "cluster_serving"
INDUSTRY = "industry"  # the stage key the queries give enterprises
PLACE_KINDS = (CITY_CLUSTER, CITY_STAGE, CLUSTER_ENTERPRISES, CLUSTER_SERVING)
# The epoch begins with it (VERSION@stamp). A store counted by an older ClusterKG — before the quality, map or
# chain counts, or rewritten by one since, which stamps an epoch without it — is recounted by the next write path
# (``ensure``), and until then the tallied queries answer from their full scans (``is_current``).
VERSION = "places+quality+map+chain+links2+profile"  # links2: a far end without a stage is a firm or none

TallyKey = tuple[str, str, str, str]  # kind, city id, cluster id, stage ("" where not used)
# each store's last epoch read and the change stamp it was read at (read_epoch)
_seen: weakref.WeakKeyDictionary[GraphStore, tuple[object, str | None]] = weakref.WeakKeyDictionary()
_seen_lock = threading.Lock()


def _from_labels(store: GraphStore, *rel_types: str) -> list[str]:
    """Classes that can start any of these relationships (each query below is scoped to one label)."""
    labels: set[str] = set()
    for name in rel_types:
        labels.update(store.schema.rel_type(name).domain)
    return sorted(labels)


def compute(store: GraphStore) -> dict[TallyKey, int]:
    """The counts from the graph itself (what the maintained tallies must equal)."""
    counts: dict[TallyKey, int] = defaultdict(int)
    located = set(_from_labels(store, "LOCATED_IN"))
    # Each node has one label, so per-label counts of distinct entities add up to the distinct count overall.
    for label in _from_labels(store, "SERVES_CLUSTER", "IN_CLUSTER"):
        if label not in located:
            continue
        rows = store.read_in_write(
            f"MATCH (e:{label})-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster) MATCH (e)-[:LOCATED_IN]->(city:City) "
            "RETURN city.id AS city, c.id AS cluster, count(DISTINCT e) AS n"
        )
        for row in rows:
            counts[(CITY_CLUSTER, row["city"], row["cluster"], "")] += int(row["n"])
    for label in sorted(located):
        rows = store.read_in_write(
            f"MATCH (e:{label})-[:LOCATED_IN]->(city:City) RETURN city.id AS city, e.chain_stage AS stage, "
            "count(DISTINCT e) AS n"
        )
        for row in rows:
            stage = INDUSTRY if label == "Enterprise" else row["stage"]
            if stage is not None:
                counts[(CITY_STAGE, row["city"], "", stage)] += int(row["n"])
    rows = store.read_in_write(
        "MATCH (e:Enterprise)-[:IN_CLUSTER]->(c:IndustryCluster) RETURN c.id AS cluster, count(DISTINCT e) AS n"
    )
    for row in rows:
        counts[(CLUSTER_ENTERPRISES, "", row["cluster"], "")] += int(row["n"])
    for label in _from_labels(store, "SERVES_CLUSTER"):
        rows = store.read_in_write(
            f"MATCH (s:{label})-[:SERVES_CLUSTER]->(c:IndustryCluster) RETURN c.id AS cluster, count(DISTINCT s) AS n"
        )
        for row in rows:
            counts[(CLUSTER_SERVING, "", row["cluster"], "")] += int(row["n"])
    return {key: n for key, n in counts.items() if n}


def stored(store: GraphStore) -> dict[TallyKey, int]:
    """The maintained place tallies as the store holds them (the epoch row and the quality counts left out)."""
    columns = "t.tally_city AS city, t.tally_cluster AS cluster, t.tally_stage AS stage, t.tally_count AS n"
    rows = tally_rows.read_kinds(store, LABEL, PLACE_KINDS, columns)
    return {(r["kind"], r["city"] or "", r["cluster"] or "", r["stage"] or ""): int(r["n"]) for r in rows}


def epoch(store: GraphStore) -> str | None:
    """The current tally epoch (None: the tallies were never computed in this store)."""
    rows = store.read_in_write(f"MATCH (t:{LABEL} {{id: $id}}) RETURN t.tally_epoch AS epoch", {"id": EPOCH_ID})
    return str(rows[0]["epoch"]) if rows and rows[0]["epoch"] is not None else None


def read_epoch(store: GraphStore) -> str | None:
    """The current tally epoch, read the way readers read (through the embedded store's file gate). Read again only
    when the store's change stamp moved (``GraphStore.change_stamp``): with 16 sessions, the reads of the epoch that
    every kept answer and every tallied query makes waited behind the slow reads for a connection, a quarter of the
    app's time (py-spy, bench/concurrency.py)."""
    stamp = store.change_stamp()
    if stamp is not None:
        with _seen_lock:
            seen = _seen.get(store)
        if seen is not None and seen[0] == stamp:
            return seen[1]
    rows = store.read(f"MATCH (t:{LABEL} {{id: $id}}) RETURN t.tally_epoch AS epoch", {"id": EPOCH_ID}).rows
    epoch = str(rows[0]["epoch"]) if rows and rows[0]["epoch"] is not None else None
    if stamp is not None:  # the stamp was taken first: a write between the two makes the next look read again
        with _seen_lock:
            _seen[store] = (stamp, epoch)
    return epoch


def is_current(stamp: str | None) -> bool:
    """Whether an epoch was stamped by this version of the tallies (else the counts may lack kinds it reads)."""
    return stamp is not None and stamp.startswith(f"{VERSION}@")


def readable(store: GraphStore) -> bool:
    """Whether a reader may answer from the tallies: they exist and are of this version (an embedded store written
    before the Tally table existed has none to read)."""
    try:
        return is_current(read_epoch(store))
    except ClusterKGError:
        return False


_tally_id = tally_rows.tally_id


def _rows(counts: dict[TallyKey, int]) -> Iterable[dict[str, Any]]:
    for key, n in sorted(counts.items()):
        kind, city, cluster, stage = key
        yield {
            "id": _tally_id(key),
            "tally_kind": kind,
            "tally_city": city or None,
            "tally_cluster": cluster or None,
            "tally_stage": stage or None,
            "tally_count": n,
        }


@dataclass(frozen=True)
class _Family:
    """One kind of kept counts: how to count them from the graph, read them back and write them (a row's id is
    ``tally_rows.tally_id`` of its key)."""

    compute: Callable[[GraphStore], Mapping[Any, Any]]
    stored: Callable[[GraphStore], Mapping[Any, Any]]
    rows: Callable[[dict[Any, Any]], Iterable[dict[str, Any]]]


_FAMILIES = (
    _Family(compute, stored, _rows),
    _Family(quality_tallies.compute, lambda s: quality_tallies.stored(s, LABEL), quality_tallies.rows),
    _Family(map_tallies.compute, lambda s: map_tallies.stored(s, LABEL), map_tallies.rows),
    _Family(chain_tallies.compute, lambda s: chain_tallies.stored(s, LABEL), chain_tallies.rows),
    _Family(member_link_tallies.compute, lambda s: member_link_tallies.stored(s, LABEL), member_link_tallies.rows),
    _Family(city_class_tallies.compute, lambda s: city_class_tallies.stored(s, LABEL), city_class_tallies.rows),
)


def refresh(store: GraphStore) -> str:
    """Recount and replace every family of tallies (only the rows that differ are written); return the new epoch."""
    gone: list[str] = []
    changed: list[dict[str, Any]] = []
    kept = 0
    for family in _FAMILIES:
        fresh, old = family.compute(store), family.stored(store)
        gone += sorted(tally_rows.tally_id(key) for key in old if key not in fresh)
        changed += family.rows({key: value for key, value in fresh.items() if old.get(key) != value})
        kept += len(fresh)
    if gone:
        store.delete_nodes(LABEL, gone)
    if changed:
        store.upsert_nodes(LABEL, changed)
    stamp = f"{VERSION}@{datetime.now(UTC).isoformat()}/{secrets.token_hex(4)}"
    store.upsert_nodes(LABEL, [{"id": EPOCH_ID, "tally_kind": "epoch", "tally_epoch": stamp}])
    log.info("tallies: %d rows (%d written, %d removed), epoch %s", kept, len(changed), len(gone), stamp)
    return stamp


def ensure(store: GraphStore) -> None:
    """Count a store written before tallies existed, or before this version of them (loaded by an older ClusterKG,
    or by neo4j-admin import): called by ``setup_schema``, so that any write path, ``ckg schema`` included, leaves
    the tallies in place."""
    if is_current(epoch(store)):
        return
    for cls in store.schema.entity_classes:
        if store.read_in_write(f"MATCH (n:{cls.name}) RETURN n.id AS id LIMIT 1"):
            refresh(store)
            return
