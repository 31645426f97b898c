"""One city's or one cluster's chain, read from the store around that scope alone (the yearly report, and the chain
page's score for a cluster with more ties than the row cap).

The report's numbers used to come from whole-graph pulls: every membership and every link of the ecosystem, and
every member of each of a city's clusters. At a million nodes that took minutes. These reads start from the
scope — a city and its districts, or a cluster — and return only what touches it: counts where a count is all
the report says, rows only where it needs them. ``tests/test_scoped_chain.py`` checks each answer equals the
whole-graph computation (``Ecosystem.pull`` and the named queries) for every city and cluster, on both stores.

Why the chain completeness needs only non-enterprise entities: ``completeness`` counts the five stages and the
links between consecutive stages; an enterprise's stage in the ecosystem is always ``industry``, so neither an
enterprise nor a link with an enterprise at one end can count. A link to an enterprise still matters in one way:
it puts its other end into the ecosystem (``Ecosystem.pull`` knows an entity's stage only when the entity is a
cluster member or a link's end), so such links are read too.

When the app's in-memory snapshot of the store's current epoch is ready (graph/topology.py), a scope's entities — and
from them its count, its names, its sources, a city's completeness, memberships, R&D institutions and key products,
and its clusters' key technologies — are found there instead (queries/topology_scope.py; at scale 150 these reads
took most of a big city's report). The others (how many cities hold a cluster's entities; a cluster's members by
stated ties alone) still read the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph import aggregates, chain_tallies
from graph.schema import Schema
from graph.store import GraphStore
from graph.tally_rows import MEMBERSHIPS
from graph.topology import Ints, Topology
from queries import topology_scope
from queries.analytics import CHAIN_LINKS, STAGES, Completeness, Ecosystem, completeness, scored
from queries.arrow_rows import ArrowRows
from queries.catalog import expand_macros
from queries.topology_reads import Reads, fresh_snapshot

# The relationships that place or classify an entity rather than tie it to another (as ecosystem_links.cypher).
STRUCTURAL = [
    "LOCATED_IN",
    "SERVES_CLUSTER",
    "IN_CLUSTER",
    "PART_OF",
    "IN_INDUSTRY",
    "BROADER",
    "HAS_MEASURE",
    "HAS_TARGET",
    "RESPONSIBLE_FOR",
    "ISSUED_BY",
    "ADDRESSES_STAGE",
    "LEADS_CLUSTER",
]

# Each scope ends in `WITH DISTINCT e`: one row per entity in the scope.
# A city's: from the city and its districts to their entities (a place tested in a WHERE is a scan of every
# LOCATED_IN tie of the graph: 3 s for Guangzhou at a million nodes, where the walk takes 0.5 s).
CITY_SCOPE = """
MATCH (city:City)
WHERE city.name_zh = $city
MATCH (place)-[:PART_OF*0..1]->(city)
MATCH (e)-[:LOCATED_IN]->(place)
WITH DISTINCT e
"""
CLUSTER_SCOPE = """
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH DISTINCT e
"""
# The cluster's members that can count in its chain: the ontology gives ``IN_CLUSTER`` to enterprises alone, so
# reading only the membership types a non-enterprise class may start skips the cluster's enterprises (up to
# 300,000 at a million nodes) instead of reading and dropping each one.
_STAGED = "WHERE e.chain_stage IS NOT NULL AND ckg_label(e) <> 'Enterprise'\n"
_PARTNER_STAGE = "CASE WHEN ckg_label({n}) = 'Enterprise' THEN 'industry' ELSE {n}.chain_stage END"

_STAGED_ENTITIES = (
    _STAGED
    + """OPTIONAL MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(:IndustryCluster)
RETURN e.id AS id, e.chain_stage AS stage, count(m) AS memberships"""
)
_LINKS_OUT = (
    _STAGED
    + f"""MATCH (e)-[r]->(b)
WHERE NOT ckg_type(r) IN $structural AND (ckg_label(b) = 'Enterprise' OR b.chain_stage IS NOT NULL)
RETURN e.id AS from_id, b.id AS to_id, ckg_type(r) AS relationship, {_PARTNER_STAGE.format(n="b")} AS other_stage"""
)
_LINKS_IN = (
    _STAGED
    + f"""MATCH (a)-[r]->(e)
