"""Fill the chain: every cluster's five stages hold entities, tied by sources or by reviewed rules that say
which rule fired on what; stated ties are never replaced; a crosswalk row governs exactly its ties."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from ingest.crosswalks import Crosswalks
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, bundled_sources
from queries.catalog import get_query

REPO = Path(__file__).resolve().parent.parent
STAGES = ("basic_research", "technology_breakthrough", "achievement_transfer", "scitech_finance", "talent_support")


@pytest.fixture(scope="module")
def bundled(loaded_embedded_path: Path, schema: Schema) -> Iterator[GraphStore]:
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    yield store
    store.close()


def _codes(store: GraphStore) -> list[str]:
    return [r["code"] for r in get_query("cluster_list").run(store).rows]


def test_the_chain_is_full_on_the_bundled_data(bundled: GraphStore) -> None:
    cells = talent = 0
    for code in _codes(bundled):
        rows = get_query("cluster_chain").run(bundled, {"cluster": code}).rows
        assert [r["stage"] for r in rows] == list(STAGES), code  # always the five stages
        assert all(r["entities"] >= r["sourced"] for r in rows), code
        cells += sum(1 for r in rows if r["entities"])
        talent += any(r["entities"] for r in rows if r["stage"] == "talent_support")
        members = {r["id"] for r in get_query("cluster_entities").run(bundled, {"cluster": code}).rows}
        assert len(members) >= 20, code
    assert cells >= 90 and talent >= 18, (cells, talent)


def _industry_row(crosswalks: Crosswalks, sw: dict[str, str], firm: dict[str, str]) -> tuple[str, ...] | None:
    """The clusters the firm's most specific industry row names (None: no row)."""
    code = sw.get(str(firm["stock"]).split(".")[0])
    for key in (code, code[:4] + "00", code[:2] + "0000") if code else ():
        row = crosswalks.listed.get(("sw2021", key))
        if row is not None:
            return row.clusters
    row = crosswalks.listed.get(("tushare", str(firm["industry"])))
    return None if row is None else row.clusters


def test_listed_firms_are_tied_by_their_industry_and_banks_are_not(bundled: GraphStore) -> None:
    from ingest.attribution import _shenwan

    crosswalks, sw = Crosswalks.load(DATA_DIR), _shenwan(DATA_DIR)
    firms = bundled.read(
        "MATCH (e:Enterprise) WHERE e.listed_industry IS NOT NULL "
        "OPTIONAL MATCH (e)-[r:IN_CLUSTER]->(c:IndustryCluster) "
        "RETURN e.id AS id, e.stock_code AS stock, e.listed_industry AS industry, "
        "count(c) AS ties, count(CASE WHEN coalesce(r.derived, false) THEN c ELSE NULL END) AS inferred"
    ).rows
    assert len(firms) > 800
    in_cluster = [f for f in firms if _industry_row(crosswalks, sw, f)]
    outside = [f for f in firms if _industry_row(crosswalks, sw, f) == ()]
    tied = [f for f in in_cluster if f["ties"]]
    assert len(tied) >= 0.8 * len(in_cluster), (len(tied), len(in_cluster))
    assert outside and not [f for f in outside if f["inferred"]]  # banks, insurers, ports … get no inferred tie
    no_cluster = ("银行", "保险", "证券", "全国地产", "区域地产", "港口", "机场", "路桥")
    banks = [f for f in firms if f["industry"] in no_cluster]
    assert banks and not [f for f in banks if f["inferred"]]


def _every_inferred_tie_explains_itself(store: GraphStore) -> None:
    rows = store.read_all(  # every tie: more than a page's row cap
        "MATCH (a)-[r:SERVES_CLUSTER|IN_CLUSTER|LOCATED_IN]->(b) WHERE r.derived "
        "RETURN r.rule AS rule, r.evidence AS evidence, r.confidence AS confidence, r.source_refs AS refs"
    ).rows
    assert len(rows) > 1000
    for row in rows:
        assert row["rule"] and row["evidence"] and row["confidence"] in ("high", "medium", "low"), row
        assert f"rule:{row['rule']}" in row["refs"], row
    rules = {r["rule"] for r in rows}
    assert {"cluster.listed_industry", "cluster.keyword", "cluster.discipline", "place.from_coordinates"} <= rules


def test_every_inferred_tie_has_rule_evidence_and_confidence_embedded(bundled: GraphStore) -> None:
    _every_inferred_tie_explains_itself(bundled)


@pytest.mark.neo4j
def test_every_inferred_tie_has_rule_evidence_and_confidence_neo4j(loaded_neo4j: GraphStore) -> None:
    _every_inferred_tie_explains_itself(loaded_neo4j)


def test_a_stated_tie_is_never_replaced_by_an_inferred_one(bundled: GraphStore) -> None:
    # 中兴通讯: enterprises.csv states P01, and its 申万 industry (通信设备) would infer P01 too
    zte = get_query("entity_clusters").run(bundled, {"id": "enterprise/47e3f77e5009"}).rows
    p01 = next(r for r in zte if r["cluster"] == "P01")
    assert p01["tie"] == "sourced" and p01["rule"] is None and p01["source_refs"] == ["facts/enterprises.csv#3"]
    stated = bundled.read(
        "MATCH ()-[r:SERVES_CLUSTER|IN_CLUSTER]->() WHERE NOT coalesce(r.derived, false) "
        "RETURN count(r) AS n, count(r.rule) AS with_rule"
    ).rows[0]
    assert stated["n"] > 200 and stated["with_rule"] == 0


def test_editing_one_crosswalk_row_changes_only_its_ties(tmp_path: Path, schema: Schema) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    run_ingest(store, bundled_sources(schema), data_dir=data)
    before = graph_digest(store)
    keywords = data / "crosswalks" / "keywords.csv"
    original = keywords.read_text(encoding="utf-8")
    rows = list(csv.DictReader(original.splitlines()))
    edited = next(r for r in rows if r["keyword"] == "区块链")
    assert edited["clusters"] == "E04"
    keywords.write_text(original.replace("区块链,E04,", "区块链,E04;P07,", 1), encoding="utf-8")

    result = run_ingest(store, bundled_sources(schema), data_dir=data)
    touched = result.relationships.added + result.relationships.changed + result.relationships.dropped
    assert result.relationships.added and not result.nodes.changed and not result.nodes.added
    assert all(t.startswith("SERVES_CLUSTER|") and t.endswith("|IndustryCluster|cluster/P07") for t in touched), touched
    evidence = store.read(
        "MATCH (e)-[r:SERVES_CLUSTER]->(:IndustryCluster {cluster_code: 'P07'}) WHERE r.evidence CONTAINS '区块链' "
        "RETURN count(r) AS n"
    ).rows[0]["n"]
    assert evidence >= 1

    keywords.write_text(original, encoding="utf-8")
    run_ingest(store, bundled_sources(schema), data_dir=data)
    assert graph_digest(store) == before
    store.close()


def test_ckg_attribution_explain_says_why(loaded_embedded_path: Path) -> None:
    proc = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "ckg"),
            "attribution",
            "explain",
            "enterprise/47e3f77e5009",
            "--embedded-path",
            str(loaded_embedded_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "P01 新一代电子信息" in proc.stdout and "stated by facts/enterprises.csv row 3" in proc.stdout
    assert "inferred by cluster." in proc.stdout
