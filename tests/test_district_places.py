"""Rule ``place.from_district``: an entity a source places in a district, and in no city, is in that district's city
for every count by city (the map, a city's profile), as a city's yearly report already counted it."""

from __future__ import annotations

from pathlib import Path

from graph.schema import Schema
from graph.store import GraphStore
from ingest.mapping import load_mapping
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, mapping_source
from queries.catalog import get_query

MAPPING = """source: curator_district_firms
description: 区县里的企业 (a curator's list; test fixture)
file: firms.csv
rows: {min: 1, max: 10}
node:
  class: Enterprise
  id: {prefix: enterprise, key: name_zh}
  properties:
    name_zh: {column: 企业名称, type: name, required: true}
provenance: {url_value: "https://www.gd.gov.cn/", confidence_value: medium}
links:
  - {type: LOCATED_IN, column: 所在地, to: place, split: true}
"""
FIRMS = """企业名称,所在地
区县测试甲公司,南山区
区县测试乙公司,南山区;福田区
区县测试丙公司,越秀区;南山区
区县测试丁公司,深圳市;越秀区
"""


def _counts(store: GraphStore) -> tuple[int, int]:
    on_map = get_query("stage_map").run(store, {"stage": "all"}).rows
    shenzhen = [r["entities"] for r in on_map if r["city"] == "深圳市"]
    without = get_query("entities_without_city_count").run(store, {"stage": "all", "cluster": "all"}).rows
    return shenzhen[0], without[0]["entities"]


def test_a_firm_in_a_district_is_counted_in_its_city(bundled_copy: GraphStore, schema: Schema, tmp_path: Path) -> None:
    (tmp_path / "firms.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "firms.csv").write_text(FIRMS, encoding="utf-8")
    source = mapping_source(load_mapping(tmp_path / "firms.yaml", schema), str(tmp_path / "firms.csv"))
    shenzhen_before, without_before = _counts(bundled_copy)
    assert run_ingest(bundled_copy, [source], data_dir=DATA_DIR).ok

    placed = bundled_copy.read(
        "MATCH (e:Enterprise)-[p:LOCATED_IN]->(c:City) WHERE e.name_zh STARTS WITH '区县测试' "
        "RETURN e.name_zh AS firm, c.name_zh AS city, p.rule AS rule, p.derived AS derived, p.evidence AS evidence"
    ).rows
    by_firm = {r["firm"]: r for r in placed}
    assert by_firm["区县测试甲公司"] == {
        "firm": "区县测试甲公司",
        "city": "深圳市",
        "rule": "place.from_district",
        "derived": True,
        "evidence": "LOCATED_IN 南山区 → PART_OF 深圳市",
    }
    assert by_firm["区县测试乙公司"]["city"] == "深圳市"  # two districts of one city
    assert "区县测试丙公司" not in by_firm  # districts of two cities: neither is sure
    assert by_firm["区县测试丁公司"]["rule"] is None  # a city stated: nothing inferred
    assert len(placed) == 3

    shenzhen_after, without_after = _counts(bundled_copy)
    assert shenzhen_after == shenzhen_before + 3
    assert without_after == without_before + 1  # 丙 only