WHERE NOT ckg_type(r) IN $structural AND (ckg_label(a) = 'Enterprise' OR a.chain_stage IS NOT NULL)
RETURN a.id AS from_id, e.id AS to_id, ckg_type(r) AS relationship, {_PARTNER_STAGE.format(n="a")} AS other_stage"""
)
# A cluster's kept member counts and stage links (graph/chain_tallies.py), for its completeness.
_KEPT = """
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster
MATCH (t:Tally)
WHERE t.tally_cluster = c.id AND t.tally_kind IN $kinds
RETURN t.tally_kind AS kind, t.tally_stage AS stage, t.tally_class AS class, t.tally_detail AS detail,
       t.tally_count AS n
"""
_SOURCES = """WHERE e.source_file IS NOT NULL
RETURN e.source_file AS file, e.source_url AS url, e.confidence AS confidence, count(*) AS entities
ORDER BY file, url, confidence"""
_COUNT = "RETURN count(*) AS entities"
_CITIES = """OPTIONAL MATCH (e)-[:LOCATED_IN]->(place:City)
RETURN DISTINCT place.name_zh AS city"""
# Every name in the scope, matched against the wanted ones in Python: a test of each entity against a list of
# thousands of names took 3–6 s for a big city at a million nodes, reading the names 0.5 s.
_NAMES = "RETURN DISTINCT e.name_zh AS name"

# A city's entities located in the City itself (not a district), by cluster, stage and tie: the report's table of
# stages per cluster, as the rows of cluster_entities whose city is this one.
_CITY_MEMBERS = """
MATCH (city:City)
WHERE city.name_zh = $city
MATCH (e)-[:LOCATED_IN]->(city)
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE c.cluster_code IN $clusters AND coalesce(e.chain_stage, 'industry') IN $stages
RETURN c.cluster_code AS cluster, e.id AS id, e.chain_stage AS stage, coalesce(m.derived, false) AS derived
"""
# The key-product rows of the city's enterprises in each of the clusters asked: one walk of the city's enterprises for
# every cluster, where a walk of each cluster's members tested the place of each (8 s for Guangzhou's 20 clusters
# at a million nodes, against 2 s). An enterprise comes once with its clusters' codes, not once per cluster: a third
# of the rows to carry (on Neo4j the driver's decoding of 300,000 rows was most of the time). Not sorted by the
# database, which held every row in the buffer pool (深圳市's 700,000 overflowed 1 GiB). Read whole, 深圳市's rows at
# scale 150 fit a 1 GiB pool, the smallest default (not 512 MiB).
_CITY_PRODUCTS = """
MATCH (city:City)
WHERE city.name_zh = $city
MATCH (place)-[:PART_OF*0..1]->(city)
MATCH (e:Enterprise)-[:LOCATED_IN]->(place)
WITH DISTINCT e
MATCH (e)-[:IN_CLUSTER]->(c:IndustryCluster)
WHERE c.cluster_code IN $clusters
WITH e, collect(c.cluster_code) AS clusters
OPTIONAL MATCH (e)-[:PRODUCES]->(p:Product)
RETURN clusters, e.name_zh AS enterprise, p.name_zh AS product, e.listed_industry AS listed_industry,
       e.roles AS roles, e.stock_code AS stock_code, e.source_file AS source_file, e.source_row AS source_row
