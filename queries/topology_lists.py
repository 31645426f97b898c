"""Listings answered from the in-memory topology (graph/topology.py) when its snapshot is ready, with the same rows
as their Cypher; the Cypher body answers otherwise.

A listing's Cypher finds every row, sorts them all and keeps the first ``row cap`` of them: at scale 150 a cluster,
a big city or the entities without a city are tens or hundreds of thousands of rows, and eight listings took 0.3-4 s
(docs/SCALE.md). The snapshot holds what they filter and sort on — each node's class, chain stage, names, whether it
has coordinates, and the typed, directed adjacency — so here the rows are found and sorted with numpy and Arrow, and
only the kept rows' other columns (a source file, a tie's rule, a project's year …) are read from the store, by id
(``by_id``: one lookup per row in its class's id index). Node numbers follow the ids' order, so "then by id" is a
sort of integers; strings sort by code point, as LadybugDB sorts them (Neo4j compares UTF-16 units: the two differ
only between a character beyond U+FFFF and one from U+E000 to U+FFFF). An unordered listing (``ecosystem_links``,
``cluster_chain_graph``) gives its rows in node order: a cut keeps other rows than the Cypher's, as any two reads
may.

What a snapshot cannot see goes to the Cypher: a tie's ``derived`` flag (``sourced_only``). The few property values
the answers need of every node of a class (a cluster's code, a place's admin code, a project's number as a sort key)
are read from the store once per snapshot, as is each snapshot's count of memberships (0.45 s at scale 150): the
first answer after a change pays for them. The snapshot is at most ``topology.FRESH_S`` older than the store, as for
the path answers.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from graph import topology
from graph.store import GraphStore, QueryResult
from graph.topology import Ints, Topology
from queries.topology_reads import (
    CLUSTER,
    MEMBERSHIP,
    NO_STAGE,
    Rows,
    by_id,
    chain_entities,
    clusters_named,
    codes_among,
    hub_values,
    in_clusters,
    of_class,
    property_ranks,
    ranks,
    stage_names,
    ties_into,
)
from queries.topology_route import capped

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
KEY_PRODUCT_COLUMNS = [
    "enterprise",
    "product",
    "listed_industry",
    "roles",
    "stock_code",
    "source_file",
    "source_row",
]
ECOSYSTEM_LINK_COLUMNS = ["from_id", "from_name", "to_id", "to_name", "relationship", "from_stage", "to_stage"]
PROJECTS_LED_COLUMNS = ["project_no", "title", "year", "programme", "lead_institution", "city", "funds_wan_cny"]
CHAIN_GRAPH_COLUMNS = [
    "member_id",
    "from_id",
    "from_name",
    "from_class",
    "from_stage",
    "relationship",
    "to_id",
    "to_name",
    "to_class",
    "to_stage",
    "cluster_id",
    "cluster_name",
]

_lock = threading.Lock()  # the memberships cache: an entry per snapshot, dropped with it


def _routed(
    answer: Callable[[GraphStore, Topology, Mapping[str, Any], int], Rows], columns: list[str]
) -> Callable[..., QueryResult]:
    """A catalogue hook (catalog.INDEXED): the rows from the snapshot when it is ready (and the query does not ask
    for sourced ties only), else the query's Cypher (``body``)."""

    def hook(store: GraphStore, params: Mapping[str, Any], body: str, **read_options: Any) -> QueryResult:
        topo = None if params.get("sourced_only") else topology.current(store)
        if topo is None:
            return store.read(body, params, **read_options)
        _, cap = store.read_limits.within(read_options.get("timeout_s"), read_options.get("row_cap"))
        return capped(store, columns, answer(store, topo, params, cap + 1), read_options)

    return hook


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
            known = Memberships(members, ranked, counts[ranked].astype(np.int32))
        else:
            known = Memberships(members, np.empty(0, np.int32), np.empty(0, np.int32))
        with _lock:
            _memberships[topo] = known
    return known


def shared_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
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


