"""The yearly report's scoped reads answered from the in-memory snapshot (queries/topology_scope.py) equal their
Cypher (queries/scoped_chain.py) for every city and cluster of the bundled data on both stores, and on a copy given
odd ties; a city's key products come as Arrow-backed rows in the order the Python sort gave (queries/arrow_rows.py)."""

from __future__ import annotations

import itertools
from typing import Any

import pyarrow as pa
import pytest

from graph import aggregates, topology
from graph.store import GraphStore
from graph.topology import Topology
from queries import scoped_chain, topology_scope
from queries.analytics import STAGES
from queries.arrow_rows import ArrowRows
from queries.catalog import expand_macros, get_query
from queries.topology_reads import Reads, fresh_snapshot
from reports.build import Reporter
from tests.conftest import SNAPSHOT_BUILD_S


def _cities(store: GraphStore) -> list[str]:
    return [str(r["name"]) for r in store.read("MATCH (c:City) RETURN DISTINCT c.name_zh AS name ORDER BY name").rows]


def _scopes(store: GraphStore) -> list[scoped_chain.Scope]:
    clusters = [str(r["code"]) for r in get_query("cluster_list").run_all(store).rows]
    cities = [scoped_chain.Scope("city", c) for c in [*_cities(store), "无此市"]]  # and a name nothing bears
    return cities + [scoped_chain.Scope("cluster", c) for c in [*clusters, "NO-SUCH-CODE"]]


def _names(store: GraphStore, scope: scoped_chain.Scope) -> set[str]:
    return {str(r["name"]) for r in scoped_chain._rows(store, scope, scoped_chain._NAMES) if r["name"] is not None}


def _check_scopes(store: GraphStore, topo: Topology) -> int:
    """Every scope's count, names, sources and completeness from the snapshot against the Cypher; how many were
    non-empty."""
    reads = Reads(store)
    outside = {"不在任何范围内的名字", "None"}
    filled = 0
    for scope in _scopes(store):
        nodes = topology_scope.scope_nodes(reads, topo, scope.kind, scope.key)
        assert len(nodes) == int(scoped_chain._rows(store, scope, scoped_chain._COUNT)[0]["entities"]), scope
        names = _names(store, scope)
        wanted = set(list(sorted(names))[::2]) | outside
        assert topology_scope.names_in(topo, nodes, wanted) == names & wanted, scope
        assert topology_scope.sources(topo, nodes) == scoped_chain._rows(store, scope, scoped_chain._SOURCES), scope
        expected = scoped_chain.scanned_completeness(store, scope, timeout_s=60)
        assert topology_scope.completeness(topo, nodes, scope.key, scoped_chain.STRUCTURAL) == expected, scope
        filled += sum(expected.stage_counts.values()) > 0 and any(expected.linked.values())
    return filled


def test_scoped_reads_from_the_snapshot_equal_the_cypher(bundled_each: GraphStore, bundled_snapshot: Topology) -> None:
    assert _check_scopes(bundled_each, bundled_snapshot) >= 10  # cities and clusters with stages and links


def test_the_report_reads_route_to_the_snapshot_when_it_is_current(
    bundled_each: GraphStore, bundled_snapshot: Topology
) -> None:
    assert fresh_snapshot(bundled_each) is bundled_snapshot
    city = scoped_chain.Scope("city", "广州市")
    found = scoped_chain._in_snapshot(bundled_each, city)
    assert found is not None and found[0] is bundled_snapshot
    assert scoped_chain._in_snapshot(bundled_each, scoped_chain.Scope("cluster", "E01", sourced_only=True)) is None
    assert scoped_chain.chain_completeness(bundled_each, city) == scoped_chain.scanned_completeness(bundled_each, city)
    assert scoped_chain.entity_count(bundled_each, city) == len(found[1])


