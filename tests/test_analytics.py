"""Chain analytics on the bundled data: completeness for all 20 clusters, brokers, communities, what-if."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from queries import analytics, scoped_chain
from queries.analytics import Ecosystem


@pytest.fixture(scope="module")
def bundled(loaded_embedded_path: Path, schema: Schema) -> GraphStore:
    return EmbeddedStore(loaded_embedded_path, schema, read_only=True)


@pytest.fixture(scope="module")
def eco(bundled: GraphStore) -> Ecosystem:
    return Ecosystem.pull(bundled)


def test_completeness_table_covers_all_twenty_clusters(bundled: GraphStore, eco: Ecosystem) -> None:
    table = analytics.cluster_completeness(bundled, eco)
    assert len(table) == 20 and len({c.scope for c in table}) == 20
    e01 = next(c for c in table if c.scope == "E01")
    assert e01.stage_counts["basic_research"] >= 2 and e01.stage_counts["scitech_finance"] >= 1
    for row in table:
        assert 0 <= row.score <= 1
        assert set(row.missing_stages) == {s for s, n in row.stage_counts.items() if n == 0}
        assert "of 5 stages" in row.explanation and row.explanation_zh.startswith("5 个环节中")
        for stage in row.missing_stages:
            assert analytics.STAGE_EN[stage] in row.explanation and analytics.STAGE_ZH[stage] in row.explanation_zh


def test_completeness_counts_links_between_consecutive_stages() -> None:
    eco = Ecosystem(
        members={"X": {"lab", "centre", "carrier"}},
        stage={
            "lab": "basic_research",
            "centre": "technology_breakthrough",
            "carrier": "achievement_transfer",
            "uni": "talent_support",
        },
        names={},
        links=[("centre", "lab", "LED_BY"), ("lab", "uni", "HOSTED_BY")],
    )
    result = analytics.completeness(eco.members["X"], eco, "X")
    assert result.linked[("basic_research", "technology_breakthrough")] == 1
    assert ("technology_breakthrough", "achievement_transfer") in result.missing_links
    assert result.missing_stages == ("scitech_finance", "talent_support")
    assert result.score == round(0.6 * 3 / 5 + 0.4 * 1 / 4, 3)
    assert analytics.stage_losses_if_removed(eco, "lab") == [("X", "basic_research")]
    assert ("carrier", "X", "achievement_transfer") in analytics.single_points_of_failure(eco)


def _part(eco: Ecosystem, codes: tuple[str, ...]) -> Ecosystem:
    """Some clusters' members and the links that touch them: a smaller graph, as a cluster's chain page has."""
    members = {code: eco.members[code] for code in codes}
    inside = set().union(*members.values())
    links = [link for link in eco.links if link[0] in inside or link[1] in inside]
    return Ecosystem(members=members, stage=eco.stage, names=eco.names, links=links)


def test_a_pair_joined_from_an_empty_stage_says_the_tie_comes_from_outside() -> None:
    """P03 read "empty: basic research" beside "1 of 4 pairs linked", that pair being basic research → technology
    breakthrough: a member's tie to a lab outside the cluster. The words now say so."""
    counts = dict(zip(analytics.STAGES, [0, 4, 0, 2, 3], strict=True))
    linked = dict.fromkeys(analytics.CHAIN_LINKS, 0)
    linked[("basic_research", "technology_breakthrough")] = 3
    linked[("scitech_finance", "talent_support")] = 1  # both stages in the scope: nothing to say
    result = analytics.scored("P03", counts, linked)
    assert "经范围外主体连接：基础研究→技术攻关。" in result.explanation_zh
    assert "Joined through an entity outside the scope: basic research → technology breakthrough." in result.explanation
    assert "科技金融→人才支撑" not in result.explanation_zh.split("经范围外主体连接：")[1].split("。")[0]
    whole = analytics.scored("E01", dict.fromkeys(analytics.STAGES, 1), dict.fromkeys(analytics.CHAIN_LINKS, 1))
    assert "范围外" not in whole.explanation_zh and "outside" not in whole.explanation


def test_results_are_reproducible(bundled: GraphStore, eco: Ecosystem) -> None:
    again = Ecosystem.pull(bundled)
    assert analytics.communities(eco) == analytics.communities(again)
    assert analytics.cluster_brokers(eco) == analytics.cluster_brokers(again)
    codes = tuple(sorted(eco.members, key=lambda code: (len(eco.members[code]), code))[:3])  # the smallest three
    first = analytics.brokers(_part(eco, codes))
    assert first and first == analytics.brokers(_part(again, codes))
    assert analytics.communities(eco) == analytics.communities(Ecosystem.pull(bundled))