def cluster_entity_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
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
        for row in sorted(details.get(node_id, []), key=lambda r: (r["city"] is None, r["city"] or "")):
            rows.append({"stage": stage, "class": cls, **row})
            if len(rows) == limit:
                return rows
    return rows


# --- entities_without_city ---------------------------------------------------------------------------------------


def without_city_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
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


def district_entity_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
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


# --- cluster_key_products --------------------------------------------------------------------------------------


def key_product_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """A cluster's enterprises and the products each makes (a row each; none: one row without a product), by
    enterprise name, then product name."""
    clusters = clusters_named(store, topo, str(params["cluster"]))
    firms = [ties_into(topo, c, ("IN_CLUSTER",)) for c in clusters]
    members = np.concatenate(firms) if firms else np.empty(0, np.int32)
    members = members[np.isin(topo.class_codes[members], codes_among(topo.classes, ("Enterprise",)))]
    pairs_firm, pairs_product = _products_of(topo, members)
    taken_product = pa.array(np.where(pairs_product < 0, 0, pairs_product), type=pa.int32())
    keys = pa.table(
        {
            "enterprise": topo.name_zh.take(pa.array(pairs_firm, type=pa.int32())),
            "product": pc.if_else(pa.array(pairs_product < 0), None, topo.name_zh.take(taken_product)),
            "firm": pairs_firm,
            "number": pairs_product,
        }
    )
    by = [(c, "ascending", "at_end") for c in ("enterprise", "product", "firm", "number")]
    order = pc.sort_indices(keys, options=pc.SortOptions(sort_keys=by)).to_numpy()[: max(limit, 0)]
    kept = keys.take(pa.array(order))
    details = by_id(
        store,
        topo,
        kept.column("firm").to_numpy(),
        "",
        "e.id AS id, e.listed_industry AS listed_industry, e.roles AS roles, e.stock_code AS stock_code, "
        "e.source_file AS source_file, e.source_row AS source_row",
    )
    firm_ids = topo.ids(kept.column("firm").to_numpy())
    return [
        {"enterprise": firm, "product": product, **{k: v for k, v in details[i][0].items() if k != "id"}}
        for i, firm, product in zip(
            firm_ids, kept.column("enterprise").to_pylist(), kept.column("product").to_pylist(), strict=True
        )
    ]


def _products_of(topo: Topology, firms: Ints) -> tuple[Ints, Ints]:
    """(firm, product) for each PRODUCES tie of these firms to a Product, and (firm, -1) for a firm with none (a
    firm given twice, twice)."""
    owners, positions = topo.entry_positions(firms)
    targets = topo.indices[positions]
    made = topo.outgoing[positions] & np.isin(topo.rel_codes[positions], codes_among(topo.rel_types, ("PRODUCES",)))
    made &= np.isin(topo.class_codes[targets], codes_among(topo.classes, ("Product",)))
    without = np.ones(len(firms), dtype=np.bool_)
    without[owners[made]] = False
    firm = np.concatenate([firms[owners[made]], firms[without]]).astype(np.int32)
    product = np.concatenate([targets[made], np.full(int(without.sum()), -1)]).astype(np.int32)
    return firm, product


# --- ecosystem_links -------------------------------------------------------------------------------------------

CHUNK = 65_536  # entries (or members) looked at a time: an answer cut at the row cap stops early


