"""The counts the whole-graph queries read (Tally nodes) stay equal to the full computation through every kind of
write, on both stores, and the queries that read them answer exactly as their full-scan definitions did."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from graph import (
    aggregates,
    chain_tallies,
    city_class_tallies,
    map_tallies,
    member_link_tallies,
    name_index,
    quality_tallies,
    tally_rows,
)
from graph.editions import create_edition, edition_store
from graph.schema import Schema
from graph.store import GraphStore
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, Source, bundled_sources
from queries import kept_counts, scoped_chain
from queries.catalog import get_query
from queries.full_scans import FULL_SCANS
from tests.test_source_ownership import curator_sources

# A slice of the bundled data with cities, clusters and members of every kind of tie (fast to load).
SLICE = (
    "cities",
    "districts",
    "district_centroids",
    "clusters",
    "agencies",
    "enterprises",
    "labs",
    "universities",
    "university_locations",
    "research_institutes",
    "innovation_centers",  # led by labs and institutes: links between consecutive stages
)

STAGES = ("all", "industry", "basic_research", "tech_breakthrough", "talent_support")


def slice_sources(schema: Schema) -> list[Source]:
    return [s for s in bundled_sources(schema) if s.name in SLICE]


def _answers(store: GraphStore, every_cluster: bool) -> dict[str, Any]:
    """Each tally-reading query's rows, next to its full scan's rows, for every stage of the stage map."""
    found: dict[str, Any] = {}
    for name, body in FULL_SCANS.items():
        query = get_query(name)
        reference = dataclasses.replace(query, body=body, variants={})
        for params in _asked(store, name, every_cluster):
            found[f"{name} {params}"] = (
                _without_examples(query.run(store, params).rows),
                _without_examples(reference.run(store, params).rows),
            )
    return found


def _clusters(store: GraphStore, every_cluster: bool) -> list[dict[str, Any]]:
    """The clusters a check asks about: all twenty, or the first, a middle and the last by code (a check after a
    single change: the kept rows are still compared whole with the full computation, and the queries' reading of
    them for any cluster is the same text — each asked cluster costs Neo4j about thirty reads, a minute of CI)."""
    clusters = store.read(
        "MATCH (c:IndustryCluster) RETURN c.cluster_code AS code, c.name_zh AS zh, c.name_en AS en ORDER BY code"
    ).rows
    return clusters if every_cluster else [clusters[0], clusters[len(clusters) // 2], clusters[-1]]


def _asked(store: GraphStore, name: str, every_cluster: bool) -> list[dict[str, Any]]:
    """What each tallied query is asked: every stage of the stage map; for the entities without a city, every stage,
    every cluster, and one cluster by every stage; for a city's districts, every city with all clusters and stages,
    and the two cities with the most entities by their busiest clusters, by cluster name, and by every stage; for a
    cluster's chain, every cluster with and without inferred ties, a cluster by either name, and one that is none.
    "Every cluster" is the three of ``_clusters`` unless every_cluster."""
    if name == "stage_map":
        return [{"stage": stage} for stage in STAGES]
    if name == "entities_without_city_count":
        clusters = _clusters(store, every_cluster)
        return (
            [{"stage": stage} for stage in STAGES]
            + [{"cluster": row["code"]} for row in clusters]
            + [{"cluster": "E01", "stage": stage} for stage in STAGES]
        )
    if name in ("cluster_chain", "cluster_chain_classes"):
        clusters = _clusters(store, every_cluster)
        return [{"cluster": row["code"], "sourced_only": sourced} for row in clusters for sourced in (False, True)] + [
            {"cluster": clusters[0]["zh"]},
            {"cluster": clusters[-1]["en"]},
            {"cluster": "no such cluster"},
        ]
    if name == "cluster_chain_links":
        clusters = _clusters(store, every_cluster)
        return [{"cluster": row["code"]} for row in clusters] + [
            {"cluster": clusters[0]["zh"]},
            {"cluster": clusters[-1]["en"]},
            {"cluster": "no such cluster"},
        ]
    if name == "city_profile":  # every city by each of its names and its code, a short name, and no city
        cities = store.read(
            "MATCH (c:City) RETURN c.name_zh AS zh, c.name_en AS en, c.admin_code AS code ORDER BY code"
        ).rows
        asked = [{"city": row[key]} for row in cities for key in ("zh", "en", "code") if row[key]]
        return [*asked, {"city": cities[0]["zh"].removesuffix("市")}, {"city": "no such city"}]
    if name != "city_district_counts":
        return [{}]
    cities = store.read("MATCH (c:City) RETURN c.name_zh AS name ORDER BY name").rows
    asked = [{"city": row["name"]} for row in cities]
    busiest = store.read(
        "MATCH (e)-[:LOCATED_IN]->(city:City) "
        "RETURN city.admin_code AS code, count(e) AS n ORDER BY n DESC, code LIMIT 2"
    ).rows
    for city in busiest:
        clusters = store.read(
            "MATCH (c:IndustryCluster)<-[:SERVES_CLUSTER|IN_CLUSTER]-(e)-[:LOCATED_IN]->(:City {admin_code: $city}) "
            "RETURN c.cluster_code AS code, c.name_zh AS name, count(e) AS n ORDER BY n DESC, code LIMIT 2",
            {"city": city["code"]},
        ).rows
        for cluster in [{"code": "all", "name": "all"}, *clusters]:
            asked += [{"city": city["code"], "cluster": cluster["code"], "stage": stage} for stage in STAGES]
            asked.append({"city": city["code"], "cluster": cluster["name"]})
    return asked


def _without_examples(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full scans of the quality queries collect examples in no set order (LadybugDB picks other names from one
    run to the next): compared here by count only; ``_check_examples`` checks the kept examples on their own."""
    return [{k: v for k, v in row.items() if k != "examples"} for row in rows]


