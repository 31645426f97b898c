"""A city's or a cluster's entities found in the in-memory topology snapshot (graph/topology.py), and what the yearly
report reads of them there: how many, which names they bear, the chain's completeness, the sources they come from,
a city's key-product rows, R&D institutions and memberships, and its clusters' key technologies.

queries/scoped_chain.py reads these from the store by walking out from the city or cluster; for a big city at scale
150 the walks took 2.3 s of the report's 8.4 (the completeness 1.2 s, the names 0.5 s). The snapshot holds what they
need — the typed, directed adjacency, each node's class, chain stage and Chinese name — so when one of the store's
current epoch is ready scoped_chain answers from it, with the same answer (tests/test_topology_scope.py checks every
city and cluster of the bundled data on both stores). The sources, the firms' other columns in the product rows
(industry, roles, stock code, source) and a lab's field and level are properties the snapshot keeps
(``KEPT_PROPERTIES``); the snapshot knows which ties are ``derived``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from graph.topology import Ints, Topology
from queries.analytics import CHAIN_LINKS, STAGES, Completeness, scored
from queries.topology_reads import (
    CLUSTER,
    MEMBERSHIP,
    Reads,
    codes_among,
    hub_values,
    of_class,
)

CITY = "City"
ENTERPRISE = "Enterprise"
INDUSTRY = "industry"  # an enterprise's stage in the ecosystem, whatever its chain_stage

_lock = threading.Lock()
_scopes: weakref.WeakKeyDictionary[Topology, dict[tuple[str, str], Ints]] = weakref.WeakKeyDictionary()


def scope_nodes(reads: Reads, topo: Topology, kind: str, key: str) -> Ints:
    """The scope's entities, each once, in node order: for a city (by its Chinese name) those located in it or in a
    place that is part of it (scoped_chain.CITY_SCOPE); for a cluster (by its code) its members, however tied
    (CLUSTER_SCOPE without ``sourced_only``: the snapshot holds no tie's ``derived`` flag). Kept per snapshot: a
    report asks three times (a big city's: 40 ms each at scale 150)."""
    with _lock:
        known = _scopes.setdefault(topo, {}).get((kind, key))
    if known is None:
        known = _find(reads, topo, kind, key)
        known.flags.writeable = False  # shared by every thread
        with _lock:
            _scopes.setdefault(topo, {})[(kind, key)] = known
    return known


def _find(reads: Reads, topo: Topology, kind: str, key: str) -> Ints:
    if kind == "city":
        anchors = _cities_named(topo, key)
        places = np.union1d(anchors, _starts_into(topo, anchors, ("PART_OF",)))  # 0 or 1 hop
        return _starts_into(topo, places.astype(np.int32), ("LOCATED_IN",))
    clusters = [c for c, code in hub_values(reads, topo, CLUSTER, "cluster_code").items() if code == key]
    return _starts_into(topo, np.array(clusters, dtype=np.int32), MEMBERSHIP)


def _cities_named(topo: Topology, name: str) -> Ints:
    cities = of_class(topo, CITY)
    named = [c for c, zh in zip(cities.tolist(), topo.rows(cities)[2], strict=True) if zh == name]
    return np.array(named, dtype=np.int32)


def _clusters_coded(reads: Reads, topo: Topology, codes: list[str]) -> dict[int, str]:
    """The cluster nodes that bear one of these codes, each with its code."""
    wanted = set(codes)
    return {node: code for node, code in hub_values(reads, topo, CLUSTER, "cluster_code").items() if code in wanted}


def _starts_into(topo: Topology, ends: Ints, rel_types: Sequence[str]) -> Ints:
    """The distinct starts of the relationships of these types that end at one of ``ends``."""
    _, positions = topo.entry_positions(ends)
    keep = np.isin(topo.rel_codes[positions], codes_among(topo.rel_types, rel_types)) & ~topo.outgoing[positions]
    return np.unique(topo.indices[positions[keep]]).astype(np.int32)


def names_in(topo: Topology, nodes: Ints, names: set[str]) -> set[str]:
    """Which of these names an entity of ``nodes`` bears (its name_zh)."""
    if not names or not len(nodes):
        return set()
    borne = pc.unique(topo.name_zh.take(pa.array(nodes, type=pa.int32()))).to_pylist()
    return names & {name for name in borne if name is not None}


def completeness(topo: Topology, nodes: Ints, key: str, structural: Sequence[str]) -> Completeness:
    """scoped_chain.scanned_completeness from the snapshot. The scope's staged entities other than enterprises count
    at their stage when the ecosystem knows them: a cluster member, or an end of a link (a tie of a type not in
    ``structural`` to an enterprise or a staged entity). Each such link, once, counts for the consecutive stages it
    joins (an enterprise's stage: ``industry``)."""
    enterprise = topo.classes.index(ENTERPRISE) if ENTERPRISE in topo.classes else -1
    staged = nodes[(topo.stage_codes[nodes] != 0) & (topo.class_codes[nodes] != enterprise)]
    owner, positions = topo.entry_positions(staged)
    partner = topo.indices[positions]
    rel = topo.rel_codes[positions]
    outgoing = topo.outgoing[positions]
    partner_class = topo.class_codes[partner]
    cluster = topo.classes.index(CLUSTER) if CLUSTER in topo.classes else -1
    is_member = np.isin(rel, codes_among(topo.rel_types, MEMBERSHIP)) & outgoing & (partner_class == cluster)
    is_link = ~np.isin(rel, codes_among(topo.rel_types, structural)) & (
        (partner_class == enterprise) | (topo.stage_codes[partner] != 0)
    )
    known = np.zeros(len(staged), dtype=np.bool_)
    known[owner[is_member | is_link]] = True
    # stage names by code, an enterprise's after the snapshot's: equal names compared as names
    names = [*topo.stages, INDUSTRY]
    canonical = np.array([names.index(name) for name in names], dtype=np.int32)
    per_code = np.bincount(canonical[topo.stage_codes[staged[known]]], minlength=len(names))
    counts = {s: int(per_code[names.index(s)]) if s in names else 0 for s in STAGES}
    ends = np.stack(
        [
            np.where(outgoing, staged[owner], partner)[is_link],
            np.where(outgoing, partner, staged[owner])[is_link],
            rel[is_link].astype(np.int32),
        ],
        axis=1,
    )
    links = np.unique(ends, axis=0) if len(ends) else ends  # a link between two staged entities is seen from both
    first, second = (
        canonical[np.where(topo.class_codes[end] == enterprise, len(topo.stages), topo.stage_codes[end])]
        for end in (links[:, 0], links[:, 1])
    )
    linked: dict[tuple[str, str], int] = dict.fromkeys(CHAIN_LINKS, 0)
    for a, b in CHAIN_LINKS:
        if a in names and b in names:
            x, y = names.index(a), names.index(b)
            linked[(a, b)] = int(np.count_nonzero(((first == x) & (second == y)) | ((first == y) & (second == x))))
    return scored(key, counts, linked)


# The columns of a city's key-product rows (scoped_chain._CITY_PRODUCTS) after the firm's and product's names
FIRM_COLUMNS = ("listed_industry", "roles", "stock_code", "source_file", "source_row")
# a row's source, as the list queries name it
SOURCE_OF_ROW = ("source_file", "source_row", "confidence")
# scoped_chain._SOURCES' columns, and the kept property each is
SOURCE_COLUMNS = {"file": "source_file", "url": "source_url", "confidence": "confidence"}


def sources(topo: Topology, nodes: Ints) -> list[dict[str, object]]:
    """scoped_chain._SOURCES from the snapshot: the files, URLs and confidences of these entities (those with a
    source file), with how many entities each, ordered by file, URL and confidence (nulls last)."""
    table = pa.table({column: topo.values(prop, nodes) for column, prop in SOURCE_COLUMNS.items()})
    table = table.filter(pc.is_valid(table.column("file")))
    grouped = table.group_by(list(SOURCE_COLUMNS)).aggregate([([], "count_all")])
    order = pc.sort_indices(grouped, sort_keys=[(c, "ascending", "at_end") for c in SOURCE_COLUMNS])
    grouped = grouped.take(order).rename_columns([*SOURCE_COLUMNS, "entities"])
    rows: list[dict[str, object]] = grouped.select([*SOURCE_COLUMNS, "entities"]).to_pylist()
    return rows


def city_members(reads: Reads, topo: Topology, city: str, clusters: list[str]) -> list[dict[str, object]]:
    """scoped_chain._CITY_MEMBERS from the snapshot: the memberships in these clusters of the staged entities located
    in a City of this name itself (not a district), a row per ``LOCATED_IN`` tie and membership (its ``derived``)."""
    anchors = _cities_named(topo, city)
    owner, positions = topo.entry_positions(anchors)
    located = np.isin(topo.rel_codes[positions], codes_among(topo.rel_types, ("LOCATED_IN",)))
    entities = topo.indices[positions[located & ~topo.outgoing[positions]]]
    staged = np.array([stage in STAGES for stage in topo.stages], dtype=np.bool_)  # no stage: 'industry', not one
    entities = entities[staged[topo.stage_codes[entities]]]
    code_of = _clusters_coded(reads, topo, clusters)
    hub = np.zeros(topo.node_count, dtype=np.bool_)
    hub[np.fromiter(code_of, dtype=np.int64, count=len(code_of))] = True
    owner, positions = topo.entry_positions(entities)
    partner = topo.indices[positions]
    member = np.isin(topo.rel_codes[positions], codes_among(topo.rel_types, MEMBERSHIP)) & topo.outgoing[positions]
    member &= hub[partner]
    entity = entities[owner[member]]
    stages = [topo.stages[code] for code in topo.stage_codes[entity].tolist()]
    return [
        {"cluster": code_of[c], "id": i, "stage": s, "derived": d}
        for c, i, s, d in zip(
            partner[member].tolist(), topo.ids(entity), stages, topo.derived[positions[member]].tolist(), strict=True
        )
    ]


# scoped_chain._CITY_INSTITUTIONS' classes
INSTITUTION_CLASSES = ("Laboratory", "ResearchInstitution", "University", "InnovationCenter", "ResearchInfrastructure")


def city_institutions(reads: Reads, topo: Topology, city: str, clusters: list[str]) -> list[dict[str, object]]:
    """scoped_chain._CITY_INSTITUTIONS from the snapshot: for each institution located in a City of this name, a row
    per ``SERVES_CLUSTER`` tie to one of these clusters and per ``LOCATED_IN`` tie to a City of this name, with its
    hosts' names (``HOSTED_BY``/``LED_BY``), sorted; in that query's order (class, institution, source file and row,
    nulls last)."""
    anchors = _cities_named(topo, city)
    anchor = np.zeros(topo.node_count, dtype=np.bool_)
    anchor[anchors] = True
    located = _starts_into(topo, anchors, ("LOCATED_IN",))
    found = located[np.isin(topo.class_codes[located], codes_among(topo.classes, INSTITUTION_CLASSES))]
    code_of = _clusters_coded(reads, topo, clusters)
    owner, positions = topo.entry_positions(found)
    partner, rel, outgoing = topo.indices[positions], topo.rel_codes[positions], topo.outgoing[positions]
    serves = np.isin(rel, codes_among(topo.rel_types, ("SERVES_CLUSTER",))) & outgoing
    hosted = np.isin(rel, codes_among(topo.rel_types, ("HOSTED_BY", "LED_BY"))) & outgoing
    placed = np.isin(rel, codes_among(topo.rel_types, ("LOCATED_IN",))) & outgoing & anchor[partner]
    ties: list[list[str]] = [[] for _ in found]
    hosts: list[set[str]] = [set() for _ in found]
    places = np.bincount(owner[placed], minlength=len(found)).tolist()
    for at, node in zip(owner[serves].tolist(), partner[serves].tolist(), strict=True):
        if node in code_of:
            ties[at].append(code_of[node])
    host_names = topo.name_zh.take(pa.array(partner[hosted], type=pa.int32())).to_pylist()
    for at, name in zip(owner[hosted].tolist(), host_names, strict=True):
        if name is not None:  # collect() leaves out a null
            hosts[at].add(name)
    entity = {column: topo.values(column, found).to_pylist() for column in ("level", *SOURCE_OF_ROW)}
    names = topo.name_zh.take(pa.array(found, type=pa.int32())).to_pylist()
    classes = [topo.classes[code] for code in topo.class_codes[found].tolist()]
    rows: list[dict[str, object]] = [
        {"cluster": code, "institution": names[i], "class": classes[i], "level": entity["level"][i],
         "hosts": sorted(hosts[i]), "city": city, **{column: entity[column][i] for column in SOURCE_OF_ROW}}
        for i in range(len(found))
        for code in ties[i]
        for _ in range(places[i])
    ]  # fmt: skip
    order = ("class", "institution", "source_file", "source_row")
    return sorted(rows, key=lambda r: tuple((r[k] is None, r[k] if r[k] is not None else "") for k in order))


# cluster_key_technologies' entities: a Technology, or one of the others with a research field
TECHNOLOGY_CLASSES = ("Technology", "Laboratory", "ResearchInfrastructure", "InnovationCenter")


def key_technologies(reads: Reads, topo: Topology, clusters: list[str]) -> dict[str, list[dict[str, object]]]:
    """scoped_chain._CLUSTERS_TECHNOLOGIES from the snapshot: cluster_key_technologies' rows for each cluster code, a
    row per ``SERVES_CLUSTER`` tie, ordered by technology and entity (nulls last)."""
    found: dict[str, list[dict[str, object]]] = {code: [] for code in clusters}
    code_of = _clusters_coded(reads, topo, clusters)
    hubs = np.array(sorted(code_of), dtype=np.int32)
    owner, positions = topo.entry_positions(hubs)
    partner = topo.indices[positions]
    served = np.isin(topo.rel_codes[positions], codes_among(topo.rel_types, ("SERVES_CLUSTER",)))
    served &= ~topo.outgoing[positions] & np.isin(
        topo.class_codes[partner], codes_among(topo.classes, TECHNOLOGY_CLASSES)
    )
    entity, hub = partner[served], hubs[owner[served]]
    field = topo.values("field", entity)
    technology = topo.classes.index("Technology") if "Technology" in topo.classes else -1
    names = topo.name_zh.take(pa.array(entity, type=pa.int32()))
    table = pa.table(
        {
            "cluster": pa.array([code_of[node] for node in hub.tolist()], type=pa.string()),
            "technology": pc.coalesce(field, names),
            "from_class": pa.array([topo.classes[c] for c in topo.class_codes[entity].tolist()], type=pa.string()),
            "from_entity": names,
            **{column: topo.values(column, entity) for column in SOURCE_OF_ROW},
        }
    ).filter(pc.or_(pa.array(topo.class_codes[entity] == technology), pc.is_valid(field)))
    order = pc.sort_indices(
        table, sort_keys=[("technology", "ascending", "at_end"), ("from_entity", "ascending", "at_end")]
    )
    for row in table.take(order).to_pylist():
        found[row.pop("cluster")].append(row)
    return found


def product_rows(reads: Reads, topo: Topology, nodes: Ints, clusters: list[str]) -> pa.Table:
    """scoped_chain._CITY_PRODUCTS' rows, spread over their clusters (a ``cluster`` column first) and sorted as
    ``city_products`` sorts them, for the enterprises among ``nodes``: each ``IN_CLUSTER`` tie of a firm to one of
    these clusters once for each of its ``PRODUCES`` ties (or once with no product). All from the snapshot: the firms,
    their ties, names and other columns (FIRM_COLUMNS, kept properties)."""
    enterprise = topo.classes.index(ENTERPRISE) if ENTERPRISE in topo.classes else -1
    firms = nodes[topo.class_codes[nodes] == enterprise]
    owner, positions = topo.entry_positions(firms)
    partner, rel, outgoing = topo.indices[positions], topo.rel_codes[positions], topo.outgoing[positions]
    place_of = {code: i for i, code in reversed(list(enumerate(clusters)))}  # a code given twice: its first place
    places = np.full(topo.node_count, -1, dtype=np.int32)
    for node, code in hub_values(reads, topo, CLUSTER, "cluster_code").items():
        places[node] = place_of.get(code, -1)
    in_cluster = np.isin(rel, codes_among(topo.rel_types, ("IN_CLUSTER",))) & outgoing & (places[partner] >= 0)
    product = topo.classes.index("Product") if "Product" in topo.classes else -1
    produces = np.isin(rel, codes_among(topo.rel_types, ("PRODUCES",))) & outgoing
    produces &= topo.class_codes[partner] == product
    tie_firm, tie_place = owner[in_cluster], places[partner[in_cluster]]  # a row per tie to a cluster asked
    row_tie, row_product = _per_product(len(firms), tie_firm, owner[produces], partner[produces])
    row_firm = firms[tie_firm[row_tie]]
    has = row_product >= 0
    product_names = topo.name_zh.take(pa.array(np.maximum(row_product, 0), type=pa.int32()))
    columns: dict[str, pa.Array] = {
        "cluster": pa.array([clusters[p] for p in tie_place[row_tie].tolist()], type=pa.string()),
        "enterprise": topo.name_zh.take(pa.array(row_firm, type=pa.int32())),
        "product": pc.if_else(pa.array(has), product_names, pa.nulls(len(has), pa.string())),
    }
    # by cluster (its place in ``clusters``), firm name, product name (none last), stably: by the names' ranks in one
    # integer (below 2**63 up to 20 million nodes and 20,000 clusters)
    base = topo.node_count + 2
    product_rank = np.where(has, topo.name_rank[np.maximum(row_product, 0)], topo.node_count + 1)
    key = (tie_place[row_tie].astype(np.int64) * base + topo.name_rank[row_firm]) * base + product_rank
    order = pa.array(np.argsort(key, kind="stable"))
    table = pa.table({**columns, **{column: topo.values(column, row_firm) for column in FIRM_COLUMNS}})
    return table.take(order)


def _per_product(
    firm_count: int, tie_firm: npt.NDArray[np.int64], made_by: npt.NDArray[np.int64], made: Ints
) -> tuple[npt.NDArray[np.int64], Ints]:
    """Each cluster tie repeated once per product of its firm (once when it has none): the tie of each row, and its
    product (-1: none). ``made_by`` (the firm of each product tie) is in firm order: entries come node by node."""
    per_firm = np.bincount(made_by, minlength=firm_count)
    starts = np.cumsum(per_firm) - per_firm
    repeats = np.maximum(per_firm[tie_firm], 1)
    row_tie = np.repeat(np.arange(len(tie_firm)), repeats)
    within = np.arange(len(row_tie)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    has = per_firm[tie_firm][row_tie] > 0
    row_product = np.full(len(row_tie), -1, dtype=np.int32)
    row_product[has] = made[(starts[tie_firm][row_tie] + within)[has]]
    return row_tie, row_product