def test_brokers_bridge_clusters(eco: Ecosystem) -> None:
    # exact over the whole bundled graph: 1.5 s batched, 45 s in networkx (bench/brokers.py --whole)
    top = analytics.brokers(eco, top=10)
    assert len(top) == 10 and top[0].betweenness >= top[-1].betweenness > 0
    assert any(len(b.clusters) >= 4 for b in top)  # guidance funds and big facilities serve many chains
    assert all(not b.name.startswith(("university/", "lab/")) for b in top)  # names, not ids


def test_communities_partition_the_clusters(eco: Ecosystem) -> None:
    groups = analytics.communities(eco)
    codes = [code for clusters, _ in groups for code in clusters]
    assert sorted(codes) == sorted(eco.members) and len(codes) == len(set(codes))


def test_cluster_brokers_rank_the_bridges_between_clusters_exactly() -> None:
    members = {"A": {"hub", "a1", "ab"}, "B": {"hub", "b1", "ab"}, "C": {"hub", "c1"}}
    eco = Ecosystem(members=members, stage={}, names={"hub": "枢纽"}, links=[("c1", "x", "R")])
    top = analytics.cluster_brokers(eco)
    # hub: the only path A–C and B–C, one of two A–B paths → (1 + 1 + 0.5) / 3 pairs; ab: half of A–B
    assert [(b.id, b.betweenness) for b in top] == [("hub", round(2.5 / 3, 5)), ("ab", round(0.5 / 3, 5))]
    assert top[0].name == "枢纽" and top[0].clusters == ("A", "B", "C")  # leaves (a1, x) lie on no such path


def test_what_if_removing_the_only_lab_of_a_cluster(bundled: GraphStore) -> None:
    eco = Ecosystem.pull(bundled, sourced_only=True)  # with the inferred ties, no stage hangs on one entity
    spof = analytics.single_points_of_failure(eco)
    entity, cluster, stage = next(t for t in spof if t[2] == "basic_research")
    assert (cluster, stage) in analytics.stage_losses_if_removed(eco, entity)
    assert analytics.stage_losses_if_removed(eco, "no/such-entity") == []


def test_one_clusters_completeness_from_its_chain_graph_matches_the_whole_pull(
    bundled: GraphStore, eco: Ecosystem
) -> None:
    from queries.catalog import get_query

    for whole in analytics.cluster_completeness(bundled, eco):
        rows = get_query("cluster_chain_graph").run(bundled, {"cluster": whole.scope}).rows
        local = Ecosystem.of_cluster(whole.scope, rows)
        assert analytics.completeness(local.members[whole.scope], local, whole.scope) == whole, whole.scope


def test_a_city_counts_what_is_located_in_its_districts(tmp_path: Path, schema: Schema) -> None:
    """`ckg analyze completeness --by city` read the ties to a city only; the yearly report counts the ties to its
    districts too. A lab placed in a district of a city now counts for the city in both."""
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    store.setup_schema()
    store.upsert_nodes("City", [{"id": "city/440300", "name_zh": "深圳市"}])
    store.upsert_nodes("District", [{"id": "district/440305", "name_zh": "南山区"}])
    store.upsert_nodes("IndustryCluster", [{"id": "cluster/E01", "name_zh": "集群", "cluster_code": "E01"}])
    store.upsert_nodes("Laboratory", [{"id": "lab/x", "name_zh": "实验室", "chain_stage": "basic_research"}])
    store.upsert_relationships("PART_OF", "District", "City", [{"from_id": "district/440305", "to_id": "city/440300"}])
    store.upsert_relationships(
        "LOCATED_IN", "Laboratory", "District", [{"from_id": "lab/x", "to_id": "district/440305"}]
    )
    store.upsert_relationships(
        "SERVES_CLUSTER", "Laboratory", "IndustryCluster", [{"from_id": "lab/x", "to_id": "cluster/E01"}]
    )
    found = analytics.city_completeness(store, Ecosystem.pull(store))
    assert [(c.scope, c.stage_counts["basic_research"]) for c in found] == [("深圳市", 1)]
    assert found[0] == scoped_chain.chain_completeness(store, scoped_chain.Scope("city", "深圳市"))
    store.close()