def _check_examples(store: GraphStore) -> None:
    """The kept examples are the first five names in id order of the nodes counted."""
    conditions = {
        "dq_orphans": ("NOT EXISTS { MATCH (n)-[]-() }", None),
        "dq_low_confidence": ("n.confidence = $confidence", "confidence"),
    }
    for name, (condition, param) in conditions.items():
        for row in get_query(name).run(store).rows:
            assert row["class"] in {c.name for c in store.schema.entity_classes}  # a schema class: safe as a label
            params = {"confidence": row[param]} if param else {}
            names = store.read(
                f"MATCH (n:{row['class']}) WHERE {condition} RETURN n.id AS id, n.name_zh AS name ORDER BY id", params
            ).rows
            assert row["examples"] == [r["name"] for r in names if r["name"] is not None][:5], (name, row)


def _check(store: GraphStore, every_cluster: bool = False) -> dict[aggregates.TallyKey, int]:
    """The kept rows equal the full computation, whole; the queries reading them answer as their full scans for
    every stage and city, and every cluster or three of them (``_clusters``)."""
    kept = aggregates.stored(store)
    assert kept == aggregates.compute(store)
    assert chain_tallies.stored(store, aggregates.LABEL) == chain_tallies.compute(store)
    assert member_link_tallies.stored(store, aggregates.LABEL) == member_link_tallies.compute(store)
    assert city_class_tallies.stored(store, aggregates.LABEL) == city_class_tallies.compute(store)
    assert aggregates.readable(store)
    cluster_map = get_query("cluster_map")
    for i, row in enumerate(_clusters(store, every_cluster)):
        for sourced in (False, True):
            scope = scoped_chain.Scope("cluster", row["code"], sourced)
            assert scoped_chain.kept_completeness(store, scope) == scoped_chain.scanned_completeness(store, scope)
        # the industry map of all stages, from the kept counts; a cluster named by its names too (one is enough:
        # binding a name to its code is the same for each, and these reads are most of this check's minutes)
        for cluster in (row["code"], row["zh"], row["en"]) if i == 0 else (row["code"],):
            params = cluster_map.bind({"cluster": cluster})
            scanned = store.read(cluster_map.text_for(store), params).rows
            assert kept_counts.kept_text("cluster_map", store, params) == kept_counts.CLUSTER_MAP_KEPT
            assert store.read(kept_counts.CLUSTER_MAP_KEPT, params).rows == scanned, cluster
            assert cluster_map.run(store, params).rows == cluster_map.run_all(store, params).rows == scanned, cluster
    for what, (tallied, scanned) in _answers(store, every_cluster).items():
        assert tallied == scanned, what
    _check_examples(store)
    return kept