def _same_technologies(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """The same rows in the same order of the query's sort keys (rows equal on both may come either way)."""
    keys = [(r["technology"], r["from_entity"]) for r in got]
    return keys == [(r["technology"], r["from_entity"]) for r in expected] and sorted(map(repr, got)) == sorted(
        map(repr, expected)
    )


def _check_members(store: GraphStore, topo: Topology) -> int:
    """Every city's memberships from the snapshot against scoped_chain._CITY_MEMBERS (rows in any order); how many."""
    clusters = [str(r["code"]) for r in get_query("cluster_list").run_all(store).rows]
    seen = 0
    for city in [*_cities(store), "无此市"]:
        for asked in (clusters, clusters[1::3], []):
            params = {"city": city, "clusters": asked, "stages": list(STAGES)}
            expected = store.read_all(scoped_chain._CITY_MEMBERS, params).rows
            got = topology_scope.city_members(Reads(store), topo, city, asked)
            assert sorted(map(repr, got)) == sorted(map(repr, expected)), (city, asked)
            seen += len(got)
    return seen


def _check_institutions(store: GraphStore) -> int:
    """Every city's R&D institutions routed to the snapshot against scoped_chain._CITY_INSTITUTIONS: the same rows, in
    the same order of the sort keys (rows equal on all of them may come either way); how many."""
    assert fresh_snapshot(store) is not None
    clusters = [str(r["code"]) for r in get_query("cluster_list").run_all(store).rows]
    cypher = expand_macros(store.backend, scoped_chain._CITY_INSTITUTIONS)
    keys = ("cluster", "class", "institution", "source_file", "source_row")
    seen = 0
    for city in [*_cities(store), "无此市"]:
        for asked in (clusters, list(reversed(clusters[::3])), [*clusters[:2], clusters[0]]):
            place = {code: i for i, code in reversed(list(enumerate(asked)))}
            rows = store.read_all(cypher, {"city": city, "clusters": asked}).rows
            rows = [{**r, "hosts": sorted(r["hosts"])} for r in rows]  # each store collects them in its own order
            expected = sorted(rows, key=lambda r: place[r["cluster"]])
            got = scoped_chain.city_institutions(store, city, asked)
            assert [[r[k] for k in keys] for r in got] == [[r[k] for k in keys] for r in expected], (city, asked)
            assert sorted(map(repr, got)) == sorted(map(repr, expected)), (city, asked)
            seen += len(got)
    return seen


def _check_technologies(store: GraphStore, topo: Topology) -> int:
    """Every cluster's key technologies from the snapshot against cluster_key_technologies; how many rows."""
    codes = [str(r["code"]) for r in get_query("cluster_list").run_all(store).rows]
    found = topology_scope.key_technologies(Reads(store), topo, [*reversed(codes), "NO-SUCH-CODE"])
    assert list(found) == [*reversed(codes), "NO-SUCH-CODE"] and found["NO-SUCH-CODE"] == []
    for code in codes:
        expected = get_query("cluster_key_technologies").run_all(store, {"cluster": code}).rows
        assert _same_technologies(found[code], expected), code
    return sum(map(len, found.values()))


def test_technologies_members_and_institutions_from_the_snapshot_equal_the_cypher(
    bundled_each: GraphStore, bundled_snapshot: Topology
) -> None:
    assert _check_technologies(bundled_each, bundled_snapshot) > 0
    assert _check_members(bundled_each, bundled_snapshot) > 0
    assert _check_institutions(bundled_each) > 0
    routed = scoped_chain.clusters_technologies(bundled_each, ["E01"])  # a snapshot of this epoch is ready
    assert routed == topology_scope.key_technologies(Reads(bundled_each), bundled_snapshot, ["E01"])


def _reference_products(store: GraphStore, city: str, clusters: list[str]) -> list[dict[str, Any]]:
    """The rows as the report made them before: dicts spread over their clusters and sorted in Python."""
    found: dict[str, list[dict[str, Any]]] = {code: [] for code in clusters}
    for row in store.read_columns(scoped_chain._CITY_PRODUCTS, {"city": city, "clusters": clusters}).to_pylist():
        for code in row.pop("clusters"):
            found[code].append({"cluster": code, **row})
    out: list[dict[str, Any]] = []
    for rows in found.values():
        rows.sort(
            key=lambda r: (r["enterprise"] is None, r["enterprise"] or "", r["product"] is None, r["product"] or "")
        )
        out += rows
    return out


def _nulls_last(value: str | None) -> tuple[bool, str]:
    return value is None, value or ""


def _same_rows_in_order(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """The same rows, in the same order of the sort keys (cluster, enterprise, product); rows those rank equal (two
    firms of one name, parallel ties) may come in either order, as the query's ORDER BY leaves them."""
    keys = [(r["cluster"], r["enterprise"], r["product"]) for r in got]
    if keys != [(r["cluster"], r["enterprise"], r["product"]) for r in expected]:
        return False
    return sorted(map(repr, got)) == sorted(map(repr, expected))


def test_city_products_keep_the_python_order(bundled_each: GraphStore, bundled_snapshot: Topology) -> None:
    """From the snapshot (the firms, their ties and their kept properties) and from the Cypher, each sorted as
    columns: the rows the old code made, spread over their clusters and sorted in Python."""
    clusters = [str(r["code"]) for r in get_query("cluster_list").run_all(bundled_each).rows]
    reads = Reads(bundled_each)
    seen = 0
    for city in _cities(bundled_each):
        nodes = topology_scope.scope_nodes(reads, bundled_snapshot, "city", city)
        for asked in (clusters, list(reversed(clusters[::3])), [*clusters[:2], clusters[0], "no such code"]):
            expected = _reference_products(bundled_each, city, asked)
            got = scoped_chain.city_products(bundled_each, city, asked)  # the snapshot's, routed
            assert isinstance(got, ArrowRows) and _same_rows_in_order(list(got), expected), city
            unsorted = topology_scope.product_rows(reads, bundled_snapshot, nodes, asked).to_pylist()
            assert sorted(map(repr, unsorted)) == sorted(map(repr, expected)), city
            seen += len(got)
    assert seen > 0


def test_arrow_rows_read_as_the_list_they_stand_for() -> None:
    rows = [{"a": i, "b": None if i % 3 else f"v{i}", "c": [str(i)]} for i in range(25_003)]
    kept = ArrowRows(pa.Table.from_pylist(rows))
    assert len(kept) == len(rows) and kept == rows and list(kept) == rows
    assert kept[:200] == rows[:200] and kept[24_990:] == rows[24_990:] and kept[5:1] == []
    assert kept[-1] == rows[-1] and kept[7] == rows[7] and kept[::5000] == rows[::5000]
    assert kept != rows[:-1] and kept != [*rows[:-1], {"a": -1, "b": None, "c": []}]
    with pytest.raises(IndexError):
        kept[len(rows)]
    empty = ArrowRows(pa.table({"cluster": pa.array([], pa.string())}))
    assert empty == [] and not empty and empty[:200] == []


def test_odd_ties_give_the_same_answers(bundled_copy: GraphStore) -> None:
    """Self-loops, parallel ties of two types, a second city of the same name with its own district, a lab that is
    part of a city: on a writable copy of the bundled data the snapshot's answers still equal the Cypher (the
    answers' logic is the same for both stores; the Neo4j store is the shared bundled one, left unchanged)."""
    store = bundled_copy
    labs = store.read("MATCH (l:Laboratory) WHERE l.chain_stage IS NOT NULL RETURN l.id AS id ORDER BY id LIMIT 2").rows
    firm = store.read(
        "MATCH (e:Enterprise)-[:LOCATED_IN]->(:City {name_zh: '广州市'}) RETURN e.id AS id ORDER BY id LIMIT 1"
    ).rows
    assert len(labs) == 2 and firm
    a, b, e = labs[0]["id"], labs[1]["id"], firm[0]["id"]
    store.upsert_nodes("City", [{"id": "city/twin", "name_zh": "广州市", "name_en": "Twin"}])
    store.upsert_nodes("District", [{"id": "district/twin", "name_zh": "双区"}])
    store.upsert_relationships("PART_OF", "District", "City", [{"from_id": "district/twin", "to_id": "city/twin"}])
    store.upsert_relationships("LOCATED_IN", "Laboratory", "District", [{"from_id": a, "to_id": "district/twin"}])
    store.upsert_relationships("PART_OF", "Laboratory", "City", [{"from_id": b, "to_id": "city/twin"}])
    # a lab in both cities of the name, serving E01: each of its institution rows twice
    in_both = [{"from_id": a, "to_id": "city/twin"}, {"from_id": a, "to_id": "city/440100"}]
    store.upsert_relationships("LOCATED_IN", "Laboratory", "City", in_both)
    store.upsert_relationships(
        "SERVES_CLUSTER", "Laboratory", "IndustryCluster", [{"from_id": a, "to_id": "cluster/E01"}]
    )
    # a place of the city that is itself located somewhere: its own tie leads out of the scope, not into it
    store.upsert_nodes("Park", [{"id": "park/twin", "name_zh": "双园"}])
    store.upsert_relationships("PART_OF", "Park", "City", [{"from_id": "park/twin", "to_id": "city/twin"}])
    store.upsert_relationships("LOCATED_IN", "Park", "District", [{"from_id": "park/twin", "to_id": "district/twin"}])
    store.upsert_relationships("HOSTED_BY", "Laboratory", "Laboratory", [{"from_id": a, "to_id": a}])
    store.upsert_relationships("HOSTED_BY", "Laboratory", "Laboratory", [{"from_id": a, "to_id": b}])
    store.upsert_relationships("HOSTED_BY", "Laboratory", "Enterprise", [{"from_id": b, "to_id": e}])
    # a Technology with no name serving E01: a key-technology row with no technology or entity, sorted last
    store.upsert_nodes("Technology", [{"id": "technology/odd"}])
    serves = [{"from_id": "technology/odd", "to_id": "cluster/E01"}]
    store.upsert_relationships("SERVES_CLUSTER", "Technology", "IndustryCluster", serves)
    # sources with no URL or confidence, and a file name that sorts between others
    store.upsert_nodes("Laboratory", [{"id": a, "source_url": None, "confidence": None, "source_file": "m/奇.csv"}])
    store.upsert_relationships("TRANSFERS_TO", "Laboratory", "Enterprise", [{"from_id": b, "to_id": e}])
    # a firm of the city in two clusters, making two products, one of them nameless
    store.upsert_nodes("Product", [{"id": "product/odd-1", "name_zh": "产品甲"}, {"id": "product/odd-2"}])
    made = [{"from_id": e, "to_id": "product/odd-1"}, {"from_id": e, "to_id": "product/odd-2"}]
    store.upsert_relationships("PRODUCES", "Enterprise", "Product", made)
    clusters = [str(r["code"]) for r in get_query("cluster_list").run_all(store).rows]
    ties = [{"from_id": e, "to_id": r["id"]} for r in store.read("MATCH (c:IndustryCluster) RETURN c.id AS id").rows]
    store.upsert_relationships("IN_CLUSTER", "Enterprise", "IndustryCluster", ties[:2])
    aggregates.refresh(store)  # a new epoch: the snapshot of the copy is built from the changed graph
    topo = topology.ready(store, SNAPSHOT_BUILD_S)
    assert topo is not None
    expected = _reference_products(store, "广州市", clusters)
    assert sum(r["enterprise"] is not None and r["product"] == "产品甲" for r in expected) >= 2
    assert _same_rows_in_order(list(scoped_chain.city_products(store, "广州市", clusters)), expected)
    twin_scope = topology_scope.scope_nodes(Reads(store), topo, "city", "广州市")
    assert {topo.index(a), topo.index(e)} <= set(
        twin_scope.tolist()
    )  # both cities of the name, and the twin's district
    assert _check_scopes(store, topo) >= 10
    assert _check_technologies(store, topo) > 0
    assert _check_members(store, topo) > 0
    assert _check_institutions(store) > 0


def test_a_city_name_borne_by_two_city_nodes_reports_each_cluster_once(bundled_copy: GraphStore) -> None:
    """city_cluster_matrix has a row per City node: a second node named 广州市 gave the report E01 twice (and the
    report crashed before the key products became one list)."""
    store = bundled_copy
    firm = store.read(
        "MATCH (e:Enterprise)-[:IN_CLUSTER]->(:IndustryCluster {cluster_code: 'E01'}) "
        "RETURN e.id AS id ORDER BY id LIMIT 1"
    ).rows[0]["id"]
    store.upsert_nodes("City", [{"id": "city/twin", "name_zh": "广州市", "admin_code": "449999"}])
    store.upsert_relationships("LOCATED_IN", "Enterprise", "City", [{"from_id": firm, "to_id": "city/twin"}])
    aggregates.refresh(store)
    with Reporter(store, since=None) as reporter:
        ctx = reporter.context("city", "广州市")
    codes = [c["code"] for c in ctx.clusters]
    assert "E01" in codes and len(codes) == len(set(codes))
    for name, rows in ctx.lists.items():
        clusters = [r["cluster"] for r in rows]
        blocks = [c for i, c in enumerate(clusters) if i == 0 or clusters[i - 1] != c]
        assert len(blocks) == len(set(blocks)), name  # each cluster's rows together, once


def test_name_ranks_sort_as_the_names(bundled_snapshot: Topology) -> None:
    """The ranks the key products are sorted by: the names' code point order, equal names equal, no name last."""
    names = bundled_snapshot.name_zh.to_pylist()
    ranks = bundled_snapshot.name_rank.tolist()
    by_name = sorted(range(len(names)), key=lambda i: (names[i] is None, names[i] or ""))
    assert [ranks[i] for i in by_name] == sorted(ranks)
    assert all((names[a] == names[b]) == (ranks[a] == ranks[b]) for a, b in itertools.pairwise(by_name))
    assert {r for n, r in zip(names, ranks, strict=True) if n is None} <= {len(names) + 1}
    assert len(set(ranks)) > 100


def test_a_city_report_does_not_change_a_cluster_report_made_after_it(bundled_copy: GraphStore) -> None:
    """A city's report reads its clusters' key technologies by code; cluster_key_technologies also matches a name,
    and a code may be another cluster's English name: the two answers are kept apart (found by review)."""
    store = bundled_copy
    store.upsert_nodes(
        "IndustryCluster",
        [
            {"id": "cluster/n01", "cluster_code": "N01", "name_zh": "新一"},
            {"id": "cluster/n02", "cluster_code": "N02", "name_zh": "新二", "name_en": "N01"},
        ],
    )
    labs = [{"id": f"lab/n0{i}", "name_zh": f"实验室{i}", "field": f"领域{i}"} for i in (1, 2)]
    store.upsert_nodes("Laboratory", labs)
    serves = [{"from_id": "lab/n01", "to_id": "cluster/n01"}, {"from_id": "lab/n02", "to_id": "cluster/n02"}]
    store.upsert_relationships("SERVES_CLUSTER", "Laboratory", "IndustryCluster", serves)
    firm = store.read("MATCH (e:Enterprise)-[:LOCATED_IN]->(:City {name_zh: '广州市'}) RETURN e.id AS id LIMIT 1").rows
    store.upsert_relationships(
        "IN_CLUSTER", "Enterprise", "IndustryCluster", [{"from_id": firm[0]["id"], "to_id": "cluster/n01"}]
    )
    aggregates.refresh(store)
    with Reporter(store, since=None) as reporter:
        alone = reporter.context("cluster", "N01").lists["key_technologies"]
    with Reporter(store, since=None) as reporter:
        city = reporter.context("city", "广州市")
        after = reporter.context("cluster", "N01").lists["key_technologies"]
    assert "N01" in [c["code"] for c in city.clusters]
    assert sorted(r["from_entity"] for r in alone) == ["实验室1", "实验室2"]
    assert after == alone