def ecosystem_link_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """Every non-structural relationship between two chain entities (an enterprise counts as ``industry``), in
    the snapshot's order (the query's rows have none); the first ``limit``."""
    ties = [name for name, rel in store.schema.relationships.items() if not rel.structural]
    wanted = np.isin(np.arange(len(topo.rel_types)), codes_among(topo.rel_types, ties))
    enterprise = np.isin(topo.class_codes, codes_among(topo.classes, ("Enterprise",)))
    stage_of = np.array([*topo.stages, NO_STAGE], dtype=object)
    stages = np.where(enterprise, len(topo.stages), topo.stage_codes)  # an enterprise: industry, whatever its stage
    staged = enterprise | (topo.stage_codes != 0)
    rows: Rows = []
    for start in range(0, len(topo.indices), CHUNK):
        positions = np.arange(start, min(start + CHUNK, len(topo.indices)))
        positions = positions[topo.outgoing[positions] & wanted[topo.rel_codes[positions]]]
        starts = np.searchsorted(topo.indptr, positions, side="right") - 1
        ends = topo.indices[positions]
        keep = staged[starts] & staged[ends]
        starts, ends, kinds = starts[keep], ends[keep], topo.rel_codes[positions[keep]]
        for a, b, kind in zip(starts.tolist(), ends.tolist(), kinds.tolist(), strict=True):
            rows.append(
                {
                    "from_id": topo.id_keys[a].decode(),
                    "from_name": topo.one.name_zh.many([a])[0],
                    "to_id": topo.id_keys[b].decode(),
                    "to_name": topo.one.name_zh.many([b])[0],
                    "relationship": topo.rel_types[kind],
                    "from_stage": stage_of[stages[a]],
                    "to_stage": stage_of[stages[b]],
                }
            )
            if len(rows) >= limit:
                return rows
    return rows


# --- cluster_chain_graph ---------------------------------------------------------------------------------------

PLACING = ("LOCATED_IN", "SERVES_CLUSTER", "IN_CLUSTER", "PART_OF", "IN_INDUSTRY")  # not ties in the picture


def chain_graph_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """A cluster's members and their ties: each tie a member starts (a member without one: a row without a tie),
    then each tie from outside the cluster to a member; member by member in id order, the first ``limit`` rows."""
    stages = stage_names(topo)
    placing = codes_among(topo.rel_types, PLACING)
    rows: Rows = []
    for cluster in clusters_named(store, topo, str(params["cluster"])):
        cluster_id, cluster_name = topo.id_keys[cluster].decode(), topo.one.name_zh.many([cluster])[0]
        members = ties_into(topo, cluster, MEMBERSHIP)
        inside = np.unique(members)

        def node(n: int) -> tuple[str, str | None, str, str]:
            return (
                topo.id_keys[n].decode(),
                topo.one.name_zh.many([n])[0],
                topo.classes[topo.class_codes[n]],
                stages[topo.stage_codes[n]],
            )

        for start in range(0, len(members), CHUNK):
            chunk = members[start : start + CHUNK]
            owners, positions = topo.entry_positions(chunk)
            others, kinds, out = topo.indices[positions], topo.rel_codes[positions], topo.outgoing[positions]
            tie = ~np.isin(kinds, placing)
            started = tie & out
            ended = tie & ~out & ~np.isin(others, inside)
            untied = np.ones(len(chunk), dtype=np.bool_)
            untied[owners[started]] = False
            for at, member in enumerate(chunk.tolist()):
                a = node(member)
                mine = slice(*np.searchsorted(owners, [at, at + 1]))
                outgoing = [(topo.rel_types[k], node(b)) for b, k in _pairs(others[mine], kinds[mine], started[mine])]
                incoming = [(topo.rel_types[k], node(b)) for b, k in _pairs(others[mine], kinds[mine], ended[mine])]
                ties = outgoing if not untied[at] else [(None, (None, None, None, NO_STAGE))]
                for relationship, b in ties:
                    rows.append(_chain_row(a[0], a, relationship, b, cluster_id, cluster_name))
                for relationship, b in incoming:
                    rows.append(_chain_row(a[0], b, relationship, a, cluster_id, cluster_name))
                if len(rows) >= limit:
                    return rows[:limit]
    return rows