def test_tallies_equal_the_full_computation_after_ingest_second_source_and_retract(
    store: GraphStore, schema: Schema
) -> None:
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    first = _check(store, every_cluster=True)
    assert any(k[0] == aggregates.CITY_CLUSTER for k in first) and any(k[0] == aggregates.CITY_STAGE for k in first)
    districts = map_tallies.stored(store, aggregates.LABEL)
    assert {k[0] for k in districts} == set(map_tallies.KINDS)  # with and without coordinates, without a city
    assert any(k[2] for k in districts)  # per cluster too
    chain = chain_tallies.stored(store, aggregates.LABEL)
    sourced = {key[1:]: n for key, n in chain.items() if key[0] == chain_tallies.MEMBERS_SOURCED}
    # inferred ties are counted apart: some cells have members no source ties to the cluster
    assert any(n > sourced.get(key[1:], 0) for key, n in chain.items() if key[0] == chain_tallies.MEMBERS)
    assert any(key[0] == chain_tallies.LINKS for key in chain)  # and links between consecutive stages
    member_links = member_link_tallies.stored(store, aggregates.LABEL)  # the ties members start, of several types
    assert len({key[3] for key in member_links}) >= 2 and any(key[2] != key[4] for key in member_links)
    epoch = aggregates.epoch(store)

    run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)  # a curator's labs and titles
    second = _check(store)
    assert second != first and aggregates.epoch(store) != epoch

    run_ingest(store, [], data_dir=DATA_DIR, retract=[s.name for s in curator_sources(schema)])
    # the kept rows equal the full computation and the first load's: so the answers read from them are the
    # first's, which the full check above compared with their scans
    kept = aggregates.stored(store)
    assert kept == aggregates.compute(store) == first
    assert chain_tallies.stored(store, aggregates.LABEL) == chain_tallies.compute(store) == chain
    assert member_link_tallies.stored(store, aggregates.LABEL) == member_link_tallies.compute(store)
    assert city_class_tallies.stored(store, aggregates.LABEL) == city_class_tallies.compute(store)
    assert map_tallies.stored(store, aggregates.LABEL) == districts


def test_map_tallies_count_an_entity_once_in_its_lowest_district(store: GraphStore, schema: Schema) -> None:
    """No bundled source ties an entity to a district: the ties are written here, then recounted as a write does."""
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    city = "440100"  # 广州市
    districts = [
        r["id"]
        for r in store.read(
            "MATCH (d:District)-[:PART_OF]->(:City {admin_code: $city}) "
            "RETURN d.id AS id ORDER BY d.admin_code LIMIT 2",
            {"city": city},
        ).rows
    ]
    firms = [
        r["id"]
        for r in store.read(
            "MATCH (e:Enterprise)-[:LOCATED_IN]->(:City {admin_code: $city}) RETURN e.id AS id ORDER BY id LIMIT 2",
            {"city": city},
        ).rows
    ]
    assert len(districts) == 2 and len(firms) == 2
    before = get_query("city_district_counts").run(store, {"city": city}).rows
    ties = [(firms[0], districts[1]), (firms[0], districts[0]), (firms[1], districts[1])]  # the first: two districts
    with store.transaction(rows=len(ties)):
        store.upsert_relationships(
            "LOCATED_IN", "Enterprise", "District", [{"from_id": a, "to_id": b} for a, b in ties]
        )
        aggregates.refresh(store)
    _check(store)
    after = get_query("city_district_counts").run(store, {"city": city}).rows
    codes = {
        d: store.read("MATCH (d:District {id: $id}) RETURN d.admin_code AS code", {"id": d}).rows[0]["code"]
        for d in districts
    }
    by_district = {r["district_code"]: 0 for r in after}
    for row in after:
        by_district[row["district_code"]] += row["entities"]
    assert by_district[codes[districts[0]]] == 1 and by_district[codes[districts[1]]] == 1  # one each, lowest code
    assert sum(r["entities"] for r in after) == sum(r["entities"] for r in before)  # still each entity once


