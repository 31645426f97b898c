"""A city's or a cluster's entities found in the in-memory topology snapshot (graph/topology.py), and what the yearly
report reads of them there: how many, which names they bear, the chain's completeness, a city's key-product rows.

queries/scoped_chain.py reads these from the store by walking out from the city or cluster; for a big city at scale
150 the walks took 2.3 s of the report's 8.4 (the completeness 1.2 s, the names 0.5 s). The snapshot holds what they
need — the typed, directed adjacency, each node's class, chain stage and Chinese name — so when one of the store's
current epoch is ready scoped_chain answers from it, with the same answer (tests/test_topology_scope.py checks every
city and cluster of the bundled data on both stores). The product rows take their firms' other columns (industry,
roles, source) from the store, by id.
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
    SnapshotBehindError,
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
        cities = of_class(topo, CITY)
        anchors = np.array([c for c, name in zip(cities.tolist(), topo.rows(cities)[2], strict=True) if name == key])
        places = np.union1d(anchors, _starts_into(topo, anchors.astype(np.int32), ("PART_OF",)))  # 0 or 1 hop
        return _starts_into(topo, places.astype(np.int32), ("LOCATED_IN",))
    clusters = [c for c, code in hub_values(reads, topo, CLUSTER, "cluster_code").items() if code == key]
    return _starts_into(topo, np.array(clusters, dtype=np.int32), MEMBERSHIP)


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


# The columns of a city's key-product rows (scoped_chain._CITY_PRODUCTS) read from the store, by firm
FIRM_COLUMNS = ("listed_industry", "roles", "stock_code", "source_file", "source_row")
_FIRMS = "UNWIND $ids AS i MATCH (e:Enterprise {id: i}) RETURN e.id AS id, " + ", ".join(
    f"e.{c} AS {c}" for c in FIRM_COLUMNS
)


def product_rows(reads: Reads, topo: Topology, nodes: Ints, clusters: list[str]) -> pa.Table:
    """scoped_chain._CITY_PRODUCTS' rows, spread over their clusters (a ``cluster`` column first) and not sorted, for
    the enterprises among ``nodes``: each ``IN_CLUSTER`` tie of a firm to one of these clusters once for each of its
    ``PRODUCES`` ties (or once with no product). The firms, their ties and names come from the snapshot; the other
    columns from the store by id (SnapshotBehindError when a firm is gone from it)."""
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
    return pa.table({**columns, **_firm_columns(reads, topo, row_firm)})


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


def _firm_columns(reads: Reads, topo: Topology, row_firm: Ints) -> dict[str, pa.Array]:
    """FIRM_COLUMNS of each row's firm, read once per firm by id (119,119 firms of 广州市 at scale 150: 0.5 s)."""
    firms = np.unique(row_firm)  # sorted: each row's firm is found in it by a binary search
    ids = pa.array(topo.ids(firms), type=pa.string())
    read = reads.store.read_columns(_FIRMS, {"ids": ids.to_pylist()}, timeout_s=reads.timeout_s)
    found = pc.index_in(ids, value_set=read.column("id").cast(pa.string()))
    if found.null_count:
        raise SnapshotBehindError(ENTERPRISE)
    at = found.take(pa.array(np.searchsorted(firms, row_firm)))
    return {column: read.column(column).take(at) for column in FIRM_COLUMNS}
