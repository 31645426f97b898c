"""Entity resolution: one node per real entity, the rule recorded, hard negatives kept apart."""

from __future__ import annotations

import random
from pathlib import Path
from typing import cast

import pytest

from graph.embedded_store import EmbeddedStore
from graph.ids import match_key
from graph.schema import Schema
from ingest.records import NodeRecord, Provenance, TargetRef
from ingest.resolve import Curation, Entity, EntityIndex, class_from_name, is_abbreviation, legal_core, name_core
from ingest.source_table import ReadError
from ingest.sources import DATA_DIR
from tests.bilingual import chinese_first


def _record(label: str, rid: str, name: str, priority: int = 50, **props: object) -> NodeRecord:
    return NodeRecord(
        label=label,
        id=rid,
        props={"name_zh": name, **props},
        provenance=Provenance("test", "t.csv", 2),
        names=(name, *[str(a) for a in cast(list[object], props.get("aliases", []))]),
        priority=priority,
    )


def _index() -> EntityIndex:
    return EntityIndex(Curation.load(DATA_DIR / "resolution.yaml"))


def test_short_name_and_legal_name_are_one_enterprise() -> None:
    index = _index()
    legal = index.add(_record("Enterprise", "enterprise/a", "美的集团股份有限公司", priority=10, roles=["龙头"]))
    short = index.add(_record("Enterprise", "enterprise/b", "美的集团", priority=40, stock_code="000333.SZ"))
    assert legal is short and len(index.entities) == 1
    assert legal.id == "enterprise/a"  # the more authoritative source names the node
    assert legal.rules == [("same name without legal form", 0.85)]
    merged = legal.merged_props()
    assert merged["roles"] == ["龙头"] and merged["stock_code"] == "000333.SZ"


def test_uscc_and_stock_code_join_records_with_different_names() -> None:
    index = _index()
    a = index.add(_record("Enterprise", "enterprise/914403001922038216", "华为技术有限公司", uscc="914403001922038216"))
    b = index.add(_record("Enterprise", "enterprise/x", "华为", uscc="914403001922038216"))
    c = index.add(_record("Enterprise", "enterprise/y", "平安银行股份有限公司", stock_code="000001.SZ"))
    d = index.add(_record("Enterprise", "enterprise/z", "深发展A", stock_code="000001.SZ"))
    assert a is b and c is d and len(index.entities) == 2


def test_the_higher_priority_record_names_the_node_whichever_comes_first() -> None:
    index = _index()
    index.add(_record("University", "university/low", "中山大学", priority=60))
    entity = index.add(_record("University", "university/high", "中山大学", priority=20))
    assert entity.id == "university/high"
    assert index.get("University", "university/low") is entity


def test_curated_alias_finds_the_university() -> None:
    index = _index()
    sysu = index.add(_record("University", "university/sysu", "中山大学"))
    found, rule, confidence = index.find_by_name("中大", ["University"])
    assert found is sysu and rule == "curated alias" and confidence == 0.9


def test_hard_negatives_stay_apart() -> None:
    index = _index()
    institute = index.add(_record("ResearchInstitution", "institution/kc", "光启研究院"))
    company = index.add(_record("Enterprise", "enterprise/kc", "光启技术"))
    assert institute is not company
    found, _, _ = index.find_by_name("光启技术股份有限公司", ["Enterprise", "ResearchInstitution"])
    assert found is company


def test_a_curated_distinct_pair_is_never_joined_by_the_rules() -> None:
    apart = Curation(aliases={}, distinct=frozenset({frozenset({"甲集团", "甲集团股份有限公司"})}))
    index = EntityIndex(apart)
    a = index.add(_record("Enterprise", "e/1", "甲集团股份有限公司"))
    b = index.add(_record("Enterprise", "e/2", "甲集团"))
    assert a is not b
    joined = _index()
    assert joined.add(_record("Enterprise", "e/1", "甲集团股份有限公司")) is joined.add(
        _record("Enterprise", "e/2", "甲集团")
    )


def test_different_classes_and_different_names_do_not_merge() -> None:
    index = _index()
    index.add(_record("University", "u/1", "中山大学"))
    index.add(_record("Laboratory", "l/1", "中山大学"))
    index.add(_record("Enterprise", "e/1", "中兴通讯股份有限公司"))
    index.add(_record("Enterprise", "e/2", "中兴通讯技术有限公司"))
    assert len(index.entities) == 4