"""

# The rows of cluster_rd_institutions whose city is this one, for all the city's clusters in one read (a query per
# cluster took about 1 s for 广州市's 20 at scale 150): institutions located in a City of this name that serve one of
# the clusters, each row as that query makes it (an institution with its hosts, a city per row), in its order within
# each cluster. Its hosts are sorted here: neither store sorts a list in the same words.
_CITY_INSTITUTIONS = """
MATCH (city:City)
WHERE city.name_zh = $city
MATCH (e)-[:LOCATED_IN]->(city)
WHERE ckg_label(e) IN ['Laboratory', 'ResearchInstitution', 'University', 'InnovationCenter', 'ResearchInfrastructure']
WITH DISTINCT e
MATCH (e)-[:SERVES_CLUSTER]->(c:IndustryCluster)
WHERE c.cluster_code IN $clusters
OPTIONAL MATCH (e)-[:HOSTED_BY|LED_BY]->(h)
WITH c, e, collect(DISTINCT h.name_zh) AS hosts
OPTIONAL MATCH (e)-[:LOCATED_IN]->(place:City)
WITH c, e, hosts, place
WHERE place.name_zh = $city
RETURN c.cluster_code AS cluster, e.name_zh AS institution, ckg_label(e) AS class, e.level AS level,
       hosts, place.name_zh AS city, e.source_file AS source_file, e.source_row AS source_row,
       e.confidence AS confidence
ORDER BY class, institution, source_file, source_row
"""
# cluster_key_technologies for several clusters in one read, each row beginning with its cluster's code (a city's
# report asks for its 20 clusters: 20 queries took 0.27 s of 广州市's 0.8 s at scale 150)
_CLUSTERS_TECHNOLOGIES = """
MATCH (c:IndustryCluster)
WHERE c.cluster_code IN $clusters
MATCH (e)-[:SERVES_CLUSTER]->(c)
WHERE ckg_label(e) IN ['Technology', 'Laboratory', 'ResearchInfrastructure', 'InnovationCenter']
  AND (ckg_label(e) = 'Technology' OR e.field IS NOT NULL)
RETURN c.cluster_code AS cluster, coalesce(e.field, e.name_zh) AS technology, ckg_label(e) AS from_class,
       e.name_zh AS from_entity, e.source_file AS source_file, e.source_row AS source_row, e.confidence AS confidence
