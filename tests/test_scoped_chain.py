"""The yearly report reads from its city or cluster outward (queries/scoped_chain.py). Each number must equal the
whole-graph computation the report made before — every membership and link pulled (``Ecosystem.pull``), every
member of each of the city's clusters listed (``cluster_entities``) — for all 21 cities and 20 clusters of the
bundled data, on both stores. The whole-graph computation is written out here as the reference."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from queries import scoped_chain
from queries.analytics import STAGES, Ecosystem, completeness
from queries.catalog import get_query
from reports.context import Queries, city_context, cluster_context, names_in_city
from reports.targets import city_targets

CITY_ENTITIES = (
    "MATCH (city:City {name_zh: $city}) MATCH (e)-[:LOCATED_IN]->(place) "
    "WHERE place.id = city.id OR EXISTS { MATCH (place)-[:PART_OF]->(city) } "
    "RETURN DISTINCT e.id AS id, e.name_zh AS name, e.chain_stage AS stage"
)
SOURCES = (
    "MATCH (e) WHERE e.id IN $ids AND e.source_file IS NOT NULL "
    "RETURN e.source_file AS file, e.source_url AS url, e.confidence AS confidence, count(*) AS entities "
    "ORDER BY file, url, confidence"
)


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def loaded(request: pytest.FixtureRequest, schema: Schema) -> Iterator[GraphStore]:
    if request.param == "embedded":
        with EmbeddedStore(request.getfixturevalue("loaded_embedded_path"), schema, read_only=True) as store:
            yield store
    else:
        yield request.getfixturevalue("loaded_neo4j")


@pytest.fixture(scope="module")
def whole(loaded: GraphStore) -> Ecosystem:
    return Ecosystem.pull(loaded)


def _cities(store: GraphStore) -> list[str]:
    return [str(r["name"]) for r in store.read("MATCH (c:City) RETURN c.name_zh AS name ORDER BY name").rows]


def _clusters(store: GraphStore) -> list[str]:
    return [str(r["code"]) for r in get_query("cluster_list").run_all(store).rows]


def test_structural_relationships_are_the_ones_ecosystem_links_leaves_out(schema: Schema) -> None:
    body = get_query("ecosystem_links").body
    read = set(body[body.index("[r:") + 3 : body.index("]", body.index("[r:"))].split("|"))
    assert sorted(scoped_chain.STRUCTURAL) == sorted(set(schema.relationships) - read)
    assert sorted(scoped_chain.STRUCTURAL) == sorted(n for n, r in schema.relationships.items() if r.structural)


def test_city_chain_equals_the_whole_pull(loaded: GraphStore, whole: Ecosystem) -> None:
    cities = _cities(loaded)
    assert len(cities) == 21
    scores = set()
    for city in cities:
        entities = loaded.read_all(CITY_ENTITIES, {"city": city}).rows
        expected = completeness({str(r["id"]) for r in entities if r["stage"]}, whole, city)
        got = scoped_chain.chain_completeness(loaded, scoped_chain.Scope("city", city))
        assert got == expected, city
        scope = scoped_chain.Scope("city", city)
        ids = [str(r["id"]) for r in entities]
        assert scoped_chain.entity_count(loaded, scope) == len(ids), city
        assert scoped_chain.sources(loaded, scope) == loaded.read_all(SOURCES, {"ids": ids}).rows, city
        scores.add(expected.score)
    assert len(scores) > 1  # the cities differ: the comparison is not between empty answers


def test_cluster_chain_equals_the_whole_pull(loaded: GraphStore, whole: Ecosystem) -> None:
    codes = _clusters(loaded)
    assert len(codes) == 20
    for code in codes:
        scope = scoped_chain.Scope("cluster", code)
        assert scoped_chain.chain_completeness(loaded, scope) == completeness(whole.members[code], whole, code)
        members = get_query("cluster_entities").run_all(loaded, {"cluster": code, "sourced_only": False}).rows
        ids = sorted({str(r["id"]) for r in members})
        assert scoped_chain.entity_count(loaded, scope) == len(ids), code
        assert scoped_chain.cities_holding(loaded, scope) == len({r["city"] or "—" for r in members}), code
        assert scoped_chain.sources(loaded, scope) == loaded.read_all(SOURCES, {"ids": ids}).rows, code


@pytest.mark.parametrize("sourced_only", [False, True])
def test_cluster_chain_equals_the_chain_pages_whole_graph(loaded: GraphStore, sourced_only: bool) -> None:
    """The chain page's score when its picture was cut: equal to the one from every row of cluster_chain_graph."""
    for code in _clusters(loaded):
        rows = get_query("cluster_chain_graph").run_all(loaded, {"cluster": code, "sourced_only": sourced_only}).rows
        local = Ecosystem.of_cluster(code, rows)
        expected = completeness(local.members.get(code, set()), local, code)
        scope = scoped_chain.Scope("cluster", code, sourced_only)
        # the page reads the kept counts (graph/chain_tallies.py); a store counted by an older version, the scan
        assert scoped_chain.kept_completeness(loaded, scope) == expected, (code, sourced_only)
        assert scoped_chain.scanned_completeness(loaded, scope, timeout_s=30) == expected, (code, sourced_only)


