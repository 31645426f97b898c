"""The reserved ``$row_cap`` parameter: a listing that sorts and cuts in the database gives, under any row cap, the
first rows of its whole answer, says it was cut, and a whole pull still gets every row — on both stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from queries.catalog import ROW_CAP, QueryError, catalog, get_query, parse_query_file

# the listings that cut themselves, with parameters that give them more rows than the caps below
CUT_IN_THE_DATABASE: dict[str, dict[str, Any]] = {
    "cluster_entities": {"cluster": "E01"},
    "shared_entities": {"min_clusters": 2},
    "city_district_entities": {"city": "深圳市"},  # on Neo4j (its variant)
    "projects_led_in_guangdong": {},
    "ecosystem_members": {},  # unordered: any rows of the whole answer
    "ecosystem_links": {},  # unordered too
    "cluster_chain_graph": {"cluster": "E01"},
    "cluster_key_products": {"cluster": "E01"},  # on the embedded store (its variant): unordered, cut by members
}
# these cut the members they walk from, not their rows: the database stops at $row_cap members
CUT_BY_MEMBERS = {"cluster_chain_graph": "member_id"}


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def loaded(request: pytest.FixtureRequest, schema: Schema) -> GraphStore:
    if request.param == "embedded":
        return EmbeddedStore(request.getfixturevalue("loaded_embedded_path"), schema, read_only=True)
    store: GraphStore = request.getfixturevalue("loaded_neo4j")
    return store


def test_the_listings_named_here_are_the_ones_that_use_it() -> None:
    using = {q.name for q in catalog().values() if any(f"${ROW_CAP}" in q.cypher_for(b) for b in ("neo4j", "embedded"))}
    assert using == set(CUT_IN_THE_DATABASE)


@pytest.mark.parametrize("name", sorted(CUT_IN_THE_DATABASE))
def test_a_capped_answer_is_the_head_of_the_whole_one(loaded: GraphStore, name: str) -> None:
    query = get_query(name)
    whole = query.run_all(loaded, CUT_IN_THE_DATABASE[name])
    assert len(whole.rows) > 12 and not whole.truncated
    for cap in (1, 5, 12):
        capped = query.run(loaded, CUT_IN_THE_DATABASE[name], row_cap=cap)
        assert capped.truncated and len(capped.rows) == cap, (name, cap)
        if query.ordered:
            assert capped.rows == whole.rows[:cap], (name, cap)
        else:
            assert all(row in whole.rows for row in capped.rows), (name, cap)
    # the database itself stops at the reserved parameter (cap + 1), not only the store's reader
    text = query.cypher_for(loaded.backend)
    if "$row_cap" in text:
        cut = loaded.read_all(text, query.with_row_cap(loaded.backend, query.bind(CUT_IN_THE_DATABASE[name]), 2))
        if name in CUT_BY_MEMBERS:  # each member gives a row or more: three members, at least three rows
            assert len({row[CUT_BY_MEMBERS[name]] for row in cut.rows}) == 3 <= len(cut.rows), name
        else:
            assert len(cut.rows) == 3, name
    if len(whole.rows) < loaded.read_limits.row_cap:  # the whole answer fits under the store's cap: all of it
        exact = query.run(loaded, CUT_IN_THE_DATABASE[name], row_cap=len(whole.rows) + 1)
        assert not exact.truncated
        assert exact.rows == whole.rows if query.ordered else _as_set(exact.rows) == _as_set(whole.rows)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("cluster_entities", {"cluster": "E01", "sourced_only": True}),
        ("cluster_entities", {"cluster": "no such cluster"}),
        ("shared_entities", {"min_clusters": 3, "sourced_only": True}),
        ("city_district_entities", {"city": "广州", "cluster": "E01", "stage": "industry"}),
        ("city_district_entities", {"city": "no such city"}),
    ],
)
def test_other_parameters_cut_the_same_way(loaded: GraphStore, name: str, params: dict[str, Any]) -> None:
    query = get_query(name)
    whole = query.run_all(loaded, params)
    capped = query.run(loaded, params, row_cap=4)
    assert capped.rows == whole.rows[:4] and capped.truncated == (len(whole.rows) >= 4)


def _as_set(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows)


def test_the_parameter_is_bound_by_the_catalogue_only(tmp_path: Path) -> None:
    query = get_query("cluster_entities")
    with pytest.raises(QueryError, match="unknown parameter"):
        query.bind({ROW_CAP: 10})  # a caller cannot raise it past the store's cap
    bound = query.with_row_cap("embedded", query.bind({}), 7)
    assert bound[ROW_CAP] == 8  # one more than the cap: a full page still tells the reader it was cut
    assert ROW_CAP not in get_query("cluster_list").with_row_cap("embedded", {}, 7)
    path = tmp_path / "reserved.cypher"
    path.write_text(
        "// name: reserved\n// title: {zh: 保留, en: reserved}\n// description: x\n// kind: table\n// stage: all\n"
        "// params:\n//   row_cap: {type: int, default: 9}\nMATCH (n) RETURN n.id AS id LIMIT $row_cap\n",
        encoding="utf-8",
    )
    with pytest.raises(QueryError, match="reserved"):
        parse_query_file(path)
