"""Listings of ties answered from the in-memory topology (graph/topology.py) when its snapshot is ready, with the same
rows as their Cypher; the Cypher body answers otherwise (queries/topology_reads.py ``routed``). As in
queries/topology_lists.py: rows found and sorted in the snapshot, the kept rows' other columns read by id.

An unordered listing (``ecosystem_links``, ``cluster_chain_graph``) gives its rows in node order, and stops at the row
cap: a cut keeps other rows than the Cypher's, as any two reads may.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.topology import Ints, Topology
from queries.topology_reads import (
    MEMBERSHIP,
    NO_STAGE,
    Reads,
    Rows,
    by_id,
    clusters_named,
    codes_among,
    of_class,
    property_ranks,
    routed,
    stage_names,
    ties_into,
)

KEY_PRODUCT_COLUMNS = [
    "enterprise",
    "product",
    "listed_industry",
    "roles",
    "stock_code",
    "source_file",
    "source_row",
]
PROJECTS_LED_COLUMNS = ["project_no", "title", "year", "programme", "lead_institution", "city", "funds_wan_cny"]
ECOSYSTEM_LINK_COLUMNS = ["from_id", "from_name", "to_id", "to_name", "relationship", "from_stage", "to_stage"]
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
CHUNK = 65_536  # entries (or members) looked at a time: an answer cut at the row cap stops early
PLACING = ("LOCATED_IN", "SERVES_CLUSTER", "IN_CLUSTER", "PART_OF", "IN_INDUSTRY")  # not ties in the chain's picture


# --- cluster_key_products --------------------------------------------------------------------------------------


def key_product_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
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
    makers, products = _ties(topo, firms, "PRODUCES", outgoing=True, to_class="Product")
    without = firms[~np.isin(firms, makers)]
    firm = np.concatenate([makers, without]).astype(np.int32)
    return firm, np.concatenate([products, np.full(len(without), -1)]).astype(np.int32)


# --- projects_led_in_guangdong ----------------------------------------------------------------------------------


def projects_led_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """Each project led by an organisation located in a city (a row per leader and city), by project number."""
    project, leader = _ties(topo, of_class(topo, "Project"), "LEADS_PROJECT", outgoing=False)
    # the leaders' cities: a (leader, city) pair per LOCATED_IN tie from a leader to a City
    leaders, leader_of_tie = np.unique(leader, return_inverse=True)
    located, city = _ties(topo, leaders, "LOCATED_IN", outgoing=True, to_class="City")
    # each (project, leader) tie repeated once per city of its leader (none: no row, as the query's MATCH)
    first_city = np.searchsorted(located, leaders)  # _ties keeps the nodes' order: each leader's cities together
    city_count = np.bincount(np.searchsorted(leaders, located), minlength=len(leaders))[leader_of_tie]
    tie_of_row = np.repeat(np.arange(len(project)), city_count)
    nth = np.arange(len(tie_of_row)) - np.repeat(np.cumsum(city_count) - city_count, city_count)
    city_of_row = city[first_city[leader_of_tie[tie_of_row]] + nth]
    number = property_ranks(store, topo, "Project", "project_no")
    rows_project, rows_leader = project[tie_of_row], leader[tie_of_row]
    order = np.lexsort((city_of_row, rows_leader, rows_project, number[rows_project]))[: max(limit, 0)]
    kept_project, kept_leader, kept_city = rows_project[order], rows_leader[order], city_of_row[order]
    details = by_id(
        store,
        topo,
        kept_project,
        "",
        "e.id AS id, e.project_no AS project_no, e.year AS year, e.programme AS programme, "
        "e.funds_wan_cny AS funds_wan_cny",
    )
    ids, _, titles, _ = topo.rows(kept_project)
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
        for i, title, lead, city_name in zip(
            ids, titles, topo.rows(kept_leader)[2], topo.rows(kept_city)[2], strict=True
        )
    ]


def _ties(
    topo: Topology, nodes: Ints, rel_type: str, *, outgoing: bool, to_class: str | None = None
) -> tuple[Ints, Ints]:
    """(node, other end) for each relationship of this type that ``nodes`` start (``outgoing``) or end, in the
    order of ``nodes``; only those whose other end is of ``to_class``, when given."""
    owners, positions = topo.entry_positions(nodes)
    others = topo.indices[positions]
    keep = (topo.outgoing[positions] == outgoing) & np.isin(
        topo.rel_codes[positions], codes_among(topo.rel_types, (rel_type,))
    )
    if to_class is not None:
        keep &= np.isin(topo.class_codes[others], codes_among(topo.classes, (to_class,)))
    return nodes[owners[keep]].astype(np.int32), others[keep]


# --- ecosystem_links -------------------------------------------------------------------------------------------


def ecosystem_link_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """Every non-structural relationship between two chain entities (an enterprise's stage is ``industry``), in
    the snapshot's order (the query's rows have none); the first ``limit``."""
    if limit <= 0:
        return []
    ties = [name for name, rel in store.schema.relationships.items() if not rel.structural]
    wanted = np.isin(np.arange(len(topo.rel_types)), codes_among(topo.rel_types, ties))
    enterprise = np.isin(topo.class_codes, codes_among(topo.classes, ("Enterprise",)))
    stage_names_of = np.array([*topo.stages, NO_STAGE], dtype=object)  # the last: an enterprise's, whatever it holds
    stage_of_node = np.where(enterprise, len(topo.stages), topo.stage_codes)
    in_chain = enterprise | (topo.stage_codes != 0)
    rows: Rows = []
    for start in range(0, len(topo.indices), CHUNK):
        positions = np.arange(start, min(start + CHUNK, len(topo.indices)))
        positions = positions[topo.outgoing[positions] & wanted[topo.rel_codes[positions]]]
        starts = np.searchsorted(topo.indptr, positions, side="right") - 1  # the row each entry is in
        ends = topo.indices[positions]
        keep = (in_chain[starts] & in_chain[ends]).nonzero()[0][: limit - len(rows)]
        starts, ends, kinds = starts[keep], ends[keep], topo.rel_codes[positions[keep]]
        from_ids, _, from_names, _ = topo.rows(starts)
        to_ids, _, to_names, _ = topo.rows(ends)
        from_stages, to_stages = stage_names_of[stage_of_node[starts]], stage_names_of[stage_of_node[ends]]
        for at, kind in enumerate(kinds.tolist()):
            rows.append(
                {
                    "from_id": from_ids[at],
                    "from_name": from_names[at],
                    "to_id": to_ids[at],
                    "to_name": to_names[at],
                    "relationship": topo.rel_types[kind],
                    "from_stage": from_stages[at],
                    "to_stage": to_stages[at],
                }
            )
        if len(rows) == limit:
            return rows
    return rows


# --- cluster_chain_graph ---------------------------------------------------------------------------------------


def chain_graph_rows(store: Reads, topo: Topology, params: Mapping[str, Any], limit: int) -> Rows:
    """A cluster's members and their ties: each tie a member starts (a member without one: a row without a tie),
    and each tie from outside the cluster to a member; member by member in id order, the first ``limit`` rows.
    Built as arrays and turned into rows once (the app's pages render in the same Python threads)."""
    placing = codes_among(topo.rel_types, PLACING)
    rows: Rows = []
    for cluster in clusters_named(store, topo, str(params["cluster"])):
        about = {"cluster_id": topo.id_keys[cluster].decode(), "cluster_name": topo.one.name_zh.many([cluster])[0]}
        members = ties_into(topo, cluster, MEMBERSHIP)
        inside = np.unique(members)
        for start in range(0, len(members), CHUNK):
            chunk = members[start : start + CHUNK]
            owners, positions = topo.entry_positions(chunk)
            others, kinds, out = topo.indices[positions], topo.rel_codes[positions], topo.outgoing[positions]
            tie = ~np.isin(kinds, placing)
            started = tie & out
            ended = tie & ~out & ~np.isin(others, inside)  # a tie from another member is that member's own
            untied = np.ones(len(chunk), dtype=np.bool_)
            untied[owners[started]] = False
            none = np.full(int(untied.sum()), -1, dtype=np.int64)
            # one row per started tie, per member without one, per ended tie: (member's place, from, type, to)
            place = np.concatenate([owners[started], np.flatnonzero(untied), owners[ended]])
            source = np.concatenate([chunk[owners[started]], chunk[untied], others[ended]])
            kind = np.concatenate([kinds[started], none, kinds[ended]])
            target = np.concatenate([others[started], none, chunk[owners[ended]]])
            order = np.argsort(place, kind="stable")[: limit - len(rows)]  # member by member, own ties first
            rows += _chain_rows(topo, chunk[place[order]], source[order], kind[order], target[order], about)
            if len(rows) >= limit:
                return rows
    return rows


def _chain_rows(topo: Topology, member: Ints, source: Ints, kind: Ints, target: Ints, about: dict[str, Any]) -> Rows:
    """The rows of ties given as arrays (a kind and target of -1: no tie), their ends read in bulk."""
    stages = stage_names(topo)
    tied = target >= 0
    ends = np.where(tied, target, source)  # a row without a tie reads its source in place of the missing end
    source_ids, source_classes, source_names, _ = topo.rows(source)
    end_ids, end_classes, end_names, _ = topo.rows(ends)
    member_ids = topo.ids(member)
    source_stages = [stages[c] for c in topo.stage_codes[source].tolist()]
    end_stages = [stages[c] for c in topo.stage_codes[ends].tolist()]
    rows: Rows = []
    for at, (is_tie, k) in enumerate(zip(tied.tolist(), kind.tolist(), strict=True)):
        rows.append(
            {
                "member_id": member_ids[at],
                "from_id": source_ids[at],
                "from_name": source_names[at],
                "from_class": source_classes[at],
                "from_stage": source_stages[at],
                "relationship": topo.rel_types[k] if is_tie else None,
                "to_id": end_ids[at] if is_tie else None,
                "to_name": end_names[at] if is_tie else None,
                "to_class": end_classes[at] if is_tie else None,
                "to_stage": end_stages[at] if is_tie else NO_STAGE,
                **about,
            }
        )
    return rows


# --- the catalogue's hooks (catalog.INDEXED) -----------------------------------------------------------------------

cluster_key_products = routed(key_product_rows, KEY_PRODUCT_COLUMNS)
projects_led_in_guangdong = routed(projects_led_rows, PROJECTS_LED_COLUMNS)
ecosystem_links = routed(ecosystem_link_rows, ECOSYSTEM_LINK_COLUMNS)
cluster_chain_graph = routed(chain_graph_rows, CHAIN_GRAPH_COLUMNS)