def test_nodes_from_references_take_their_class_from_the_name() -> None:
    assert legal_core("美的集团股份有限公司") == "美的集团"
    allowed = ["University", "ResearchInstitution", "Laboratory", "Enterprise", "GovernmentAgency"]
    assert class_from_name("中国科学院高能物理研究所", allowed) == "ResearchInstitution"
    assert class_from_name("南方电网电力科技股份有限公司", allowed) == "Enterprise"
    assert class_from_name("湛江市政府", allowed) == "GovernmentAgency"
    assert class_from_name("北京大学深圳研究生院", allowed) == "University"
    assert class_from_name("co-built by 汕头、潮州、揭阳", allowed) is None
    index = _index()
    created = index.create_from_reference(
        TargetRef("中国科学院近代物理研究所 (lead)", "organization", tuple(allowed), create=True),
        Provenance("t", "f.csv", 5),
    )
    assert created is not None and created.label == "ResearchInstitution"
    assert created.merged_props()["name_zh"] == "中国科学院近代物理研究所"
    assert created.primary.provenance.confidence == "derived"


def test_curation_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("aliases:\n  甲大学: [甲大]\ndistinct:\n  - [A公司, A研究院]\n", encoding="utf-8")
    curation = Curation.load(path)
    assert curation.aliases == {"甲大": "甲大学"}
    assert curation.kept_apart(["A公司"], ["A研究院"]) and not curation.kept_apart(["A公司"], ["A公司"])


def test_an_index_that_let_go_of_its_keys_finds_by_id_and_refuses_to_match() -> None:
    """The rows are made after every record and tie is resolved: the matching keys go first (most of the index's
    memory), and a late attempt to match fails loudly instead of matching nothing."""
    index = _index()
    firm = index.add(_record("Enterprise", "enterprise/a", "美的集团股份有限公司"))
    assert index.find_by_name("美的集团股份有限公司", ("Enterprise",))[0] is firm
    index.forget_keys()
    assert index.get("Enterprise", "enterprise/a") is firm
    with pytest.raises(RuntimeError, match="forget_keys"):
        index.find_by_name("美的集团股份有限公司", ("Enterprise",))
    with pytest.raises(RuntimeError, match="forget_keys"):
        index.add(_record("Enterprise", "enterprise/b", "美的集团"))


def test_a_university_is_told_by_its_name_as_the_pattern_told_it_in_linear_time() -> None:
    import random
    import re
    import time

    from ingest.resolve import _names_a_university

    old = re.compile(r"(大学|学院)(（.*）|\(.*\))?$|大学.*研究生院$|大学.*校区$")
    chooser = random.Random(5)
    pieces = ["大学", "学院", "大", "学", "院", "（", "）", "(", ")", "研究生院", "校区", "深圳", " ", "研究生"]
    pieces += ["\n", "\r"]
    for name in ["学院\n", "大学（a\nb）", "北京大学\n深圳研究生院", "大学\n校区", "大学\n\n"]:  # a review's cases
        assert _names_a_university(name) == bool(old.search(name)), name
    for _ in range(50_000):
        name = "".join(chooser.choice(pieces) for _ in range(chooser.randrange(7)))
        assert _names_a_university(name) == bool(old.search(name)), name
    started = time.perf_counter()
    assert class_from_name("大学(" * 33_333, ["University"]) is None  # 3.7 s before
    assert time.perf_counter() - started < 0.5