ORDER BY cluster, technology, from_entity
"""


@dataclass(frozen=True)
class Scope:
    """A city (by its Chinese name) or a cluster (by its code; with ``sourced_only``, the members whose tie a source
    states, as the chain page's toggle)."""

    kind: str  # city | cluster
    key: str
    sourced_only: bool = False

    @property
    def anchor(self) -> str:
        return CITY_SCOPE if self.kind == "city" else CLUSTER_SCOPE

    def staged_anchor(self, schema: Schema) -> str:
        """The anchor for the scope's staged, non-enterprise entities (a superset of them: ``_STAGED`` filters)."""
        if self.kind == "city":
            return CITY_SCOPE
        types = [t for t in MEMBERSHIPS if set(schema.rel_type(t).domain) - {"Enterprise"}]
        return CLUSTER_SCOPE.replace("|".join(MEMBERSHIPS), "|".join(types))

    @property
    def params(self) -> dict[str, Any]:
        return {"city": self.key} if self.kind == "city" else {"cluster": self.key, "sourced_only": self.sourced_only}


def _rows(
    store: GraphStore,
    scope: Scope,
    tail: str,
    timeout_s: float | None = None,
    *,
    staged: bool = False,
    **params: Any,
) -> list[dict[str, Any]]:
    anchor = scope.staged_anchor(store.schema) if staged else scope.anchor
    text = expand_macros(store.backend, anchor + tail)
    # as Arrow columns: a large cluster's ties run to 100,000 rows, read for the chain page's score
    rows: list[dict[str, Any]] = store.read_columns(text, {**scope.params, **params}, timeout_s=timeout_s).to_pylist()
    return rows


def chain_completeness(store: GraphStore, scope: Scope, *, timeout_s: float | None = None) -> Completeness:
    """The scope's chain completeness, equal to ``completeness(entities, Ecosystem.pull(store), key)`` for a
    city's staged entities (its districts included) or a cluster's members, and to the chain page's score from the
    whole of ``cluster_chain_graph`` (``Ecosystem.of_cluster``) for a cluster, ``sourced_only`` or not. A cluster's
    comes from the counts every write keeps (graph/chain_tallies.py) when the store's are of this version."""
    if scope.kind == "cluster":
        kept = kept_completeness(store, scope)
        if kept is not None:
            return kept
    found = _in_snapshot(store, scope)
    if found is not None:
        return topology_scope.completeness(*found, scope.key, STRUCTURAL)
    return scanned_completeness(store, scope, timeout_s=timeout_s)


def _in_snapshot(store: GraphStore, scope: Scope) -> tuple[Topology, Ints] | None:
    """The store's in-memory snapshot and the scope's entities in it, when a snapshot of the store's current epoch is
    ready and the scope needs no tie's ``derived`` flag (queries/topology_scope.py); else None."""
    topo = None if scope.sourced_only else fresh_snapshot(store)
    return None if topo is None else (topo, topology_scope.scope_nodes(Reads(store), topo, scope.kind, scope.key))


def kept_completeness(store: GraphStore, scope: Scope) -> Completeness | None:
    """A cluster's completeness from the kept counts; None when the store's counts are of an older version."""
    if not aggregates.is_current(aggregates.read_epoch(store)):
        return None
    members, links = (
        (chain_tallies.MEMBERS_SOURCED, chain_tallies.LINKS_SOURCED)
        if scope.sourced_only
        else (chain_tallies.MEMBERS, chain_tallies.LINKS)
    )
    counts = dict.fromkeys(STAGES, 0)
    linked = dict.fromkeys(CHAIN_LINKS, 0)
    for row in store.read(_KEPT, {"cluster": scope.key, "kinds": [members, links]}).rows:
        if row["kind"] == members and row["class"] != "Enterprise" and row["stage"] in counts:
            counts[row["stage"]] += int(row["n"])
        elif row["kind"] == links and (row["stage"], row["detail"]) in linked:
            linked[(row["stage"], row["detail"])] += int(row["n"])
    return scored(scope.key, counts, linked)


def scanned_completeness(store: GraphStore, scope: Scope, *, timeout_s: float | None = None) -> Completeness:
    """The scope's completeness read from its entities and their links (a city's always; a cluster's when the
    store's kept counts are of an older version)."""
    staged = _rows(store, scope, _STAGED_ENTITIES, timeout_s, staged=True)  # a page passes its time limit
    links: set[tuple[str, str, str]] = set()
    stage: dict[str, str] = {}
    for row in staged:
        if row["memberships"]:  # a member's stage is known to the ecosystem
            stage[row["id"]] = row["stage"]
    own = {row["id"]: row["stage"] for row in staged}
    for tail, ours, theirs in ((_LINKS_OUT, "from_id", "to_id"), (_LINKS_IN, "to_id", "from_id")):
        for row in _rows(store, scope, tail, timeout_s, staged=True, structural=STRUCTURAL):
            links.add((row["from_id"], row["to_id"], row["relationship"]))
            stage.setdefault(row[ours], own[row[ours]])  # a link's end is known to the ecosystem too
            stage.setdefault(row[theirs], row["other_stage"])
    local = Ecosystem(members={}, stage=stage, names={}, links=sorted(links))
    return completeness(set(own), local, scope.key)


def sources(store: GraphStore, scope: Scope) -> list[dict[str, Any]]:
    """The files, URLs and confidences the scope's entities come from, with how many entities each."""
    found = _in_snapshot(store, scope)
    return topology_scope.sources(*found) if found is not None else _rows(store, scope, _SOURCES)


def entity_count(store: GraphStore, scope: Scope) -> int:
    found = _in_snapshot(store, scope)
    return len(found[1]) if found is not None else int(_rows(store, scope, _COUNT)[0]["entities"])


def cities_holding(store: GraphStore, scope: Scope) -> int:
    """How many cities hold the scope's entities (entities with no city count as one more)."""
    return len(_rows(store, scope, _CITIES))


def names_in(store: GraphStore, scope: Scope, names: set[str]) -> set[str]:
    """Which of these names an entity in the scope bears."""
    if not names:
        return set()
    found = _in_snapshot(store, scope)
    if found is not None:
        return topology_scope.names_in(*found, names)
    return names & {str(r["name"]) for r in _rows(store, scope, _NAMES) if r["name"] is not None}


def city_members(store: GraphStore, city: str, clusters: list[str]) -> list[dict[str, Any]]:
    """Memberships in these clusters of the entities located in the City itself, for the five stages; from the
    snapshot when one of the current epoch is ready."""
    topo = fresh_snapshot(store)
    if topo is not None:
        return topology_scope.city_members(Reads(store), topo, city, clusters)
    return store.read_all(_CITY_MEMBERS, {"city": city, "clusters": clusters, "stages": list(STAGES)}).rows


def city_institutions(store: GraphStore, city: str, clusters: list[str]) -> list[dict[str, Any]]:
    """The R&D institutions located in the city that serve these clusters: cluster_rd_institutions' rows whose city is
    this one, each beginning with its cluster's code, cluster by cluster in the order given (within a cluster, that
    query's order: class, institution, source file and row, nulls last); from the snapshot when one of the current
    epoch is ready."""
    place = {code: i for i, code in reversed(list(enumerate(clusters)))}  # a code given twice: its first place
    topo = fresh_snapshot(store)
    if topo is not None:
        rows = topology_scope.city_institutions(Reads(store), topo, city, clusters)
    else:
        read = store.read_all(expand_macros(store.backend, _CITY_INSTITUTIONS), {"city": city, "clusters": clusters})
        rows = [{**row, "hosts": sorted(row["hosts"])} for row in read.rows]
    return sorted(rows, key=lambda r: place.get(r["cluster"], len(clusters)))  # stable: the query's order within


def clusters_technologies(store: GraphStore, clusters: list[str]) -> dict[str, list[dict[str, Any]]]:
    """cluster_key_technologies' rows for each of these cluster codes (each code's rows in that query's order); from
    the snapshot when one of the current epoch is ready."""
    topo = fresh_snapshot(store)
    if topo is not None:
        return topology_scope.key_technologies(Reads(store), topo, clusters)
    found: dict[str, list[dict[str, Any]]] = {code: [] for code in clusters}
    rows = store.read_all(expand_macros(store.backend, _CLUSTERS_TECHNOLOGIES), {"clusters": clusters}).rows
    for row in rows:
        found[row.pop("cluster")].append(row)
    return found


def _products_in_snapshot(store: GraphStore, city: str, clusters: list[str]) -> pa.Table | None:
    """The city's product rows, unsorted, from the snapshot; None when no snapshot of the current epoch is ready (the
    Cypher answers)."""
    found = _in_snapshot(store, Scope("city", city))
    return None if found is None else topology_scope.product_rows(Reads(store), *found, clusters)


def city_products(store: GraphStore, city: str, clusters: list[str]) -> ArrowRows:
    """The key-product rows of the city's enterprises (located in the city or one of its districts) in these
    clusters: each row the cluster's code, then cluster_key_products' columns; cluster by cluster in the order given,
    then in that query's order (enterprise, product, nulls last). Read as Arrow columns (a big city's run to 300,000
    rows and more), spread over their clusters and sorted as columns, not by ORDER BY, which holds the rows in the
    buffer pool, and not as dicts (0.9 s to make for 300,000 rows); rows are made when read (ArrowRows)."""
    rows = _products_in_snapshot(store, city, clusters)
    if rows is not None:
        return ArrowRows(rows)  # sorted there, by the names' ranks
    table = store.read_columns(_CITY_PRODUCTS, {"city": city, "clusters": clusters})
    if not table.num_rows:
        return ArrowRows(pa.table({"cluster": pa.array([], pa.string())}))
    codes = table.column("clusters").combine_chunks()
    rows = table.drop_columns(["clusters"]).take(pc.list_parent_indices(codes))  # a row per cluster of the firm
    rows = rows.add_column(0, "cluster", pc.list_flatten(codes).cast(pa.string()))
    if not rows.num_rows:
        return ArrowRows(pa.table({"cluster": pa.array([], pa.string())}))
    place = pc.index_in(rows.column("cluster"), value_set=pa.array(clusters, pa.string()))
    keys = pa.table({"place": place, "enterprise": rows.column("enterprise"), "product": rows.column("product")})
    # stable, and strings by their UTF-8 bytes: code point order, as Python and LadybugDB sort them
    order = pc.sort_indices(keys, sort_keys=[(k, "ascending", "at_end") for k in keys.column_names])
    return ArrowRows(rows.take(order))
