"""Listings answered from the in-memory topology (queries/topology_lists.py): exactly their Cypher's rows on both
stores, for every parameter the snapshot answers, cut at the row cap as a store read cuts; what the snapshot cannot
see (sourced ties only) answered by the Cypher."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from graph import aggregates, topology
from graph.store import GraphStore
from graph.topology import Topology
from queries import topology_lists, topology_ties
from queries.catalog import QueryError, get_query
from queries.topology_reads import Reads, SnapshotBehindError, by_id

BUILD_S = 60.0
Answer = Callable[[Reads, Topology, Mapping[str, Any], int], list[dict[str, Any]]]
CASES: dict[str, tuple[Answer, list[dict[str, Any]]]] = {
    "shared_entities": (
        topology_lists.shared_rows, [{}, {"min_clusters": 0}, {"min_clusters": 3}, {"min_clusters": 9}]
    ),
    "cluster_entities": (
        topology_lists.cluster_entity_rows,
        [{}, {"cluster": "P07"}, {"cluster": "新一代电子信息"}, {"cluster": "Software and information services"},
         {"cluster": "no such cluster"}],
    ),
    "entities_without_city": (
        topology_lists.without_city_rows,
        [{}, {"stage": "basic_research"}, {"stage": "industry"}, {"cluster": "E01"}, {"stage": "nope"}],
    ),
    "city_district_entities": (
        topology_lists.district_entity_rows,
        [{}, {"city": "广州"}, {"city": "440300", "with_coordinates": True}, {"city": "东莞市", "cluster": "E01"},
         {"city": "深圳市", "stage": "basic_research"}, {"city": "nowhere"}],
    ),
    "cluster_key_products": (topology_ties.key_product_rows, [{}, {"cluster": "P07"}, {"cluster": "nope"}]),
    "ecosystem_links": (topology_ties.ecosystem_link_rows, [{}]),  # unordered: as multisets, a cut as a subset
    "cluster_chain_graph": (topology_ties.chain_graph_rows, [{}, {"cluster": "P07"}, {"cluster": "nope"}]),
    "projects_led_in_guangdong": (topology_ties.projects_led_rows, [{}]),
}  # fmt: skip


def _cypher(store: GraphStore, name: str, params: Mapping[str, Any], cap: int) -> list[dict[str, Any]]:
    """The query's own rows: the first ``cap`` of every row its Cypher gives."""
    query = get_query(name)
    bound = query.with_row_cap(store.backend, query.bind(params), cap)
    return store.read_all(query.cypher_for(store.backend), bound).rows[:cap]


def _compare(store: GraphStore, topo: Topology, name: str, params: Mapping[str, Any], cap: int) -> None:
    answer = CASES[name][0]
    mine = answer(Reads(store), topo, get_query(name).bind(params), cap)
    if get_query(name).ordered:
        want = _cypher(store, name, params, cap)
        assert mine == want, (name, params, cap, len(mine), len(want))
        return
    whole = Counter(map(_key, _cypher(store, name, params, 10**9)))  # the rows of an unordered cut are any rows
    assert len(mine) == min(cap, whole.total()), (name, params, cap)
    assert not Counter(map(_key, mine)) - whole, (name, params, cap)