def _pairs(others: Ints, kinds: npt.NDArray[np.int8], keep: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    return list(zip(others[keep].tolist(), kinds[keep].tolist(), strict=True))


def _chain_row(
    member: str, a: tuple[Any, ...], relationship: str | None, b: tuple[Any, ...], cluster_id: str, cluster_name: Any
) -> dict[str, Any]:
    return {
        "member_id": member,
        "from_id": a[0],
        "from_name": a[1],
        "from_class": a[2],
        "from_stage": a[3],
        "relationship": relationship,
        "to_id": b[0],
        "to_name": b[1],
        "to_class": b[2],
        "to_stage": b[3],
        "cluster_id": cluster_id,
        "cluster_name": cluster_name,
    }


# --- projects_led_in_guangdong ----------------------------------------------------------------------------------


def projects_led_rows(store: GraphStore, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """Each project led by an organisation located in a city (a row per leader and city), by project number."""
    projects = of_class(topo, "Project")
    owners, positions = topo.entry_positions(projects)
    led = ~topo.outgoing[positions] & np.isin(
        topo.rel_codes[positions], codes_among(topo.rel_types, ("LEADS_PROJECT",))
    )
    project, leader = projects[owners[led]], topo.indices[positions[led]]
    leaders, leader_of_row = np.unique(leader, return_inverse=True)
    owners, positions = topo.entry_positions(leaders)
    places = topo.indices[positions]
    placed = topo.outgoing[positions] & np.isin(topo.rel_codes[positions], codes_among(topo.rel_types, ("LOCATED_IN",)))
    placed &= np.isin(topo.class_codes[places], codes_among(topo.classes, ("City",)))
    city_owner, city = owners[placed], places[placed]  # sorted by owner: entry_positions keeps the nodes' order
    first = np.searchsorted(city_owner, np.arange(len(leaders)))
    cities_of = np.bincount(city_owner, minlength=len(leaders))[leader_of_row]
    # every (project, leader) row once per city of its leader
    row = np.repeat(np.arange(len(project)), cities_of)
    nth = np.arange(len(row)) - np.repeat(np.cumsum(cities_of) - cities_of, cities_of)
    city_of_row = city[first[leader_of_row[row]] + nth] if len(row) else np.empty(0, np.int32)
    number = property_ranks(store, topo, "Project", "project_no")
    order = np.lexsort((city_of_row, leader[row], project[row], number[project[row]]))[: max(limit, 0)]
    kept_project, kept_leader = project[row][order], leader[row][order]
    kept_city = city_of_row[order].astype(np.int32)
    details = by_id(
        store,
        topo,
        kept_project,
        "",
        "e.id AS id, e.project_no AS project_no, e.year AS year, e.programme AS programme, "
        "e.funds_wan_cny AS funds_wan_cny",
    )
    ids, _, titles, _ = topo.rows(kept_project)
    _, _, leader_names, _ = topo.rows(kept_leader)
    _, _, city_names, _ = topo.rows(kept_city)
    return [
        {
            "project_no": details[i][0]["project_no"],
            "title": title,
            "year": details[i][0]["year"],
            "programme": details[i][0]["programme"],
            "lead_institution": lead,
            "city": city_name,
            "funds_wan_cny": details[i][0]["funds_wan_cny"],
        }
        for i, title, lead, city_name in zip(ids, titles, leader_names, city_names, strict=True)
    ]


# --- the catalogue's hooks (catalog.INDEXED) -----------------------------------------------------------------------

shared_entities = _routed(shared_rows, SHARED_COLUMNS)
cluster_entities = _routed(cluster_entity_rows, CLUSTER_ENTITY_COLUMNS)
entities_without_city = _routed(without_city_rows, WITHOUT_CITY_COLUMNS)
city_district_entities = _routed(district_entity_rows, DISTRICT_ENTITY_COLUMNS)
cluster_key_products = _routed(key_product_rows, KEY_PRODUCT_COLUMNS)
ecosystem_links = _routed(ecosystem_link_rows, ECOSYSTEM_LINK_COLUMNS)
cluster_chain_graph = _routed(chain_graph_rows, CHAIN_GRAPH_COLUMNS)
projects_led_in_guangdong = _routed(projects_led_rows, PROJECTS_LED_COLUMNS)
