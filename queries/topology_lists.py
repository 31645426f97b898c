"""Listings of entities answered from the in-memory topology (graph/topology.py) when its snapshot is ready, with the
same rows as their Cypher; the Cypher body answers otherwise (queries/topology_reads.py ``routed``). The listings of
ties are in queries/topology_ties.py.

A listing's Cypher finds every row, sorts them all and keeps the first ``row cap`` of them: at scale 150 a cluster,
a big city or the entities without a city are tens or hundreds of thousands of rows, and these listings took 0.3-4 s
(docs/SCALE.md). The snapshot holds what they filter and sort on — each node's class, chain stage, names, whether it
has coordinates, and the typed, directed adjacency — so here the rows are found and sorted with numpy and Arrow, and
only the kept rows' other columns (a source file, a tie's rule, coordinates) are read from the store, by id. Node
numbers follow the ids' order, so "then by id" is a sort of integers; strings sort by code point, as LadybugDB sorts
them (Neo4j compares UTF-16 units: the two differ only between a character beyond U+FFFF and one from U+E000 to
U+FFFF). Rows the ORDER BY ranks equal may come in another order than the Cypher's, which does not fix it either.

The values needed of whole classes (a cluster's code, a place's admin code) are read from the store once per
snapshot, as is each snapshot's count of memberships (0.45 s at scale 150): the first answer after a change pays.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.topology import Ints, Topology
from queries.topology_reads import (
    CLUSTER,
    MEMBERSHIP,
    Reads,
    Rows,
    by_id,
    chain_entities,
    clusters_named,
    codes_among,
    hub_values,
    in_clusters,
    of_class,
    ranks,
    routed,
    stage_names,
    ties_into,
)

SHARED_COLUMNS = ["id", "name_zh", "class", "clusters", "codes"]
CLUSTER_ENTITY_COLUMNS = [
    "stage",
    "class",
    "id",
    "name_zh",
    "name_en",
    "city",
    "tie",
    "rule",
    "evidence",
    "confidence",
    "source_file",
    "source_row",
]
WITHOUT_CITY_COLUMNS = ["class", "id", "name_zh", "stage", "source_file", "source_row"]
DISTRICT_ENTITY_COLUMNS = ["id", "name_zh", "class", "district_code", "latitude", "longitude"]

_lock = threading.Lock()  # the memberships cache: an entry per snapshot, dropped with it


# --- shared_entities -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memberships:
    """A snapshot's cluster memberships, worked out once: each cluster's members, and every member ranked by its
    number of clusters (descending), then by id — so the entities in at least m clusters are a prefix."""

    members: dict[int, Ints]  # cluster → its members' numbers, sorted, each once however many ties
    ranked: Ints  # every node in at least one cluster, most clusters first, then by id (= node number)
    ranked_counts: Ints  # beside ranked: its number of clusters (non-increasing)


_memberships: weakref.WeakKeyDictionary[Topology, Memberships] = weakref.WeakKeyDictionary()


def memberships(topo: Topology) -> Memberships:
    with _lock:
        known = _memberships.get(topo)
    if known is None:
        members = {c: np.unique(ties_into(topo, c, MEMBERSHIP)) for c in of_class(topo, CLUSTER).tolist()}
        if members:
            counts = np.bincount(np.concatenate(list(members.values())), minlength=topo.node_count)
            in_any = np.flatnonzero(counts)
            ranked = in_any[np.lexsort((in_any, -counts[in_any]))].astype(np.int32)
            ranked_counts = counts[ranked].astype(np.int32)
            for array in (ranked, ranked_counts, *members.values()):
                array.flags.writeable = False  # shared by every thread
            known = Memberships(members, ranked, ranked_counts)
        else:
            known = Memberships(members, np.empty(0, np.int32), np.empty(0, np.int32))
        with _lock:
            _memberships[topo] = known
    return known


def shared_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """Entities in at least ``min_clusters`` clusters (and in one at least, as the query's MATCH), most clusters
    first, then by id; the first ``limit``. Each one's cluster codes, sorted."""
    found = memberships(topo)
    enough = int(np.count_nonzero(found.ranked_counts >= max(int(params["min_clusters"]), 1)))  # a prefix
    end = min(enough, max(limit, 0))
    kept, counts = found.ranked[:end], found.ranked_counts[:end]
    if not len(kept):
        return []
    codes = hub_values(store, topo, CLUSTER, "cluster_code")
    ids, classes, names, _ = topo.rows(kept)
    codes_of: list[set[str]] = [set() for _ in kept]
    for cluster, its_members in found.members.items():
        code = codes.get(cluster)
        if code is None or not len(its_members):
            continue
        at = np.minimum(np.searchsorted(its_members, kept), len(its_members) - 1)
        for position in np.flatnonzero(its_members[at] == kept).tolist():
            codes_of[position].add(code)
    return [
        {"id": i, "name_zh": name, "class": cls, "clusters": n, "codes": sorted(found_codes)}
        for i, name, cls, n, found_codes in zip(ids, names, classes, counts.tolist(), codes_of, strict=True)
    ]


# --- cluster_entities ------------------------------------------------------------------------------------------


def cluster_entity_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """A cluster's members with their ties, by stage, class, id (then city); each tie a row, each city a row."""
    clusters = clusters_named(store, topo, str(params["cluster"]))
    ties = [ties_into(topo, c, MEMBERSHIP) for c in clusters]
    members = np.concatenate(ties) if ties else np.empty(0, np.int32)
    stage_rank, class_rank = ranks(stage_names(topo)), ranks(topo.classes)
    order = np.lexsort((members, class_rank[topo.class_codes[members]], stage_rank[topo.stage_codes[members]]))
    kept = members[order[: max(limit, 0)]]
    details = by_id(
        store,
        topo,
        kept,
        "-[r:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster) WHERE c.id IN $clusters "
        "OPTIONAL MATCH (e)-[:LOCATED_IN]->(place:City)",
        "e.id AS id, e.name_zh AS name_zh, e.name_en AS name_en, place.name_zh AS city, "
        "CASE WHEN coalesce(r.derived, false) THEN 'inferred' ELSE 'sourced' END AS tie, r.rule AS rule, "
        "r.evidence AS evidence, e.confidence AS confidence, e.source_file AS source_file, e.source_row AS source_row",
        {"clusters": topo.ids(clusters)},
    )
    stages = stage_names(topo)
    rows: Rows = []
    entities = list(dict.fromkeys(kept.tolist()))  # in the listing's order already: stage, class, id
    for number, node_id in zip(entities, topo.ids(entities), strict=True):
        stage, cls = stages[topo.stage_codes[number]], topo.classes[topo.class_codes[number]]
        for row in sorted(details[node_id], key=lambda r: (r["city"] is None, r["city"] or "")):
            rows.append({"stage": stage, "class": cls, **row})
            if len(rows) == limit:
                return rows
    return rows


# --- entities_without_city ---------------------------------------------------------------------------------------


def without_city_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """Chain entities (of a stage, of a cluster) located in no city, by class, Chinese name, id."""
    mask = chain_entities(topo, str(params["stage"]))
    clustered = in_clusters(store, topo, str(params["cluster"]))
    if clustered is not None:
        mask &= clustered
    for city in of_class(topo, "City").tolist():
        mask[ties_into(topo, city, ("LOCATED_IN",))] = False
    found = np.flatnonzero(mask).astype(np.int32)
    keys = pa.table(
        {
            "class": ranks(topo.classes)[topo.class_codes[found]],
            "name_zh": topo.name_zh.take(pa.array(found)),
            "number": found,
        }
    )
    by = [("class", "ascending", "at_end"), ("name_zh", "ascending", "at_end"), ("number", "ascending", "at_end")]
    order = pc.sort_indices(keys, options=pc.SortOptions(sort_keys=by))
    kept = found[order.to_numpy()[: max(limit, 0)]]
    details = by_id(store, topo, kept, "", "e.id AS id, e.source_file AS source_file, e.source_row AS source_row")
    ids, classes, names, _ = topo.rows(kept)
    stages = stage_names(topo)
    return [
        {
            "class": cls,
            "id": i,
            "name_zh": name,
            "stage": stages[topo.stage_codes[number]],
            "source_file": details[i][0]["source_file"],
            "source_row": details[i][0]["source_row"],
        }
        for number, i, cls, name in zip(kept.tolist(), ids, classes, names, strict=True)
    ]


# --- city_district_entities --------------------------------------------------------------------------------------


def district_entity_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """The entities located in a city or in a place that is part of it (each tie a row: a district's admin code,
    or none), by id, then district code."""
    given = str(params["city"])
    admin = hub_values(store, topo, "City", "admin_code")
    cities = of_class(topo, "City").tolist()
    _, _, zh, _ = topo.rows(cities)
    named = [c for c, name in zip(cities, zh, strict=True) if given in (name, admin.get(c)) or name == given + "市"]
    places = [np.array([c], dtype=np.int32) for c in named] + [ties_into(topo, c, ("PART_OF",)) for c in named]
    located = [(ties_into(topo, p, ("LOCATED_IN",)), p) for p in np.concatenate(places).tolist()] if places else []
    entities = np.concatenate([e for e, _ in located]) if located else np.empty(0, np.int32)
    at_place = np.concatenate([np.full(len(e), p, dtype=np.int32) for e, p in located]) if located else entities
    keep = chain_entities(topo, str(params["stage"]))[entities]
    if params["with_coordinates"]:
        keep &= topo.placed[entities]
    clustered = in_clusters(store, topo, str(params["cluster"]))
    if clustered is not None:
        keep &= clustered[entities]
    entities, at_place = entities[keep], at_place[keep]
    # each row's district code (a place that is not a district: none), ranked per place: a few hundred places
    places_seen, place_of_row = np.unique(at_place, return_inverse=True)
    districts = hub_values(store, topo, "District", "admin_code")
    is_district = np.isin(topo.class_codes[places_seen], codes_among(topo.classes, ("District",))).tolist()
    codes = [districts.get(p) if d else None for p, d in zip(places_seen.tolist(), is_district, strict=True)]
    order = np.lexsort((ranks(codes)[place_of_row], entities))[: max(limit, 0)] if len(entities) else entities
    kept = entities[order]
    district_of = [codes[p] for p in place_of_row[order].tolist()]
    details = by_id(store, topo, kept, "", "e.id AS id, e.latitude AS latitude, e.longitude AS longitude")
    ids, classes, names, _ = topo.rows(kept)
    return [
        {
            "id": i,
            "name_zh": name,
            "class": cls,
            "district_code": code,
            "latitude": details[i][0]["latitude"],
            "longitude": details[i][0]["longitude"],
        }
        for code, i, cls, name in zip(district_of, ids, classes, names, strict=True)
    ]


# --- the catalogue's hooks (catalog.INDEXED) -----------------------------------------------------------------------

shared_entities = routed(shared_rows, SHARED_COLUMNS)
cluster_entities = routed(cluster_entity_rows, CLUSTER_ENTITY_COLUMNS)
entities_without_city = routed(without_city_rows, WITHOUT_CITY_COLUMNS)
city_district_entities = routed(district_entity_rows, DISTRICT_ENTITY_COLUMNS)