def _key(row: Mapping[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_listing_equals_its_cypher(bundled_each: GraphStore, bundled_snapshot: Topology, name: str) -> None:
    whole = 0
    for params in CASES[name][1]:
        for cap in (7, 100_000):  # the first rows, and every row
            _compare(bundled_each, bundled_snapshot, name, params, cap)
        whole = max(whole, len(_cypher(bundled_each, name, params, 100_000)))
    assert whole > 7  # some case lists more rows than the small cap: the cut was tested


def test_the_catalogue_routes_them_within_the_row_cap(bundled_each: GraphStore, bundled_snapshot: Topology) -> None:
    assert topology.current(bundled_each) is bundled_snapshot
    for name, (_, cases) in CASES.items():
        query = get_query(name)
        for params in cases[:2]:
            for row_cap in (5, 5000):
                routed = query.run(bundled_each, params, row_cap=row_cap)
                bound = query.with_row_cap(bundled_each.backend, query.bind(params), row_cap)
                read = bundled_each.read(query.cypher_for(bundled_each.backend), bound, row_cap=row_cap)
                assert (routed.columns, routed.truncated, len(routed.rows)) == (
                    read.columns, read.truncated, len(read.rows)
                )  # fmt: skip
                if query.ordered:
                    assert routed.rows == read.rows
                elif not read.truncated:
                    assert Counter(map(_key, routed.rows)) == Counter(map(_key, read.rows))
    with pytest.raises(ValueError):
        get_query("shared_entities").run(bundled_each, {}, timeout_s=0)  # the read limits are checked as a read's


def test_sourced_ties_only_are_the_cyphers_answer(bundled_each: GraphStore, bundled_snapshot: Topology) -> None:
    # the snapshot holds no tie's derived flag: with sourced_only the Cypher answers, and the answer differs
    for name in ("cluster_entities", "shared_entities"):
        query = get_query(name)
        sourced = query.run(bundled_each, {"sourced_only": True}).rows
        assert sourced == _cypher(bundled_each, name, {"sourced_only": True}, 5000)
        assert sourced != query.run(bundled_each, {}).rows


def test_the_snapshot_keeps_stages_coordinates_and_directions(
    bundled_each: GraphStore, bundled_snapshot: Topology
) -> None:
    rows = bundled_each.read_all(
        "MATCH (e:University) RETURN e.id AS id, e.chain_stage AS stage, "
        "e.latitude IS NOT NULL AND e.longitude IS NOT NULL AS placed"
    ).rows
    assert rows and any(r["placed"] for r in rows) and not all(r["placed"] for r in rows)
    for row in rows:
        number = bundled_snapshot.index(row["id"])
        assert number is not None
        assert bundled_snapshot.stages[bundled_snapshot.stage_codes[number]] == row["stage"]
        assert bool(bundled_snapshot.placed[number]) == row["placed"]
    assert int(bundled_snapshot.outgoing.sum()) * 2 == len(bundled_snapshot.indices)
    hosted = bundled_each.read_all("MATCH (l:Laboratory)-[:HOSTED_BY]->(u) RETURN l.id AS l, u.id AS u LIMIT 50").rows
    assert hosted
    code = bundled_snapshot.rel_types.index("HOSTED_BY")
    for row in hosted:
        lab, host = bundled_snapshot.index(row["l"]), bundled_snapshot.index(row["u"])
        assert lab is not None and host is not None
        for node, other, starts in ((lab, host, True), (host, lab, False)):
            lo, hi = int(bundled_snapshot.indptr[node]), int(bundled_snapshot.indptr[node + 1])
            entries = [
                bool(bundled_snapshot.outgoing[i])
                for i in range(lo, hi)
                if bundled_snapshot.indices[i] == other and bundled_snapshot.rel_codes[i] == code
            ]
            assert entries == [starts]


def test_rows_the_bundled_data_lacks_come_out_as_the_cypher_gives_them(bundled_copy: GraphStore) -> None:
    # a university in two cities and in a district of one (a row per city, a row per place); a lab with no name and
    # no city (names sort nulls last); a firm whose name begins beyond the Basic Multilingual Plane
    city, other_city, two = "city/440300", "city/440100", "university/t-two-cities"
    district = bundled_copy.read(
        "MATCH (d:District)-[:PART_OF]->(c:City {id: $c}) RETURN d.id AS id ORDER BY id LIMIT 1", {"c": city}
    ).rows[0]["id"]
    with bundled_copy.transaction():
        bundled_copy.upsert_nodes(
            "University",
            [{"id": two, "name_zh": "两城大学", "chain_stage": "talent_support", "latitude": 22.5, "longitude": 114.0}],
        )
        bundled_copy.upsert_nodes("Enterprise", [{"id": "enterprise/t-astral", "name_zh": "\U00020bb7野家"}])
        bundled_copy.upsert_nodes("Laboratory", [{"id": "lab/t-unnamed", "chain_stage": "basic_research"}])
        bundled_copy.upsert_relationships(
            "LOCATED_IN", "University", "City", [{"from_id": two, "to_id": c} for c in (city, other_city)]
        )
        bundled_copy.upsert_relationships("LOCATED_IN", "University", "District", [{"from_id": two, "to_id": district}])
        bundled_copy.upsert_relationships(
            "IN_CLUSTER", "Enterprise", "IndustryCluster", [{"from_id": "enterprise/t-astral", "to_id": "cluster/E01"}]
        )
        bundled_copy.upsert_relationships(
            "SERVES_CLUSTER", "University", "IndustryCluster", [{"from_id": two, "to_id": "cluster/E01"}]
        )
        bundled_copy.upsert_relationships(
            "SERVES_CLUSTER", "Laboratory", "IndustryCluster", [{"from_id": "lab/t-unnamed", "to_id": "cluster/E01"}]
        )
        aggregates.refresh(bundled_copy)
    topo = topology.ready(bundled_copy, BUILD_S)
    assert topo is not None and topo.index("lab/t-unnamed") is not None
    for name, params in (
        ("cluster_entities", {"cluster": "E01"}),
        ("entities_without_city", {"cluster": "E01"}),
        ("entities_without_city", {"stage": "basic_research"}),
        ("city_district_entities", {"city": "深圳市", "cluster": "E01"}),
        ("city_district_entities", {"city": "广州市", "cluster": "E01", "with_coordinates": True}),
    ):
        for cap in (2, 100_000):
            _compare(bundled_copy, topo, name, params, cap)
    reads = Reads(bundled_copy)
    listed = CASES["cluster_entities"][0](reads, topo, get_query("cluster_entities").bind({}), 100_000)
    assert {r["city"] for r in listed if r["id"] == two} == {"深圳市", "广州市"}
    placed = CASES["city_district_entities"][0](reads, topo, get_query("city_district_entities").bind({}), 100_000)
    assert [r["district_code"] is None for r in placed if r["id"] == two] == [False, True]  # the district's row first
    unplaced = CASES["entities_without_city"][0](reads, topo, get_query("entities_without_city").bind({}), 100_000)
    lab_rows = [r for r in unplaced if r["class"] == "Laboratory"]
    assert lab_rows[-1]["id"] == "lab/t-unnamed" and lab_rows[-1]["name_zh"] is None
    bundled_copy.close()


def test_an_answer_is_never_of_an_older_graph_than_the_stores(
    bundled_copy: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # right after a write the snapshot of the old epoch is still the current one for up to FRESH_S: a listing
    # answered then must be the new graph's (the app keeps answers until the next write: queries/answer_cache.py).
    # The window is held open (a write here takes longer than the second it lasts).
    monkeypatch.setattr(topology, "FRESH_S", 3600.0)
    old = topology.ready(bundled_copy, BUILD_S)
    assert old is not None
    query = get_query("shared_entities")
    every = {"min_clusters": 20}
    firm = bundled_copy.read("MATCH (e:Enterprise) RETURN e.id AS id ORDER BY id LIMIT 1").rows[0]["id"]
    assert firm not in {r["id"] for r in query.run(bundled_copy, every).rows}
    clusters = [r["id"] for r in bundled_copy.read("MATCH (c:IndustryCluster) RETURN c.id AS id").rows]
    with bundled_copy.transaction():
        bundled_copy.upsert_relationships(
            "IN_CLUSTER", "Enterprise", "IndustryCluster", [{"from_id": firm, "to_id": c} for c in clusters]
        )
        aggregates.refresh(bundled_copy)
    assert topology.current(bundled_copy) is old  # the epoch is not re-read yet: still the old snapshot
    assert firm in {r["id"] for r in query.run(bundled_copy, every).rows}  # but the answer is the new graph's
    # a row the snapshot keeps that the store no longer has: the reads by id say so (the hook then runs the Cypher)
    with bundled_copy.transaction():
        bundled_copy.delete_nodes("Enterprise", [firm])
    number = old.index(firm)
    assert number is not None
    with pytest.raises(SnapshotBehindError):
        by_id(Reads(bundled_copy), old, np.array([number], dtype=np.int32), "", "e.id AS id")
    bundled_copy.close()


def test_an_integer_a_store_refuses_is_refused_before_either_answers(
    bundled_each: GraphStore, bundled_snapshot: Topology
) -> None:
    query = get_query("shared_entities")
    assert topology.current(bundled_each) is bundled_snapshot
    assert query.run(bundled_each, {"min_clusters": -(2**63)}).rows == query.run(bundled_each, {"min_clusters": 1}).rows
    for beyond in (2**63, -(2**63) - 1):  # the Neo4j driver fails on them, LadybugDB refuses: checked when bound
        with pytest.raises(QueryError, match="min_clusters must be int"):
            query.run(bundled_each, {"min_clusters": beyond})
