"""Neighbourhoods and paths with hubs as stops (issue #17), and the next-shortest alternatives (issue #15):
the same answers on both stores, hubs reached but never walked through, real answers on the bundled data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from queries.catalog import get_query
from queries.paths import HUB_CLASSES, shortest_paths

CSNS = "infrastructure/6389197a8400"  # 中国散裂中子源
FIRM = "enterprise/47e3f77e5009"
DONGGUAN = "city/441900"
SOFTWARE = "cluster/P07"  # 软件与信息服务: from CSNS one path of 2 steps, two of 3
PATH_QUERIES = ("entity_neighbourhood", "shortest_path", "neighbourhood_edges")


@pytest.fixture(scope="module")
def bundled(loaded_embedded_path: Path, schema: Schema) -> GraphStore:
    return EmbeddedStore(loaded_embedded_path, schema, read_only=True)


def _neighbours(store: GraphStore, node_id: str, hops: int, limit: int = 5000) -> list[dict[str, Any]]:
    return get_query("entity_neighbourhood").run(store, {"id": node_id, "hops": hops, "limit": limit}).rows


def test_the_hubs_are_ontology_classes_and_every_path_query_stops_at_them(schema: Schema) -> None:
    assert set(HUB_CLASSES) <= set(schema.classes)
    for name in PATH_QUERIES:
        stops = next(p for p in get_query(name).params if p.name == "stops")
        assert tuple(stops.default) == HUB_CLASSES, name


def test_a_hub_is_reached_but_not_walked_through(bundled: GraphStore) -> None:
    near = {r["id"]: r["distance"] for r in _neighbours(bundled, CSNS, 1)}
    assert near[DONGGUAN] == 1  # the city is shown ...
    two = {r["id"]: r["distance"] for r in _neighbours(bundled, CSNS, 2)}
    in_dongguan = {r["other_id"] for r in get_query("entity_edges").run(bundled, {"id": DONGGUAN}).rows}
    assert not (set(two) - set(near)) & in_dongguan  # ... but its members are not two steps away through it
    assert {"中国科学院高能物理研究所"} <= {r["name_zh"] for r in _neighbours(bundled, CSNS, 1)}
    assert any(r["class"] == "Project" and r["distance"] == 2 for r in _neighbours(bundled, CSNS, 2))


def test_a_firm_sees_its_city_cluster_and_industry(bundled: GraphStore) -> None:
    near = {r["id"]: r for r in _neighbours(bundled, FIRM, 1)}
    assert {"City", "IndustryCluster"} <= {r["class"] for r in near.values()}
    far = {r["id"]: r["distance"] for r in _neighbours(bundled, FIRM, 3)}
    assert all(far[node_id] == 1 for node_id in near)  # still one step away when more hops are asked for


def test_a_hub_at_the_centre_is_expanded(bundled: GraphStore) -> None:
    members = _neighbours(bundled, DONGGUAN, 1)
    assert any(r["name_zh"] == "中国散裂中子源" for r in members) and len(members) > 20


def test_next_shortest_paths_are_simple_sorted_and_avoid_hubs(bundled: GraphStore) -> None:
    found = shortest_paths(bundled, CSNS, SOFTWARE, k=3)
    assert [p.length for p in found][:3] == [2, 3, 3]
    assert len({p.ids for p in found}) == len(found)
    assert all(p.ids[0] == CSNS and p.ids[-1] == SOFTWARE and len(set(p.ids)) == len(p.ids) for p in found)
    hubs = {
        r["id"] for r in _neighbours(bundled, CSNS, 3) if r["class"] in HUB_CLASSES
    }  # hubs reached, never inside a path
    assert not any(set(p.ids[1:-1]) & hubs for p in found)
    assert found[0].names[0] == "中国散裂中子源" and len(found[0].relationships) == found[0].length
    shortest = get_query("shortest_path").run(bundled, {"from_id": CSNS, "to_id": SOFTWARE}).rows
    assert shortest[0]["length"] == found[0].length


def test_no_path_and_the_same_entity_give_nothing(bundled: GraphStore) -> None:
    assert shortest_paths(bundled, CSNS, CSNS) == []
    assert shortest_paths(bundled, CSNS, "cluster/E01") == []  # every way goes through a hub


@pytest.mark.neo4j
def test_both_stores_give_the_same_neighbourhoods_and_paths(bundled: GraphStore, loaded_neo4j: GraphStore) -> None:
    for node_id in (CSNS, FIRM, DONGGUAN, "lab/3991b4a1c767"):
        for hops in (1, 2, 3):
            assert _neighbours(bundled, node_id, hops) == _neighbours(loaded_neo4j, node_id, hops), (node_id, hops)
    for ends in ((CSNS, SOFTWARE), (DONGGUAN, "cluster/E01"), (CSNS, DONGGUAN), (FIRM, CSNS)):
        assert shortest_paths(bundled, *ends) == shortest_paths(loaded_neo4j, *ends), ends
