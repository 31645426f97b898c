"""The named queries: the catalogue's checks, parity of every query across the stores, and a real answer each."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore, QueryResult
from queries.catalog import INDEXED, Param, QueryError, catalog, get_query, parse_query_file

QUERIES = catalog()
# parameters for queries that have required ones; the rest run on their defaults
PARAMS: dict[str, dict[str, Any]] = {
    "search_entities": {"text": "散裂"},
    "entity_details": {"id": "city/441900"},
    "entity_clusters": {"id": "enterprise/47e3f77e5009"},
    "entity_neighbourhood": {"id": "city/441900", "hops": 2},
    "entity_edges": {"id": "city/441900"},
    "shortest_path": {"from_id": "city/441900", "to_id": "cluster/E01"},
    "neighbourhood_edges": {"id": "infrastructure/6389197a8400", "radius": 1},
}


@pytest.fixture(scope="module")
def bundled(loaded_embedded_path: Path, schema: Schema) -> GraphStore:
    return EmbeddedStore(loaded_embedded_path, schema, read_only=True)


def test_catalogue_has_the_queries_researchers_need() -> None:
    assert len(QUERIES) >= 25
    assert {q.kind for q in QUERIES.values()} == {"table", "graph", "map"}
    for query in QUERIES.values():
        assert query.title_zh and query.title_en and query.description
        assert query.cypher_for("neo4j") and query.cypher_for("embedded")
        assert "ckg_label" not in query.cypher_for("neo4j") and "ckg_type" not in query.cypher_for("embedded")


def test_parameters_are_checked_before_anything_runs() -> None:
    query = get_query("cluster_map")
    assert query.bind({}) == {"cluster": "E01", "stage": "all"}
    with pytest.raises(QueryError, match="unknown parameter\\(s\\) colour"):
        query.bind({"colour": "red"})
    with pytest.raises(QueryError, match="text is required") as missing:
        get_query("search_entities").bind({})
    assert "缺少必需的参数 text（名称的一部分，中文或英文） / " in str(missing.value)  # the help in each half
    assert str(missing.value).endswith("(part of a name, Chinese or English)")
    without_help = dataclasses.replace(get_query("search_entities"), params=(Param("text", "string", required=True),))
    with pytest.raises(QueryError) as missing:  # a query saved from the console: no help, no empty brackets
        without_help.bind({})
    assert str(missing.value).endswith("缺少必需的参数 text / search_entities: parameter text is required")
    with pytest.raises(QueryError, match="min_clusters must be int"):
        get_query("shared_entities").bind({"min_clusters": "two"})
    assert get_query("shared_entities").bind({"min_clusters": "3"}) == {"min_clusters": 3, "sourced_only": False}
    with pytest.raises(QueryError, match="no named query"):
        get_query("drop_everything")


def test_a_malformed_query_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.cypher"
    path.write_text("// name: broken\n// title: {zh: 坏, en: bad}\nMATCH (n) RETURN n\n", encoding="utf-8")
    with pytest.raises(QueryError, match="lacks description, kind, stage"):
        parse_query_file(path)


def _normalise(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return sorted((_normalise(v) for v in value), key=repr)  # collect() order is not part of an answer
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v is not None and k != "ingest_run"}
    return value


def _comparable(name: str, result: QueryResult) -> list[str]:
    query = QUERIES[name]
    columns = list(query.parity_columns) or result.columns
    rows = [
        json.dumps({c: _normalise(r.get(c)) for c in columns}, ensure_ascii=False, sort_keys=True) for r in result.rows
    ]
    # Compared as multisets even for ordered queries: LadybugDB 0.22 returned a multi-key ORDER BY out of order
    # once in about sixty runs (department_responsibilities); that would make this test flaky, not better.
    return sorted(rows)


def test_the_neo4j_node_count_names_every_class(schema: Schema) -> None:
    """dq_counts on Neo4j counts per label from a list: a class the ontology gains must be counted too."""
    text = QUERIES["dq_counts"].cypher_for("neo4j")
    assert sorted(re.findall(r"MATCH \(n:(\w+)\)", text)) == sorted(c.name for c in schema.node_classes)


def test_memberships_can_be_counted_without_distinct(schema: Schema) -> None:
    """shared_entities counts an entity's membership ties as its clusters (both variants): sound while every
    membership ends at a cluster and no class can start both types (a store keeps one tie per pair and type)."""
    serves, member = schema.rel_type("SERVES_CLUSTER"), schema.rel_type("IN_CLUSTER")
    assert serves.range == member.range == ("IndustryCluster",)
    assert not set(serves.domain) & set(member.domain)


def test_ecosystem_links_names_every_non_structural_relationship(schema: Schema) -> None:
    """ecosystem_links reads the ontology's non-structural relationships by name: a type the ontology gains must
    be read too."""
    match = re.search(r"\[r:([A-Z_|]+)\]", QUERIES["ecosystem_links"].body)
    assert match is not None
    assert sorted(match.group(1).split("|")) == sorted(n for n, r in schema.relationships.items() if not r.structural)


@pytest.mark.neo4j
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_gives_the_same_answer_on_both_stores(
    name: str, bundled: GraphStore, loaded_neo4j: GraphStore
) -> None:
    embedded = _answer(bundled, name, PARAMS.get(name))
    neo4j = _answer(loaded_neo4j, name, PARAMS.get(name))
    assert embedded.columns == neo4j.columns
    assert _comparable(name, embedded) == _comparable(name, neo4j)


def _answer(store: GraphStore, name: str, params: dict[str, Any] | None) -> QueryResult:
    """The whole answer: reads are capped at the settings' row cap by default (5,000), which would cut the
    answers these tests check; the cap itself is tested in tests/test_read_limits.py. The indexed search
    answers through its index with its own `limit`."""
    query = QUERIES[name]
    return query.run(store, params) if name in INDEXED else query.run_all(store, params)


def _rows(store: GraphStore, name: str, **params: Any) -> list[dict[str, Any]]:
    return _answer(store, name, {**PARAMS.get(name, {}), **params}).rows


def _one(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, rows[:5])
    return found[0]


# One real answer per query, read off the bundled sources by hand.
REAL_ANSWERS: dict[str, Callable[[GraphStore], object]] = {
    "cluster_list": lambda s: _one(_rows(s, "cluster_list"), code="P02").update() or None,
    "cluster_chain": lambda s: _assert(
        [r["stage"] for r in _rows(s, "cluster_chain", cluster="智能家电")]
        == ["basic_research", "technology_breakthrough", "achievement_transfer", "scitech_finance", "talent_support"]
        and all(r["entities"] >= r["sourced"] for r in _rows(s, "cluster_chain", cluster="智能家电"))
        and sum(r["entities"] for r in _rows(s, "cluster_chain", cluster="P03", sourced_only=True))
        < sum(r["entities"] for r in _rows(s, "cluster_chain", cluster="P03"))
    ),
    "cluster_chain_classes": lambda s: _assert(
        {(r["stage"], r["class"]) for r in _rows(s, "cluster_chain_classes", cluster="半导体与集成电路")}
        >= {("basic_research", "Laboratory"), ("industry", "Enterprise"), ("scitech_finance", "Fund")}
    ),
    "cluster_entities": lambda s: _one(
        _rows(s, "cluster_entities", cluster="E01"), name_zh="粤澳模块化芯片设计和测试联合实验室"
    ),
    "cluster_chain_links": lambda s: _assert(
        any(r["relationship"] == "HOSTED_BY" for r in _rows(s, "cluster_chain_links", cluster="P09"))
    ),
    "cluster_chain_graph": lambda s: _assert(
        all(r["cluster_id"] == "cluster/E01" for r in _rows(s, "cluster_chain_graph"))
    ),
    "cluster_key_technologies": lambda s: _one(
        _rows(s, "cluster_key_technologies"), technology="chip design and testing"
    ),
    "cluster_key_products": lambda s: _assert(
        any(r["enterprise"].startswith("TCL") for r in _rows(s, "cluster_key_products", cluster="E01"))
    ),
    "cluster_rd_institutions": lambda s: _assert(  # two hosts: one row, naming both in order
        _one(_rows(s, "cluster_rd_institutions"), institution="国家5G中高频器件创新中心")["hosts"]
        == ["深圳市汇芯通信技术有限公司", "福田区投资控股, 力合科创, 南方科技大学"]
    ),
    "cluster_map": lambda s: _assert(max(_rows(s, "cluster_map"), key=lambda r: r["entities"])["city"] == "深圳市"),
    "stage_map": lambda s: _assert(len(_rows(s, "stage_map", stage="basic_research")) == 21),
    "shared_entities": lambda s: _assert(
        _one(_rows(s, "shared_entities", sourced_only=True), name_zh="广东省战略性新兴产业发展基金（粤科金融发起）")[
            "clusters"
        ]
        == 7  # the seven its row names; rules add more
        <= _one(_rows(s, "shared_entities"), name_zh="广东省战略性新兴产业发展基金（粤科金融发起）")["clusters"]
    ),
    "city_cluster_matrix": lambda s: _assert(
        _one(_rows(s, "city_cluster_matrix"), city="广州市", cluster="P09")["entities"] >= 10
    ),
    "city_profile": lambda s: (
        _one(_rows(s, "city_profile", city="东莞"), stage="basic_research", class_="x")
        if False
        else _assert(any(r["class"] == "ResearchInfrastructure" for r in _rows(s, "city_profile", city="东莞")))
    ),
    "city_district_entities": lambda s: _assert(  # the whole city, its districts' entities included
        {r["class"] for r in _rows(s, "city_district_entities", city="广州")} >= {"University", "Laboratory"}
        and _one(_rows(s, "city_district_entities", city="广州", cluster="P09"), name_zh="中山大学")["latitude"]
        is not None
    ),
    "city_district_counts": lambda s: _assert(  # every entity of the city once, whatever the row cap
        sum(r["entities"] for r in _rows(s, "city_district_counts", city="广州"))
        == len({r["id"] for r in _rows(s, "city_district_entities", city="广州")})
        > 100
    ),
    "projects_led_in_guangdong": lambda s: _assert(
        _one(_rows(s, "projects_led_in_guangdong"), project_no="2018YFA0107100")["city"] == "广州市"
    ),
    "lab_hosts": lambda s: _assert(
        _one(_rows(s, "lab_hosts"), name_zh="亚热带农业生物资源保护与利用国家重点实验室", host="华南农业大学")[
            "host_class"
        ]
        == "University"
    ),
    "measure7_center_coverage": lambda s: _assert(
        _one(_rows(s, "measure7_center_coverage"), code="E01")["manufacturing_status"] == "covered"
        and all(r["technology_status"] == "unknown: list incomplete" for r in _rows(s, "measure7_center_coverage"))
    ),
    "measure7_list_completeness": lambda s: _assert(
        _one(_rows(s, "measure7_list_completeness"), list="provincial_manufacturing_innovation_centers")["stated_total"]
        == 33
    ),
    "measure12_accelerator_coverage": lambda s: _assert(
        len(_rows(s, "measure12_accelerator_coverage")) == 14
        and all(r["status"].startswith(("unknown", "has")) for r in _rows(s, "measure12_accelerator_coverage"))
    ),
    "measure12_science_park_coverage": lambda s: _assert(
        _one(_rows(s, "measure12_science_park_coverage"), university="中山大学")["status"] == "covered"
        and _one(_rows(s, "measure12_science_park_coverage"), university="南方科技大学")["status"]
        == "unknown: list incomplete"
    ),
    "department_responsibilities": lambda s: _assert(
        {r["measure"] for r in _rows(s, "department_responsibilities", department="省市场监管局")} == {19, 20}
    ),
    "policy_targets": lambda s: _assert(_one(_rows(s, "policy_targets"), metric="高技能人才")["value"] == 580.0),
    "measures_by_stage": lambda s: _assert(
        {r["measure"] for r in _rows(s, "measures_by_stage") if r["stage"] == "科技金融"} == {14, 15, 16}
    ),
    "notice_measures": lambda s: _assert(_one(_rows(s, "notice_measures"), measure=9)["departments"] == 6),
    "search_entities": lambda s: _assert(
        "中国散裂中子源" in {r["name_zh"] for r in _rows(s, "search_entities")}
        and "中国散裂中子源" in {r["name_zh"] for r in _rows(s, "search_entities", text="csns")}
    ),
    "entity_clusters": lambda s: _assert(
        _one(_rows(s, "entity_clusters"), cluster="P01")["source_refs"] == ["facts/enterprises.csv#3"]
    ),
    "entity_details": lambda s: _assert(
        _rows(s, "entity_details")[0]["entity"]["name_zh"] == "东莞市"
        and _rows(s, "entity_details")[0]["sources"] == ["facts/cities.csv#18"]
    ),
    "entity_neighbourhood": lambda s: _assert(
        "中国散裂中子源" in {r["name_zh"] for r in _rows(s, "entity_neighbourhood", hops=1)}
    ),
    "entity_edges": lambda s: _assert(
        any(r["other_name"] == "中国散裂中子源" and r["direction"] == "in" for r in _rows(s, "entity_edges"))
    ),
    "shortest_path": lambda s: _assert(_rows(s, "shortest_path")[0]["length"] == 2),
    "neighbourhood_edges": lambda s: _assert(
        any(r["to_name"] == "中国科学院高能物理研究所" for r in _rows(s, "neighbourhood_edges", radius=0))
        and not any(r["from_id"].startswith("city/") for r in _rows(s, "neighbourhood_edges"))
    ),
    "dq_counts": lambda s: (
        _one(_rows(s, "dq_counts"), class_name="x")
        if False
        else _assert(_one(_rows(s, "dq_counts"), nodes=21)["class"] == "City")
    ),
    "dq_orphans": lambda s: _assert(all(r["orphans"] > 0 for r in _rows(s, "dq_orphans"))),
    "dq_without_source": lambda s: _assert(all(r["without_file"] == 0 for r in _rows(s, "dq_without_source"))),
    "dq_low_confidence": lambda s: _assert(
        any(r["class"] == "Laboratory" and r["confidence"] == "medium" for r in _rows(s, "dq_low_confidence"))
    ),
    "dq_derived_entities": lambda s: _assert(
        "中国科学院高能物理研究所" in {r["name_zh"] for r in _rows(s, "dq_derived_entities", limit=5000)}
    ),
    "ecosystem_members": lambda s: (
        _one(_rows(s, "ecosystem_members"), name_zh="中国散裂中子源", cluster="P09").update() or None
    ),
    "ecosystem_links": lambda s: _assert(
        any(r["to_name"] == "中山大学" and r["relationship"] == "HOSTED_BY" for r in _rows(s, "ecosystem_links"))
    ),
    "dq_last_ingest": lambda s: _assert(_rows(s, "dq_last_ingest")[0]["status"] == "completed"),
    "entities_without_city": lambda s: _assert(
        "三孚新科" in {r["name_zh"] for r in _rows(s, "entities_without_city", cluster="E01")}
        and "中国散裂中子源" not in {r["name_zh"] for r in _rows(s, "entities_without_city")}
    ),
    "entities_without_city_count": lambda s: _assert(  # as many as the list, for the graph and for one cluster
        _rows(s, "entities_without_city_count")[0]["entities"] == len(_rows(s, "entities_without_city")) > 0
        and _rows(s, "entities_without_city_count", cluster="E01")[0]["entities"]
        == len(_rows(s, "entities_without_city", cluster="E01"))
    ),
}


def _assert(condition: bool) -> None:
    assert condition


def test_every_query_has_a_real_answer_test() -> None:
    assert set(REAL_ANSWERS) == set(QUERIES)


@pytest.mark.parametrize("name", sorted(REAL_ANSWERS))
def test_real_answer_on_the_bundled_data(name: str, bundled: GraphStore) -> None:
    REAL_ANSWERS[name](bundled)


def test_an_empty_answer_tells_a_name_the_graph_lacks_from_one_with_nothing_there(bundled_each: GraphStore) -> None:
    from queries.known_names import unknown_names

    known = {"cluster": "E01", "city": "广州", "stage": "talent_support", "id": "city/441900", "department": "省科技厅"}
    assert unknown_names(bundled_each, {**known, "limit": 5, "text": "火星"}) == []
    assert unknown_names(bundled_each, {"cluster": "半导体与集成电路", "city": "440300", "stage": "all"}) == []
    wrong = {"cluster": "ZZ99", "city": "火星市", "stage": "nope", "id": "city/000000", "department": "外星局"}
    assert unknown_names(bundled_each, wrong) == sorted(wrong.items(), key=lambda item: list(wrong).index(item[0]))