def _whole_city(q: Queries, name: str, codes: list[str]) -> dict[str, Any]:
    """The city report's stage tables and lists as the report computed them from its clusters' whole listings."""
    by_stage: dict[str, set[str]] = defaultdict(set)
    sourced: dict[str, set[str]] = defaultdict(set)
    cluster_stages: dict[str, dict[str, int]] = {}
    lists: dict[str, list[dict[str, Any]]] = {"key_technologies": [], "key_products": [], "rd_institutions": []}
    names = {str(r["name"]) for r in q.store.read_all(CITY_ENTITIES, {"city": name}).rows if r["name"]}
    for code in codes:
        rows = [r for r in q.rows("cluster_entities", {"cluster": code, "sourced_only": False}) if r["city"] == name]
        cluster_stages[code] = {s: len({r["id"] for r in rows if r["stage"] == s}) for s in STAGES}
        for r in rows:
            if r["stage"] in STAGES:
                by_stage[r["stage"]].add(r["id"])
                if r["tie"] == "sourced":
                    sourced[r["stage"]].add(r["id"])
        tech = q.rows("cluster_key_technologies", {"cluster": code})
        lists["key_technologies"] += [{"cluster": code, **r} for r in tech if r["from_entity"] in names]
        products = q.rows("cluster_key_products", {"cluster": code})
        lists["key_products"] += [{"cluster": code, **r} for r in products if r["enterprise"] in names]
        labs = q.rows("cluster_rd_institutions", {"cluster": code})
        lists["rd_institutions"] += [{"cluster": code, **r} for r in labs if r["city"] == name]
    stages = [(s, len(by_stage[s]), len(sourced[s])) for s in STAGES]
    return {"stages": stages, "cluster_stages": cluster_stages, "lists": lists}


def test_city_reports_equal_the_whole_computation(loaded: GraphStore) -> None:
    q = Queries(loaded)
    products = 0
    for name in _cities(loaded):
        ctx = city_context(q, name)
        expected = _whole_city(q, name, [c["code"] for c in ctx.clusters])
        assert [(s.stage, s.entities, s.sourced) for s in ctx.stages] == expected["stages"], name
        assert ctx.cluster_stages == expected["cluster_stages"], name
        assert ctx.lists == expected["lists"], name
        products += len(ctx.lists["key_products"])
    assert products > 0


def test_city_targets_name_the_universities_located_in_the_city(loaded: GraphStore) -> None:
    q = Queries(loaded)
    parks = q.rows("measure12_science_park_coverage")
    checked = 0
    for name in _cities(loaded):
        names = {str(r["name"]) for r in loaded.read_all(CITY_ENTITIES, {"city": name}).rows}
        targets = city_targets(q, name, [], names_in_city(q, name, []))
        row = next(t for t in targets if t.metric == "在粤高水平大学省级大学科技园覆盖率")
        unis = [r for r in parks if r["university"] in names]
        assert row.of == (len(unis) or None), name
        checked += bool(unis)
    assert checked > 0


def test_cluster_reports_keep_their_counts(loaded: GraphStore) -> None:
    q = Queries(loaded)
    for code in _clusters(loaded):
        ctx = cluster_context(q, code)
        members = q.rows("cluster_entities", {"cluster": code, "sourced_only": False})
        assert ctx.clusters[0]["entities"] == len({r["id"] for r in members}), code
        assert ctx.notes == [f"{len({r['city'] or '—' for r in members})} cities hold its entities"], code


def test_city_institutions_are_the_rows_of_each_cluster_query_in_the_city(loaded: GraphStore) -> None:
    q = Queries(loaded)
    codes = _clusters(loaded)
    found = 0
    for name in _cities(loaded):
        for asked in (codes, list(reversed(codes[::2]))):  # the clusters' order is the caller's
            expected = [
                {"cluster": c, **r} for c in asked for r in q.rows("cluster_rd_institutions", {"cluster": c})
                if r["city"] == name
            ]  # fmt: skip
            assert scoped_chain.city_institutions(loaded, name, asked) == expected, name
            found += len(expected)
    assert found > 0


def test_clusters_technologies_are_each_clusters_query(loaded: GraphStore) -> None:
    """One read for several clusters gives each cluster_key_technologies' rows: the same rows, in the same order of
    its sort keys (rows equal on both keys may come either way), an unknown code none."""
    codes = _clusters(loaded)
    asked = [*reversed(codes), "NO-SUCH-CODE"]
    found = scoped_chain.clusters_technologies(loaded, asked)
    assert list(found) == asked and found["NO-SUCH-CODE"] == []
    for code in codes:
        expected = get_query("cluster_key_technologies").run_all(loaded, {"cluster": code}).rows
        got = found[code]
        assert [(r["technology"], r["from_entity"]) for r in got] == [
            (r["technology"], r["from_entity"]) for r in expected
        ], code
        assert sorted(map(repr, got)) == sorted(map(repr, expected)), code
    assert sum(map(len, found.values())) > 0