def test_a_lone_record_s_properties_are_those_the_ranking_of_several_gives() -> None:
    """Most entities have one record, whose properties are taken without ranking: the same values, lists sorted and
    aliases made the same way, and the keys in the same order (a batch of rows with the same keys is checked at once,
    graph/row_checks.py)."""
    chooser = random.Random(5)
    values: list[object] = ["甲", "b", 0, 1.5, True, None, [], ["y", "x", "y"], [3, 1]]
    for _ in range(300):
        keys = chooser.sample(["name_zh", "name_en", "aliases", "uscc", "tags", "n", "founded"], chooser.randrange(6))
        props = {key: chooser.choice(["甲", "b", None] if key.startswith("name") else values) for key in keys}
        names = tuple(chooser.sample(["甲", "乙公司", "b", "C"], chooser.randrange(3)))
        record = NodeRecord("Enterprise", "enterprise/1", props, Provenance("s", "f.csv", 2), names)
        blank = NodeRecord("Enterprise", "enterprise/1", {}, Provenance("s", "f.csv", 3), ())  # ranks after it
        alone = Entity("Enterprise", "enterprise/1", [record]).merged_props()
        ranked = Entity("Enterprise", "enterprise/1", [record, blank]).merged_props()
        assert alone == ranked and list(alone) == list(ranked)


def test_a_listed_firm_is_found_among_the_short_names_of_fitting_length_as_by_scanning_them_all() -> None:
    """``_listed_firm`` looks a name up only among the short names whose length can abbreviate it: the same firm
    (or none) as scanning every listed firm with the same first three characters, on short names and names drawn
    from a few characters so that many share their first three, abbreviate each other, or tie."""
    chooser = random.Random(11)
    for _ in range(200):
        index = EntityIndex(Curation(aliases={}, distinct=frozenset()))
        listed: list[tuple[str, Entity]] = []
        for i in range(chooser.randrange(1, 40)):
            short = "风华" + "".join(chooser.choice("高新科技电子") for _ in range(chooser.randrange(0, 9)))
            code = chooser.randrange(i + 1) if chooser.random() < 0.3 else i  # a second short name of a listed firm
            entity = index.add(_record("Enterprise", f"enterprise/l{i}", short, stock_code=f"{code:06d}.SZ"))
            # a firm is listed once among the short names with the same first three characters: under its first
            if all(e is not entity for s, e in listed if s[:3] == short[:3]):
                listed.append((short, entity))
        for _ in range(20):
            middle = "".join(chooser.choice("高新科技电子") for _ in range(chooser.randrange(1, 14)))
            name = f"风华{middle}有限公司"
            core = name_core(name)
            scanned = {id(e): e for short, e in listed if short[:3] == core[:3] and is_abbreviation(short, core)}
            expected = next(iter(scanned.values())) if len(scanned) == 1 else None
            assert index._listed_firm([name])[0] is expected, name


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"aliases: [unclosed\n", "YAML 格式有误（第 2 行）"),
        ("aliases:\n  中大: [中山大学]\n".encode("gb18030"), "不是 UTF-8 文本"),
        (b"aliases: [a, b]\n", "应为含 aliases"),
        ("aliases:\n  中山大学: 中大\n".encode(), "应为含 aliases"),
        (b"distinct: [[a, 1]]\n", "应为含 aliases"),
    ],
)
def test_a_damaged_curation_file_is_named_in_both_languages(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "resolution.yaml"
    path.write_bytes(content)
    with pytest.raises(ReadError) as raised:
        Curation.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and said in message and chinese_first(message.removeprefix(f"{path}: "))


def test_the_bundled_graph_names_each_organisation_once(loaded_embedded_path: Path, schema: Schema) -> None:
    """No two organisations share a name or an alias, and none is aliased by a bare place's name: a lab's long name
    with its short one in brackets (``鹏城实验室（…广东省实验室）``) and the short name another list gives were two
    labs, and ``中芯国际（深圳）`` was aliased ``深圳``."""
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    classes = ["Enterprise", "University", "ResearchInstitution", "Laboratory", "InnovationCenter", "IncubationCarrier"]
    holders: dict[str, set[str]] = {}
    for cls in classes:
        result = store.read(f"MATCH (n:{cls}) RETURN n.id AS id, n.name_zh AS name, n.aliases AS aliases")
        assert not result.truncated
        for row in result.rows:
            for name in {row["name"], *(row["aliases"] or [])}:
                holders.setdefault(match_key(name), set()).add(row["id"])
    store.close()
    assert {name: ids for name, ids in holders.items() if len(ids) > 1} == {}
    assert len(set().union(*(ids for name, ids in holders.items() if match_key("鹏城实验室") in name))) == 1
    places = ("广州", "深圳", "珠海", "佛山", "东莞", "湛江", "广州市", "深圳市")
    assert [p for p in places if match_key(p) in holders] == []
