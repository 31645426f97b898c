"""What the listings of queries/topology_lists.py and queries/topology_ties.py read from an in-memory topology
snapshot (graph/topology.py) — the nodes of a class, the ties into a hub, clusters and cities named as the queries
name them, sort ranks — and from the store: the few property values needed of whole classes (read once per
snapshot) and a page's other columns by id. ``routed`` makes a listing a catalogue hook.

A snapshot answer is only given for the store's current epoch (read through its change stamp: no read while nothing
was written), so an answer kept by queries/answer_cache.py is never one of an older graph. A write that lands
between that check and the reads by id shows as a kept row the store no longer has (``SnapshotBehindError``): the
Cypher answers instead.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph import aggregates, topology
from graph.schema import Schema
from graph.store import GraphStore, QueryResult
from graph.topology import Ints, Topology
from queries.topology_route import capped

CLUSTER = "IndustryCluster"
MEMBERSHIP = ("IN_CLUSTER", "SERVES_CLUSTER")  # (entity)-[…]->(IndustryCluster)
NO_STAGE = aggregates.INDUSTRY  # coalesce(e.chain_stage, 'industry')

Rows = list[dict[str, Any]]

_lock = threading.Lock()  # the caches below: entries per snapshot, dropped with it
_hub_values: weakref.WeakKeyDictionary[Topology, dict[tuple[str, str], dict[int, Any]]] = weakref.WeakKeyDictionary()
_ranks: weakref.WeakKeyDictionary[Topology, dict[tuple[str, str], Ints]] = weakref.WeakKeyDictionary()


class SnapshotBehindError(Exception):
    """A row the snapshot keeps is gone from the store: the graph changed under the answer."""


@dataclass(frozen=True)
class Reads:
    """The store as a snapshot answer reads it: whole reads (bounded by what the snapshot picked), within the
    caller's time limit."""

    store: GraphStore
    timeout_s: float | None = None

    @property
    def schema(self) -> Schema:
        return self.store.schema

    def read_all(self, cypher: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        return self.store.read_all(cypher, params, timeout_s=self.timeout_s)


Answer = Callable[[Reads, Topology, Mapping[str, Any], int], Rows]


def routed(answer: Answer, columns: list[str]) -> Callable[..., QueryResult]:
    """A catalogue hook (catalog.INDEXED): ``answer``'s rows from the snapshot when one of the store's current epoch
    is ready, else the query's Cypher (``body``) — also for sourced ties only (the snapshot holds no tie's
    ``derived`` flag). ``answer`` gets the row cap plus one, to tell a cut."""

    def hook(store: GraphStore, params: Mapping[str, Any], body: str, **read_options: Any) -> QueryResult:
        timeout, cap = store.read_limits.within(read_options.get("timeout_s"), read_options.get("row_cap"))
        topo = None if params.get("sourced_only") else fresh_snapshot(store)
        if topo is not None:
            try:
                return capped(store, columns, answer(Reads(store, timeout), topo, params, cap + 1), read_options)
            except SnapshotBehindError:
                pass
        return store.read(body, params, **read_options)

    return hook


def fresh_snapshot(store: GraphStore) -> Topology | None:
    """The store's snapshot if one is ready and of the epoch the store has now (else None: read with Cypher)."""
    topo = topology.current(store)
    return topo if topo is not None and topo.epoch == aggregates.read_epoch(store) else None


def hub_values(store: Reads, topo: Topology, label: str, prop: str) -> dict[int, Any]:
    """Node number → one property's value (as the store gives it) for every node of a class (a cluster's code, a
    place's admin code, a project's number), read from the store once per snapshot; nodes without it left out."""
    with _lock:
        known = _hub_values.setdefault(topo, {}).get((label, prop))
    if known is not None:
        return known
    if prop not in store.schema.node_class(label).property_names:  # names pasted into the text: the schema's only
        raise ValueError(f"{label} has no property {prop}")
    rows = store.read_all(f"MATCH (n:{label}) RETURN n.id AS id, n.{prop} AS value").rows
    numbers = ((topo.index(str(r["id"])), r["value"]) for r in rows if r["value"] is not None)
    found = {n: value for n, value in numbers if n is not None}
    with _lock:
        _hub_values.setdefault(topo, {})[(label, prop)] = found
    return found


def property_ranks(store: Reads, topo: Topology, label: str, prop: str) -> Ints:
    """Per node, the place of one property's value in sorted order among the nodes of a class (equal values equal
    places; a missing value, or a node of another class, after every value): a sort key, worked out once per
    snapshot (a project's number: 105,000 values at scale 150)."""
    with _lock:
        known = _ranks.setdefault(topo, {}).get((label, prop))
    if known is not None:
        return known
    values = hub_values(store, topo, label, prop)
    place = {v: i for i, v in enumerate(sorted(set(values.values())))}
    found = np.full(topo.node_count, len(place), dtype=np.int32)
    if values:
        found[np.fromiter(values, dtype=np.int64)] = [place[v] for v in values.values()]
    found.flags.writeable = False
    with _lock:
        _ranks.setdefault(topo, {})[(label, prop)] = found
    return found


def of_class(topo: Topology, label: str) -> Ints:
    """The numbers of the nodes of one class."""
    if label not in topo.classes:
        return np.empty(0, dtype=np.int32)
    return np.flatnonzero(topo.class_codes == topo.classes.index(label)).astype(np.int32)


def ties_into(topo: Topology, node: int, rel_types: Sequence[str]) -> Ints:
    """The start of each relationship of these types that ends at ``node`` (one entry per relationship)."""
    lo, hi = int(topo.indptr[node]), int(topo.indptr[node + 1])
    kinds = [topo.rel_types.index(t) for t in rel_types if t in topo.rel_types]
    keep = np.isin(topo.rel_codes[lo:hi], kinds) & ~topo.outgoing[lo:hi]
    return topo.indices[lo:hi][keep]


def clusters_named(store: Reads, topo: Topology, given: str) -> list[int]:
    """The clusters whose code, Chinese or English name is ``given`` (as the queries' cluster test)."""
    codes = hub_values(store, topo, CLUSTER, "cluster_code")
    clusters = of_class(topo, CLUSTER).tolist()
    _, _, zh, en = topo.rows(clusters)
    return [c for c, z, e in zip(clusters, zh, en, strict=True) if given in (codes.get(c), z, e)]


def in_clusters(store: Reads, topo: Topology, given: str) -> npt.NDArray[np.bool_] | None:
    """Per node, whether it is tied to a cluster named ``given`` (None for ``all``: no test)."""
    if given == "all":
        return None
    mask = np.zeros(topo.node_count, dtype=np.bool_)
    for cluster in clusters_named(store, topo, given):
        mask[ties_into(topo, cluster, MEMBERSHIP)] = True
    return mask


def stage_names(topo: Topology) -> list[str]:
    """Per stage code, the stage as the queries name it (no stage: ``industry``)."""
    return [NO_STAGE if s is None else s for s in topo.stages]


def ranks(values: Sequence[str | None]) -> Ints:
    """Each value's place in sorted order (equal values equal places, None after every string)."""
    order = sorted(set(values), key=lambda v: (v is None, v or ""))
    place = {v: i for i, v in enumerate(order)}
    return np.array([place[v] for v in values], dtype=np.int32)


def chain_entities(topo: Topology, stage: str) -> npt.NDArray[np.bool_]:
    """Per node, the queries' entity test: a chain stage or an enterprise, and of ``stage`` unless it is ``all``."""
    mask: npt.NDArray[np.bool_] = topo.stage_codes != 0
    if "Enterprise" in topo.classes:
        mask |= topo.class_codes == topo.classes.index("Enterprise")
    if stage != "all":
        mask &= np.array([s == stage for s in stage_names(topo)], dtype=np.bool_)[topo.stage_codes]
    return mask


def by_id(
    store: Reads, topo: Topology, numbers: Ints, match: str, returns: str, params: Mapping[str, Any] | None = None
) -> dict[str, Rows]:
    """Rows read from the store for these nodes, by id: ``match`` follows ``MATCH (e:Class {id: i})`` and
    ``returns`` is the RETURN (with ``e.id AS id``). One query per class, each id found by its class's id index
    (``WHERE e.id IN $ids`` scans the class instead: 8.4 s for 5,000 ids at scale 50, against 22 ms). A node the
    store no longer has (or no longer as ``match`` finds it) raises SnapshotBehindError."""
    found: dict[str, Rows] = {}
    unique = np.unique(numbers)
    codes = topo.class_codes[unique]
    for code in np.unique(codes).tolist():
        ids = topo.ids(unique[codes == code])
        returned = nulls_for_absent(returns, set(store.schema.node_class(topo.classes[code]).property_names))
        text = f"UNWIND $ids AS i MATCH (e:{topo.classes[code]} {{id: i}}){match} RETURN {returned}"
        for row in store.read_all(text, {**(params or {}), "ids": ids}).rows:
            found.setdefault(str(row["id"]), []).append(row)
        if any(i not in found for i in ids):
            raise SnapshotBehindError(topo.classes[code])
    return found


def nulls_for_absent(returns: str, has: set[str]) -> str:
    """``e.p`` of a property the class lacks as NULL (LadybugDB refuses an unknown property of a labelled node)."""
    return re.sub(r"\be\.(\w+)", lambda m: m.group(0) if m.group(1) in has else "NULL", returns)


def codes_among(names: Sequence[str | None], wanted: Sequence[str]) -> list[int]:
    """The codes of the wanted names among ``names`` (a snapshot's classes or relationship types)."""
    return [code for code, name in enumerate(names) if name in wanted]
