"""Facts belong to sources: a curator's list never damages what other sources said, in any order of runs,
on both stores; a source can be retracted exactly; a run that cannot read its file changes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.digest import GraphDigest, graph_digest
from graph.schema import Schema
from graph.store import GraphStore
from ingest.mapping import load_mapping
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, Source, bundled_sources, mapping_source

CURATOR = Path(__file__).parent / "data" / "curator"
LISTS = ("enterprise_labs", "firm_titles")


def curator_sources(schema: Schema, folder: Path = CURATOR) -> list[Source]:
    return [mapping_source(load_mapping(CURATOR / f"{n}.yaml", schema), str(folder / f"{n}.csv")) for n in LISTS]


def _load(store: GraphStore, *runs: list[Source]) -> GraphDigest:
    store.clear()
    return _then(store, *runs)


def _then(store: GraphStore, *runs: list[Source]) -> GraphDigest:
    """Runs the sources on top of what the store holds; the digest after the last run."""
    for sources in runs:
        run_ingest(store, sources, data_dir=DATA_DIR)
    return graph_digest(store)


def _enterprise(store: GraphStore, name: str) -> dict[str, Any]:
    rows = store.read(
        "MATCH (e:Enterprise) WHERE e.name_zh = $n OR $n IN e.aliases "
        "RETURN e.name_en AS name_en, e.stock_code AS stock_code, e.roles AS roles, e.notes AS notes, "
        "e.source_refs AS refs, e.confidence AS confidence, e.claims_json AS claims",
        {"n": name},
    ).rows
    assert len(rows) == 1, rows
    return rows[0]


def test_any_order_of_runs_gives_one_graph_and_loses_nothing(store: GraphStore, schema: Schema) -> None:
    bundled, curator = bundled_sources(schema), curator_sources(schema)
    only_bundled = _load(store, bundled)
    zte_before = _enterprise(store, "中兴通讯股份有限公司")

    # The store-neutral cases (the pipeline decides what a run writes) run on the embedded store only: each is a
    # full load on Neo4j, 20 s in CI.
    embedded = store.backend == "embedded"
    digests = {"bundled, curator": _then(store, curator)}  # on top of the bundled load above
    if embedded:
        digests["bundled, curator, bundled"] = _then(store, bundled)
    digests["curator, bundled"] = _load(store, curator, bundled)
    if embedded:  # one run of both
        digests["both at once"] = _load(store, [*curator, *bundled])
    assert len({d.sha256 for d in digests.values()}) == 1, digests
    assert digests["curator, bundled"] != only_bundled

    zte = _enterprise(store, "中兴通讯股份有限公司")
    # the bundled source's values still show (it ranks first); the curator's stay beside them
    for key in ("name_en", "stock_code", "notes", "confidence"):
        assert zte[key] == zte_before[key], key
    assert set(zte_before["roles"] or []) | {"国家技术创新示范企业"} == set(zte["roles"])
    refs = set(zte["refs"])
    assert set(zte_before["refs"]) < refs and "firm_titles.csv#2" in refs
    claims = json.loads(str(zte["claims"]))
    assert {"enterprises", "listed_companies", "curator_firm_titles"} <= set(claims)
    assert claims["curator_firm_titles"]["records"][0]["props"]["name_en"] == "ZTE Corporation"

    # the labs' hosts resolve to the nodes the graph has, each by the rule that really matched
    hosts = store.read(
        "MATCH (l:Laboratory)-[h:HOSTED_BY]->(e:Enterprise) WHERE l.source_file = 'enterprise_labs.csv' "
        "RETURN l.name_zh AS lab, e.stock_code AS stock, h.match_rule AS rule"
    ).rows
    by_lab = {r["lab"]: r for r in hosts}
    assert by_lab["空调设备及系统运行节能国家重点实验室"]["stock"] == "000651.SZ"  # no line break left in the name
    assert by_lab["新型电子元器件关键材料与工艺国家重点实验室"]["rule"] == "short name of a listed firm"
    assert by_lab["工业产品环境适应性国家重点实验室"]["rule"] == "curated alias"
    assert all(r["stock"] for r in hosts) and len(hosts) == 4
    placed = store.read(
        "MATCH (l:Laboratory)-[p:LOCATED_IN]->(c:City) WHERE l.source_file = 'enterprise_labs.csv' "
        "RETURN c.name_zh AS city, p.rule AS rule, p.derived AS derived"
    ).rows
    assert {"city": "深圳市", "rule": "place.from_host", "derived": True} in placed

    # retracting the curator's sources restores the bundled-only graph exactly
    result = run_ingest(store, [], data_dir=DATA_DIR, retract=[s.name for s in curator])
    assert result.ok and graph_digest(store) == only_bundled


def test_a_source_that_cannot_be_read_whole_changes_nothing(store: GraphStore, schema: Schema, tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    shutil.copytree(CURATOR, folder)
    curator = curator_sources(schema, folder)
    before = _load(store, bundled_sources(schema), curator)
    labs = folder / "enterprise_labs.csv"
    damages: dict[str, Callable[[], object]] = {
        "a stray byte": lambda: labs.write_bytes(labs.read_bytes() + b"\xff"),
        "a renamed header": lambda: labs.write_text(
            (CURATOR / "enterprise_labs.csv").read_text(encoding="utf-8").replace("实验室名称", "名称", 1),
            encoding="utf-8",
        ),
        "a missing file": labs.unlink,
    }
    if store.backend == "neo4j":  # the pipeline decides what is kept (the same for both stores): one case on Neo4j
        damages = {"a stray byte": damages["a stray byte"]}
    for what, damage in damages.items():
        shutil.copy(CURATOR / "enterprise_labs.csv", labs)
        damage()
        result = run_ingest(store, curator, data_dir=DATA_DIR)
        assert not result.ok and result.kept == ["curator_enterprise_labs"], what
        assert not result.nodes.dropped and not result.relationships.dropped, what
        assert graph_digest(store) == before, what


def test_retracting_an_unknown_source_is_an_error(embedded_store: GraphStore) -> None:
    from ingest.pipeline import UnknownSourceError

    with pytest.raises(UnknownSourceError, match="no statements of source"):
        run_ingest(embedded_store, [], data_dir=DATA_DIR, retract=["no_such_list"])
