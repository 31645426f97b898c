"""Rule ``place.from_district``: an entity a source places in a district, and in no city, is in that district's city
for every count by city (the map, a city's profile), as a city's yearly report already counted it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graph.schema import Schema
from graph.store import GraphStore
from ingest.inference import place_from_district, place_from_host
from ingest.link_columns import LinkColumns, keys_to
from ingest.mapping import load_mapping
from ingest.pipeline import run_ingest
from ingest.records import Link, NodeRecord, Provenance
from ingest.resolve import Curation, EntityIndex
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


P = Provenance("test", "t.csv", 2)
PLACES = [("City", "city/4403", "深圳市"), ("City", "city/4401", "广州市"), ("District", "district/440305", "南山区")]
PART_OF = Link("PART_OF", "District", "district/440305", "City", "city/4403", provenance=P)


def _inferred(schema: Schema, nodes: list[tuple[str, str, str]], ties: list[Link], columns: bool) -> list[Link]:
    """The place rules' ties, on the ties as the build holds them (columns) or as a plain list."""
    index = EntityIndex(Curation.load(DATA_DIR / "resolution.yaml"))
    for label, record_id, name in [*PLACES, *nodes]:
        index.add(NodeRecord(label=label, id=record_id, props={"name_zh": name}, provenance=P, names=(name,)))
    links: LinkColumns | list[Link] = LinkColumns(ties) if columns else list(ties)
    for infer in (place_from_host(schema), place_from_district(schema)):
        links.extend(infer(index, links))
    return [link for link in links if link.provenance is None]


@pytest.mark.parametrize("columns", [True, False], ids=["columns", "list"])
def test_a_district_a_rule_gave_passes_on_its_rule_and_confidence(schema: Schema, columns: bool) -> None:
    nodes = [("University", "university/x", "某大学"), ("Laboratory", "lab/y", "某实验室")]
    ties = [
        PART_OF,
        Link("LOCATED_IN", "University", "university/x", "District", "district/440305", provenance=P),
        Link("HOSTED_BY", "Laboratory", "lab/y", "University", "university/x", provenance=P),
    ]
    found = {(t.from_id, t.to_id): t.extra for t in _inferred(schema, nodes, ties, columns)}
    assert found[("lab/y", "district/440305")]["rule"] == "place.from_host"
    lab_city = found[("lab/y", "city/4403")]
    assert (lab_city["rule"], lab_city["confidence"]) == ("place.from_district", "medium")
    assert lab_city["evidence"] == "LOCATED_IN 南山区 (place.from_host) → PART_OF 深圳市"
    assert found[("university/x", "city/4403")]["confidence"] == "high"
    assert len(found) == 3


@pytest.mark.parametrize("columns", [True, False], ids=["columns", "list"])
def test_a_district_of_no_known_city_leaves_the_city_unsure(schema: Schema, columns: bool) -> None:
    nodes = [("District", "district/449999", "某新区"), ("Enterprise", "enterprise/z", "某公司")]
    ties = [
        PART_OF,
        Link("LOCATED_IN", "Enterprise", "enterprise/z", "District", "district/440305", provenance=P),
        Link("LOCATED_IN", "Enterprise", "enterprise/z", "District", "district/449999", provenance=P),
    ]
    assert _inferred(schema, nodes, ties, columns) == []


def test_ties_ending_at_a_label_are_found_by_its_value() -> None:
    """A label held as a str subclass (numpy's, as Arrow gives it back) is the same label."""
    ties = LinkColumns(
        [
            Link("LOCATED_IN", "Enterprise", "e/1", np.str_("District"), "d/1", provenance=P),
            Link("LOCATED_IN", "Enterprise", "e/2", "District", "d/1", provenance=P),
            Link("LOCATED_IN", "Enterprise", "e/3", "City", "c/1", provenance=P),
            Link("PART_OF", "District", "d/1", "District", "d/2", provenance=P),
        ]
    )
    assert [key[2] for key in keys_to(ties, "LOCATED_IN", "District")] == ["e/1", "e/2"]
    assert list(keys_to(ties, "LOCATED_IN", "Park")) == []