def test_a_citys_counts_and_report_scope_follow_districts_parks_and_twin_cities(
    store: GraphStore, schema: Schema
) -> None:
    """No bundled entity is located in a district or a park alone: two firms are moved there, and a third is put in
    a second City of the same name as well; the kept counts, the city scope and its product list must follow."""
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    city = store.read("MATCH (c:City {admin_code: '440100'}) RETURN c.id AS id, c.name_zh AS name").rows[0]
    district = store.read(
        "MATCH (d:District)-[:PART_OF]->(:City {admin_code: '440100'}) RETURN d.id AS id ORDER BY id LIMIT 1"
    ).rows[0]["id"]
    firms = store.read(
        "MATCH (c:IndustryCluster)<-[:IN_CLUSTER]-(e:Enterprise)-[:LOCATED_IN]->(:City {admin_code: '440100'}) "
        "RETURN e.id AS id, e.name_zh AS name, min(c.cluster_code) AS cluster ORDER BY id LIMIT 3"
    ).rows
    assert len(firms) == 3
    scope = scoped_chain.Scope("city", city["name"])
    profile = get_query("city_profile")
    before = {"count": scoped_chain.entity_count(store, scope), "profile": profile.run(store, {"city": "440100"}).rows}
    park, twin = "park/test-guangzhou", "city/test-twin-guangzhou"
    with store.transaction(rows=8):
        store.upsert_nodes("Park", [{"id": park, "name_zh": "测试园区"}])
        store.upsert_nodes("City", [{"id": twin, "name_zh": city["name"], "admin_code": "449999"}])
        store.upsert_relationships("PART_OF", "Park", "City", [{"from_id": park, "to_id": city["id"]}])
        store.delete_relationships("LOCATED_IN", "Enterprise", "City", [(f["id"], city["id"]) for f in firms[:2]])
        store.upsert_relationships(
            "LOCATED_IN", "Enterprise", "District", [{"from_id": firms[0]["id"], "to_id": district}]
        )
        store.upsert_relationships("LOCATED_IN", "Enterprise", "Park", [{"from_id": firms[1]["id"], "to_id": park}])
        store.upsert_relationships("LOCATED_IN", "Enterprise", "City", [{"from_id": firms[2]["id"], "to_id": twin}])
        aggregates.refresh(store)
    _check(store)  # every city's profile, by each of its names, against the full scan
    # by code: one city, its kept counts, the two moved firms still counted
    assert profile.run(store, {"city": "440100"}).rows == before["profile"]
    # by name: two cities, the full scan, the firm in both counted once
    assert kept_counts.needs_scan("city_profile", store, {"city": city["name"]})
    by_name = profile.run(store, {"city": city["name"]}).rows
    assert by_name == profile.run(store, {"city": "440100"}).rows
    # the report's scope: the firms in a district and in a park are the city's, the twin's firm once
    assert scoped_chain.entity_count(store, scope) == before["count"]
    assert scoped_chain.names_in(store, scope, {f["name"] for f in firms}) == {f["name"] for f in firms}
    products = scoped_chain.city_products(store, city["name"], sorted({f["cluster"] for f in firms}))
    for firm in firms:
        assert [r for r in products if (r["cluster"], r["enterprise"]) == (firm["cluster"], firm["name"])], firm


def test_an_unchanged_rerun_keeps_the_epoch_and_a_store_without_tallies_gets_them(
    embedded_store: GraphStore, schema: Schema
) -> None:
    store = embedded_store  # the pipeline's logic, the same for both stores
    sources = [s for s in slice_sources(schema) if s.name in ("cities", "clusters")]
    run_ingest(store, sources, data_dir=DATA_DIR)
    epoch = aggregates.epoch(store)
    run_ingest(store, sources, data_dir=DATA_DIR)
    assert aggregates.epoch(store) == epoch  # nothing changed: no recount
    store.delete_nodes(aggregates.LABEL, [aggregates.EPOCH_ID])  # as a store loaded before tallies existed
    run_ingest(store, sources, data_dir=DATA_DIR)
    assert aggregates.epoch(store) not in (None, epoch)
    _check(store)


def test_an_edition_restored_for_reading_has_its_own_tallies(
    embedded_store: GraphStore, schema: Schema, tmp_path: Path
) -> None:
    store = embedded_store
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    then = aggregates.stored(store)
    create_edition(store, "2025-Q3")
    run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)
    assert aggregates.stored(store) != then
    with edition_store(store, "2025-Q3", cache=tmp_path / "editions") as old:
        assert _check(old) == then


def test_a_rerun_after_a_killed_run_recounts_and_reindexes(embedded_store: GraphStore, schema: Schema) -> None:
    """A killed run may have written its facts but not the counts and name index that follow them; the re-run of
    the same files then finds nothing to write, and must still leave both in step with the graph."""
    store = embedded_store
    sources = [s for s in slice_sources(schema) if s.name in ("cities", "clusters", "enterprises")]
    run_ingest(store, sources, data_dir=DATA_DIR)
    epoch = aggregates.epoch(store)
    key = next(k for k in aggregates.stored(store) if k[0] == aggregates.CITY_CLUSTER)
    row = store.read("MATCH (e:Enterprise) RETURN e.id AS id, e.name_zh AS name ORDER BY e.id LIMIT 1").rows[0]
    # what the killed run left: a stale count, an entity missing from the name index, a run still "running"
    stale = {"tally_kind": key[0], "tally_city": key[1], "tally_cluster": key[2], "tally_count": 10_000}
    store.upsert_nodes(aggregates.LABEL, [{"id": aggregates._tally_id(key), **stale}])
    path = name_index.sidecar_path(store)
    assert path is not None
    with closing(sqlite3.connect(path)) as db:
        name_index._delete(db, [row["id"]])
        db.commit()
    assert row["id"] not in _found_ids(store, row["name"])
    store.upsert_nodes("IngestRun", [{"id": "run/killed", "started_at": "2999-01-01T00:00:00", "status": "running"}])

    result = run_ingest(store, sources, data_dir=DATA_DIR)
    assert not result.changed_anything  # the same files: no fact to write …
    assert aggregates.epoch(store) != epoch  # … and yet recounted
    _check(store)
    assert row["id"] in _found_ids(store, row["name"])  # and re-indexed


