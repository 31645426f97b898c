"""The in-memory topology (graph/topology.py) and the answers routed through it (queries/topology_route.py,
queries/paths.py): exactly the Cypher's answers on both stores, rebuilt when a write changes the epoch and
never answering from the old graph, refused above its bound, consistent across threads."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

from graph import aggregates, topology, topology_read
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from graph.topology import StringReads, Topology, TopologyTooLargeError
from queries import topology_route
from queries.catalog import get_query
from queries.paths import HUB_CLASSES, MAX_LENGTH, MAX_RADIUS, SLACK, bounded_graph_from, shortest_paths

CSNS = "infrastructure/6389197a8400"  # 中国散裂中子源
FIRM = "enterprise/47e3f77e5009"
DONGGUAN = "city/441900"
SOFTWARE = "cluster/P07"
FIXED = (CSNS, FIRM, DONGGUAN, SOFTWARE, "lab/3991b4a1c767", "cluster/E01", "tally/epoch", "enterprise/no-such-firm")
BUILD_S = 60.0


def _sample_ids(store: GraphStore) -> list[str]:
    """Fixed ids (a facility, a firm, a city, clusters, an isolated bookkeeping node, an unknown id) and some
    picked by query: the best-connected lab and university, ordinary firms, a firm with no tie but hubs."""
    picked = []
    for cypher in (
        "MATCH (l:Laboratory)--(x) RETURN l.id AS id, count(x) AS n ORDER BY n DESC, id LIMIT 1",
        "MATCH (u:University)--(x) RETURN u.id AS id, count(x) AS n ORDER BY n DESC, id LIMIT 2",
        "MATCH (e:Enterprise) RETURN e.id AS id ORDER BY id LIMIT 3",
        "MATCH (e:Enterprise)--(x:Technology) RETURN e.id AS id ORDER BY id LIMIT 1",
        "MATCH (p:Project) RETURN p.id AS id ORDER BY id LIMIT 1",
    ):
        picked += [str(r["id"]) for r in store.read(cypher).rows]
    return list(dict.fromkeys([*FIXED, *picked]))


@pytest.fixture(scope="module")
def ids(bundled_each: GraphStore) -> list[str]:
    return _sample_ids(bundled_each)


def _cypher(store: GraphStore, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    query = get_query(name)
    return store.read(query.cypher_for(store.backend), query.bind(params)).rows


def test_the_snapshot_holds_the_whole_graph_and_says_what_it_cost(
    bundled_each: GraphStore, bundled_snapshot: Topology
) -> None:
    assert bundled_snapshot.node_count == sum(bundled_each.node_counts().values())
    relationships = sum(bundled_each.relationship_counts().values())
    assert len(bundled_snapshot.indices) == 2 * relationships  # each relationship both ways
    assert bundled_snapshot.build_s > 0 and 0 < bundled_snapshot.approx_bytes < 50 * 2**20
    assert bundled_snapshot.epoch == aggregates.read_epoch(bundled_each)
    assert bundled_snapshot.index("enterprise/no-such-firm") is None
    firm = bundled_snapshot.index(FIRM)
    assert firm is not None and bundled_snapshot.ids([firm]) == [FIRM]
    # the binary search finds every id at its number (Chinese and other non-ASCII ids included), and nothing else
    ids = bundled_snapshot.ids(list(range(bundled_snapshot.node_count)))
    assert ids == sorted(ids, key=str.encode) and len(set(ids)) == len(ids)
    assert [bundled_snapshot.index(i) for i in ids] == list(range(len(ids)))
    known = set(ids)
    assert all(bundled_snapshot.index(i + "\x00") is None for i in ids)
    assert all((bundled_snapshot.index(i[:-1]) is None) == (i[:-1] not in known) for i in ids)


def test_neighbourhoods_equal_the_cypher_answers(
    bundled_each: GraphStore, bundled_snapshot: Topology, ids: list[str]
) -> None:
    # Whole answers on both stores; the cut at a small limit once (the snapshot's cut does not depend on the store,
    # and the two stores' Cypher cut alike: tests/test_queries.py compares their answers).
    limits = (7, 5000) if bundled_each.backend == "embedded" else (5000,)
    for node_id in ids:
        for hops in (1, 2, 3):
            for limit in limits:
                params = {"id": node_id, "hops": hops, "limit": limit}
                bound = get_query("entity_neighbourhood").bind(params)
                mine = topology_route.neighbourhood_rows(bundled_snapshot, node_id, hops, limit, bound["stops"])
                assert mine == _cypher(bundled_each, "entity_neighbourhood", params), (node_id, hops, limit)
    no_stops = {"id": CSNS, "hops": 2, "stops": ["City"]}  # other stops: the caller's, not the defaults
    mine = topology_route.neighbourhood_rows(bundled_snapshot, CSNS, 2, 200, ["City"])
    assert mine == _cypher(bundled_each, "entity_neighbourhood", no_stops)


def test_the_set_walk_and_the_vector_walk_give_the_same_levels(
    bundled_snapshot: Topology, ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a small walk runs in plain Python, a node at a time; a larger one level by level, a step through few
    # adjacency entries with Python sets, one through many with numpy: each way alone, and the defaults that
    # switch between them (the small walk giving up part way), must reach the same nodes at the same distances
    stops = list(HUB_CLASSES)
    starts = [n for n in (bundled_snapshot.index(i) for i in ids) if n is not None]

    def levels(few_entries: int, small_walk: int) -> list[list[list[int]]]:
        monkeypatch.setattr(topology_route, "FEW_ENTRIES", few_entries)
        monkeypatch.setattr(topology_route, "SMALL_WALK", small_walk)
        walked = [
            topology_route.neighbourhood_levels(bundled_snapshot, s, 3, bundled_snapshot.node_count, stops)
            for s in starts
        ]
        return [[level.tolist() for level in each] for each in walked]

    defaults = few, small = topology_route.FEW_ENTRIES, topology_route.SMALL_WALK
    every = bundled_snapshot.node_count * 2
    by_default = levels(*defaults)
    assert by_default == levels(-1, -1) == levels(every, every) == levels(every, -1)
    hub = bundled_snapshot.hub_mask(stops)

    def entries(start: int, walk: list[list[int]]) -> list[int]:  # the adjacency entries each step reads
        later = [np.array(level, np.int32) for level in walk[:-1]]
        return [bundled_snapshot.degree_total(np.array([start], np.int32))] + [
            bundled_snapshot.degree_total(level[~hub[bundled_snapshot.class_codes[level]]]) for level in later
        ]

    steps = [entries(s, walk) for s, walk in zip(starts, by_default, strict=True)]
    assert any(each[0] <= few < max(each) for each in steps)  # a first step through sets, a later one in numpy
    assert any(sum(each) <= small for each in steps) and any(sum(each) > small for each in steps)  # small and not

    def paths(few_entries: int, small_walk: int) -> list[list[int] | None]:
        monkeypatch.setattr(topology_route, "FEW_ENTRIES", few_entries)
        monkeypatch.setattr(topology_route, "SMALL_WALK", small_walk)
        return [
            topology_route.shortest_nodes(bundled_snapshot, a, b, stops) for a in starts for b in starts[:6] if a != b
        ]

    found = paths(*defaults)
    assert found == paths(-1, -1) == paths(every, every) == paths(every, -1) and sum(p is not None for p in found) > 10


def test_shortest_path_lengths_equal_the_cypher_answers(
    bundled_each: GraphStore, bundled_snapshot: Topology, ids: list[str]
) -> None:
    stops = list(HUB_CLASSES)
    for a in ids:
        for b in ids[:6]:  # every id to and from the fixed ones: a facility, a firm, a city, two clusters
            if a == b:
                continue
            mine = topology_route.shortest_path_rows(bundled_snapshot, a, b, stops)
            theirs = _cypher(bundled_each, "shortest_path", {"from_id": a, "to_id": b})
            assert [r["length"] for r in mine] == [r["length"] for r in theirs], (a, b)
            for row in mine:  # a real path: from a to b, hubs only at the ends, each step a relationship
                assert row["ids"][0] == a and row["ids"][-1] == b and len(row["relationships"]) == row["length"]
                middle = [
                    bundled_snapshot.classes[bundled_snapshot.class_codes[bundled_snapshot.index(i)]]
                    for i in row["ids"][1:-1]
                ]
                assert not set(middle) & set(HUB_CLASSES)


def test_the_routed_queries_answer_from_the_snapshot_within_the_row_cap(
    bundled_each: GraphStore, bundled_snapshot: Topology
) -> None:
    assert topology.current(bundled_each) is bundled_snapshot
    query = get_query("entity_neighbourhood")
    params = {"id": DONGGUAN, "hops": 2, "limit": 5000}
    assert query.run(bundled_each, params).rows == _cypher(bundled_each, "entity_neighbourhood", params)
    capped = query.run(bundled_each, params, row_cap=3)
    assert capped.truncated and len(capped.rows) == 3 and capped.columns == topology_route.NEIGHBOURHOOD_COLUMNS
    assert bundled_each.read(query.cypher_for(bundled_each.backend), query.bind(params), row_cap=3).rows == capped.rows
    path = get_query("shortest_path").run(bundled_each, {"from_id": CSNS, "to_id": SOFTWARE})
    assert path.columns == topology_route.PATH_COLUMNS and path.rows[0]["length"] == 2
    assert path.rows[0]["names"][0] == "中国散裂中子源"
    with pytest.raises(ValueError):
        query.run(bundled_each, params, timeout_s=0)  # the read limits are checked as a store read checks them


def test_shortest_paths_are_the_same_with_and_without_the_snapshot(
    bundled_each: GraphStore, bundled_snapshot: Topology, ids: list[str]
) -> None:
    pairs = [(CSNS, SOFTWARE), (DONGGUAN, "cluster/E01"), (CSNS, DONGGUAN), (FIRM, CSNS), (SOFTWARE, CSNS)]
    pairs += [(a, b) for a, b in zip(ids, ids[3:], strict=False)]
    assert topology.current(bundled_each) is bundled_snapshot
    for a, b in pairs:
        assert shortest_paths(bundled_each, a, b) == shortest_paths(bundled_each, a, b, use_topology=False), (a, b)
    assert [p.length for p in shortest_paths(bundled_each, CSNS, SOFTWARE)][:3] == [2, 3, 3]


def test_alternatives_are_the_shortest_of_the_whole_graph(
    bundled_each: GraphStore, bundled_snapshot: Topology, ids: list[str]
) -> None:
    # the graph searched is bounded: with one hub end it leaves out the nodes a step past the other end's radius,
    # between two entities it keeps of those only the ones next to two walked nodes, one of each end's walk. The
    # lengths found must be those Yen's algorithm finds in the whole graph (hubs only at the ends), as far as kept
    whole = nx.Graph()
    whole.add_nodes_from(range(bundled_snapshot.node_count))
    sources = np.repeat(np.arange(bundled_snapshot.node_count), np.diff(bundled_snapshot.indptr))
    whole.add_edges_from(zip(sources.tolist(), bundled_snapshot.indices.tolist(), strict=True))
    hub = bundled_snapshot.hub_mask(HUB_CLASSES)[bundled_snapshot.class_codes]
    entities = [i for i in ids if bundled_snapshot.index(i) is not None and not hub[bundled_snapshot.index(i)]]
    entities += bundled_snapshot.ids(np.flatnonzero(~hub)[::97][:40].tolist())  # and some spread over the whole graph
    inner = nx.subgraph_view(whole, filter_node=lambda n: not hub[n])
    checked = {"a hub end": 0, "two entities": 0, "farthest left out": 0}
    for a_id in entities:
        a = bundled_snapshot.index(a_id)
        away = nx.single_source_shortest_path_length(inner, a, cutoff=5)  # the least entity 2, 3, 4, 5 steps away
        others = [min((n for n, d in away.items() if d == steps), default=None) for steps in (2, 3, 4, 5)]
        for b in [bundled_snapshot.index(i) for i in (DONGGUAN, SOFTWARE, "cluster/E01")] + [n for n in others if n]:
            b_id = bundled_snapshot.ids([b])[0]
            view = nx.subgraph_view(whole, filter_node=lambda n, a=a, b=b: n in (a, b) or not hub[n])
            try:
                lengths = [len(p) - 1 for p in itertools.islice(nx.shortest_simple_paths(view, a, b), 4)]
            except nx.NetworkXNoPath:
                lengths = []
            if lengths and lengths[0] <= MAX_LENGTH:
                longest = min(MAX_LENGTH, lengths[0] + SLACK, *([MAX_RADIUS + 1] if hub[b] else []))
                expected = [n for n in lengths if n <= longest]
            else:
                expected = []
            assert [p.length for p in shortest_paths(bundled_each, a_id, b_id)] == expected, (a_id, b_id)
            checked["a hub end" if hub[b] else "two entities"] += bool(expected)
            if hub[b]:  # the graph searched keeps of the nodes 2 steps away only those next to the hub end
                ends = (a_id, b_id)
                kept, every = (
                    bounded_graph_from(bundled_snapshot, (a_id,), MAX_RADIUS, ends, shell=False, hub_end=hub_end)
                    for hub_end in (b_id, None)
                )
                away = nx.single_source_shortest_path_length(every.subgraph(set(every) - {b_id}), a_id)
                far = [n for n, d in away.items() if d == 2]  # through the walk, not through the hub end
                assert all(whole.has_edge(bundled_snapshot.index(n), b) for n in far if n in kept)
                checked["farthest left out"] += any(n not in kept for n in far)
    assert min(checked.values()) >= 5, checked


def test_concurrent_readers_get_the_same_answers(loaded_embedded_path: Path, schema: Schema) -> None:
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)  # a new store: the threads race its build
    query = get_query("entity_neighbourhood")
    cases = [{"id": node_id, "hops": hops} for node_id in (CSNS, FIRM, DONGGUAN) for hops in (1, 2, 3)]
    expected = [_cypher(store, "entity_neighbourhood", params) for params in cases]
    wrong: list[tuple[int, int]] = []

    def read(worker: int) -> None:
        for _ in range(3):
            for number, params in enumerate(cases):
                if query.run(store, params).rows != expected[number]:
                    wrong.append((worker, number))

    threads = [threading.Thread(target=read, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert topology.ready(store, BUILD_S) is not None
    store.close()


def test_a_write_that_changes_the_epoch_is_seen_within_a_second(bundled_copy: GraphStore) -> None:
    old = topology.ready(bundled_copy, BUILD_S)
    assert old is not None
    product = "product/topology-test"
    tallies_before = _tally_count(bundled_copy)
    with bundled_copy.transaction():  # as an ingest ends: the facts, then the tallies and their new epoch
        bundled_copy.upsert_nodes("Product", [{"id": product, "name_zh": "拓扑测试产品"}])
        bundled_copy.upsert_relationships("PRODUCES", "Enterprise", "Product", [{"from_id": FIRM, "to_id": product}])
        aggregates.refresh(bundled_copy)
    time.sleep(topology.FRESH_S)
    seen = topology.current(bundled_copy)
    assert seen is None  # the old snapshot is not used while the new one builds
    params = {"id": FIRM, "hops": 1}
    assert product in {r["id"] for r in get_query("entity_neighbourhood").run(bundled_copy, params).rows}  # Cypher
    new = topology.ready(bundled_copy, BUILD_S)
    assert new is not None and new is not old and new.epoch != old.epoch
    # the product, and the quality counts it adds (a Product without a source file or URL) as Tally nodes
    assert new.node_count == old.node_count + 1 + (_tally_count(bundled_copy) - tallies_before)
    assert topology_route.neighbourhood_rows(new, FIRM, 1, 200, list(HUB_CLASSES)) == _cypher(
        bundled_copy, "entity_neighbourhood", params
    )
    bundled_copy.close()


def test_an_alternative_through_a_middle_past_both_radii_is_found(bundled_copy: GraphStore) -> None:
    # two firms tied by a technology (2 steps), and by a lab that researches one technology of each (4 steps): the
    # lab is a step past both ends' walks (radius 1) and next to a node of each, so the bounded graph keeps it; a
    # second lab next to the shared technology only is on no path. Both ways, snapshot and Cypher, find both paths.
    firms = {"enterprise/t-a": "甲", "enterprise/t-b": "乙"}
    labs = {"lab/t-middle": "中间实验室", "lab/t-aside": "旁支实验室"}
    techs = {"technology/t-shared": "共用", "technology/t-of-a": "甲之技术", "technology/t-of-b": "乙之技术"}
    with bundled_copy.transaction():
        for label, nodes in (("Enterprise", firms), ("Laboratory", labs), ("Technology", techs)):
            bundled_copy.upsert_nodes(label, [{"id": i, "name_zh": name} for i, name in nodes.items()])
        develops = [("t-a", "t-shared"), ("t-b", "t-shared"), ("t-a", "t-of-a"), ("t-b", "t-of-b")]
        bundled_copy.upsert_relationships(
            "DEVELOPS", "Enterprise", "Technology",
            [{"from_id": f"enterprise/{a}", "to_id": f"technology/{t}"} for a, t in develops],
        )  # fmt: skip
        researches = [("t-middle", "t-of-a"), ("t-middle", "t-of-b"), ("t-aside", "t-shared")]
        bundled_copy.upsert_relationships(
            "RESEARCHES", "Laboratory", "Technology",
            [{"from_id": f"lab/{a}", "to_id": f"technology/{t}"} for a, t in researches],
        )  # fmt: skip
        # and two relationships between one pair, one each way: a lab hosted by a university that is part of it (in
        # the university's row the PART_OF it starts comes before the HOSTED_BY it ends, whose type is the least)
        bundled_copy.upsert_nodes("University", [{"id": "university/t-host", "name_zh": "宿主大学"}])
        lab_id, university_id = "lab/t-middle", "university/t-host"
        bundled_copy.upsert_relationships(
            "HOSTED_BY", "Laboratory", "University", [{"from_id": lab_id, "to_id": university_id}]
        )
        bundled_copy.upsert_relationships(
            "PART_OF", "University", "Laboratory", [{"from_id": university_id, "to_id": lab_id}]
        )
        aggregates.refresh(bundled_copy)
    assert topology.ready(bundled_copy, BUILD_S) is not None
    found = shortest_paths(bundled_copy, "enterprise/t-a", "enterprise/t-b")
    assert [p.ids for p in found] == [
        ("enterprise/t-a", "technology/t-shared", "enterprise/t-b"),
        ("enterprise/t-a", "technology/t-of-a", "lab/t-middle", "technology/t-of-b", "enterprise/t-b"),
    ]
    assert found == shortest_paths(bundled_copy, "enterprise/t-a", "enterprise/t-b", use_topology=False)
    topo = topology.current(bundled_copy)
    assert topo is not None
    kept = set(bounded_graph_from(topo, tuple(firms), 1, ends=("enterprise/t-a", "enterprise/t-b")))
    assert "lab/t-middle" in kept and "lab/t-aside" not in kept
    for shell, expanded, radius in (
        (True, ("enterprise/t-a",), 2),
        (False, tuple(firms), 2),
        (False, ("lab/t-middle",), 0),
    ):
        with pytest.raises(ValueError):  # pruning toward a hub end is defined for one other end, no shell, radius 1+
            bounded_graph_from(
                topo, expanded, radius, ends=(expanded[0], "city/440300"), shell=shell, hub_end="city/440300"
            )
    lab, university = topo.index("lab/t-middle"), topo.index("university/t-host")
    assert lab is not None and university is not None
    assert topo.rel_type(lab, university) == topo.rel_type(university, lab) == "HOSTED_BY"  # the least of the two
    bundled_copy.close()


def _tally_count(store: GraphStore) -> int:
    return int(store.read(f"MATCH (t:{aggregates.LABEL}) RETURN count(t) AS n").rows[0]["n"])


def test_a_store_whose_changes_cannot_be_seen_gets_no_snapshot(embedded_store: GraphStore) -> None:
    embedded_store.upsert_nodes("Enterprise", [{"id": FIRM, "name_zh": "无纪元"}])  # written without tallies
    assert aggregates.read_epoch(embedded_store) is None
    assert topology.ready(embedded_store, 1.0) is None
    assert get_query("entity_neighbourhood").run(embedded_store, {"id": FIRM}).rows == []


def test_the_build_is_refused_above_its_bound(
    loaded_embedded_path: Path, schema: Schema, caplog: pytest.LogCaptureFixture
) -> None:
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    with pytest.raises(TopologyTooLargeError):
        topology.build(store, max_elements=10)
    with caplog.at_level(logging.WARNING, logger="graph.topology"):
        topology.warm(store, max_elements=10)
        assert topology.ready(store, BUILD_S) is None
        for _ in range(3):
            assert topology.current(store) is None
        params = {"id": CSNS, "hops": 2}
        assert get_query("entity_neighbourhood").run(store, params).rows == _cypher(
            store, "entity_neighbourhood", params
        )
    assert sum("no topology snapshot" in r.getMessage() for r in caplog.records) == 1
    store.close()


def test_a_store_nobody_warmed_starts_no_build(loaded_embedded_path: Path, schema: Schema) -> None:
    """A command that reads once and exits (ckg query) answers with Cypher and leaves no whole-graph read behind."""
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    try:
        params = {"id": CSNS, "hops": 2}
        cypher = _cypher(store, "entity_neighbourhood", params)
        assert get_query("entity_neighbourhood").run(store, params).rows == cypher
        assert topology.current(store) is None
        assert topology._holder(store).building is None and topology._holder(store).snapshot is None
    finally:
        store.close()


def test_strings_read_from_the_buffers_are_arrows_own() -> None:
    # what a small walk's rows read: nulls, empty strings, Chinese, and an array that starts part way into its
    # buffers (a slice), as Arrow gives them
    whole = pa.array(["甲", None, "", "深圳市合成科技", None, "b", "最后"] * 3)
    for array in (whole, whole.slice(1), whole.slice(4, 9), pa.array(["a", "b"]), pa.array([None, None], pa.string())):
        numbers = list(range(len(array)))
        assert StringReads(array).many(numbers) == array.to_pylist()
        assert StringReads(array).many(numbers[::-1]) == array.to_pylist()[::-1]
    with pytest.raises(TypeError):  # 64-bit offsets: refused, not read as 32-bit ones
        StringReads(pa.array(["ab", "c"], pa.large_string()))


def test_a_relationship_type_read_either_way_is_the_least_of_the_pair(
    bundled_snapshot: Topology, ids: list[str]
) -> None:
    # rel_type finds the pair in one end's row by a binary search: the same as a scan of the row, either way round
    pairs = [
        (a, b)
        for a in (bundled_snapshot.index(i) for i in ids)
        if a is not None
        for b in bundled_snapshot.one.adjacent(a)
    ]
    assert len(pairs) > 100
    for a, b in pairs:
        row = slice(int(bundled_snapshot.indptr[a]), int(bundled_snapshot.indptr[a + 1]))
        least = bundled_snapshot.rel_types[
            int(bundled_snapshot.rel_codes[row][bundled_snapshot.indices[row] == b].min())
        ]
        assert bundled_snapshot.rel_type(a, b) == bundled_snapshot.rel_type(b, a) == least, (a, b)


@pytest.mark.neo4j
def test_neo4j_rows_read_as_lists_give_the_snapshot_of_rows_read_one_by_one(
    loaded_neo4j: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Neo4j the build reads CHUNK rows to a record, as lists (graph/topology_read.py: _read_each). A chunk of 7
    cuts every class and type into many records, and the snapshot equals the one read a record per row, array by
    array."""
    monkeypatch.setattr(topology_read, "CHUNK", None)
    rows = topology.build(loaded_neo4j)
    monkeypatch.setattr(topology_read, "CHUNK", 7)
    lists = topology.build(loaded_neo4j)
    assert rows.node_count == lists.node_count > 7 and np.array_equal(rows.id_keys, lists.id_keys)
    for name in ("class_codes", "stage_codes", "placed", "indptr", "indices", "rel_codes", "outgoing", "derived"):
        assert np.array_equal(getattr(rows, name), getattr(lists, name)), name
    assert np.array_equal(rows.name_rank, lists.name_rank)
    assert (rows.classes, rows.stages, rows.rel_types) == (lists.classes, lists.stages, lists.rel_types)
    assert rows.name_zh.equals(lists.name_zh) and rows.name_en.equals(lists.name_en)
    every = np.arange(rows.node_count, dtype=np.int32)
    for prop in topology.KEPT_PROPERTIES:
        assert rows.values(prop, every).to_pylist() == lists.values(prop, every).to_pylist(), prop
    assert lists.derived.any() and not lists.derived.all() and lists.placed.any()