def _found_ids(store: GraphStore, text: str) -> set[str]:
    return {r["id"] for r in get_query("search_entities").run(store, {"text": text, "limit": 50}).rows}


def test_tallies_of_an_older_version_answer_from_full_scans_until_a_write_path_recounts_them(
    embedded_store: GraphStore, schema: Schema
) -> None:
    store = embedded_store
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    kept = aggregates.stored(store)
    # as an older ClusterKG left it: no quality counts, an epoch without this version
    quality = list(quality_tallies.stored(store, aggregates.LABEL))
    assert quality
    store.delete_nodes(aggregates.LABEL, [tally_rows.tally_id(k) for k in quality])
    store.upsert_nodes(aggregates.LABEL, [{"id": aggregates.EPOCH_ID, "tally_kind": "epoch", "tally_epoch": "old"}])
    # until a write path recounts them, the tallied queries answer from their full scans (the rows are gone)
    assert get_query("dq_orphans").run(store).rows and get_query("dq_without_source").run(store).rows
    assert not aggregates.readable(store)  # so does the industry map, its place counts still there but of a stale epoch
    store.delete_nodes(aggregates.LABEL, [tally_rows.tally_id(k) for k in kept])
    assert get_query("cluster_map").run(store, {"cluster": "E01"}).rows
    store.setup_schema()  # what every write path and `ckg schema` call first
    assert aggregates.epoch(store) != "old" and aggregates.stored(store) == kept
    _check(store)
    path = name_index.sidecar_path(store)
    assert path is not None and name_index._epoch_of(path) == aggregates.epoch(store)  # still trusted by anchors


def test_the_industry_map_reads_the_kept_counts_only_where_they_answer(
    embedded_store: GraphStore, schema: Schema
) -> None:
    """All stages of one cluster: the kept counts (emptied here, to see that they are what is read). One stage, or a
    name two clusters bear (the query counts an entity of both once): the query as written."""
    store = embedded_store
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    cluster_map = get_query("cluster_map")
    e01 = store.read("MATCH (c:IndustryCluster {cluster_code: 'E01'}) RETURN c.id AS id, c.name_zh AS zh").rows[0]
    whole = cluster_map.run(store, {"cluster": "E01"}).rows
    industry = cluster_map.run(store, {"cluster": "E01", "stage": "industry"}).rows
    assert whole and industry
    kept = [k for k in aggregates.stored(store) if k[0] == aggregates.CITY_CLUSTER]
    store.delete_nodes(aggregates.LABEL, [tally_rows.tally_id(k) for k in kept])
    assert aggregates.readable(store) and cluster_map.run(store, {"cluster": "E01"}).rows == []
    assert cluster_map.run(store, {"cluster": "E01", "stage": "industry"}).rows == industry
    # a second cluster of the same name, with one of E01's members: by that name the query pools both clusters
    firm = store.read(
        "MATCH (e:Enterprise)-[:IN_CLUSTER]->(:IndustryCluster {cluster_code: 'E01'}), (e)-[:LOCATED_IN]->(:City) "
        "RETURN e.id AS id ORDER BY id LIMIT 1"
    ).rows[0]["id"]
    with store.transaction(rows=2):
        store.upsert_nodes("IndustryCluster", [{"id": "cluster/twin", "cluster_code": "T01", "name_zh": e01["zh"]}])
        store.upsert_relationships(
            "IN_CLUSTER", "Enterprise", "IndustryCluster", [{"from_id": firm, "to_id": "cluster/twin"}]
        )
        aggregates.refresh(store)
    assert kept_counts.kept_text("cluster_map", store, {"cluster": e01["zh"], "stage": "all"}) is None
    by_name = cluster_map.run(store, {"cluster": e01["zh"]}).rows
    assert by_name == whole == store.read(cluster_map.text_for(store), cluster_map.bind({"cluster": e01["zh"]})).rows
    assert cluster_map.run(store, {"cluster": "E01"}).rows == whole  # by its code: one cluster, the kept counts
