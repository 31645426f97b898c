"""The statements an ingest holds while it resolves: shared parts, each entity's stated ties, the canonical order.

These are the collect phase's largest objects at scale 150 (docs/SCALE.md); each test checks that a smaller form
keeps what the larger one said."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

from graph.schema import Schema
from ingest.build import _in_order, build
from ingest.claims import (
    SourceStatements,
    StatementPrints,
    claims_from_json,
    claims_to_json,
    record_to_json,
)
from ingest.records import NO_PROPS, NodeRecord, PendingLink, Provenance, target_ref
from ingest.report import Report
from ingest.resolve import Curation, EntityIndex
from ingest.tie_text import link_to_json


def _firm(source: str, row: int, uscc: str, name: str) -> NodeRecord:
    return NodeRecord(
        label="Enterprise",
        id=f"enterprise/{uscc}",
        props={"name_zh": name, "uscc": uscc},
        provenance=Provenance(source, f"{source}.csv", row),
        names=(name,),
    )


def _tie(record: NodeRecord, rel_type: str, text: str, resolver: str = "place") -> PendingLink:
    return PendingLink.of(rel_type, record.label, record.id, target_ref(text, resolver, ()), record.provenance)


def _old_order(link: PendingLink) -> tuple[str, str, int, str, str, str, str, str]:
    """The canonical order as one key tuple per tie, as it was sorted before."""
    p, t = link.provenance, link.target
    return (p.source, p.file, p.row, link.rel_type, link.from_label, link.from_id, t.text, t.resolver)


def test_ties_come_in_the_canonical_order_with_equal_ones_as_read() -> None:
    chooser = random.Random(17)
    for _ in range(50):
        statements: dict[str, SourceStatements] = {}
        for _ in range(400):
            source = chooser.choice(["b", "a", "c"])
            prov = Provenance(source, chooser.choice(["x.csv", "w.csv"]), chooser.randrange(6))
            link = PendingLink.of(
                chooser.choice(["LOCATED_IN", "IN_CLUSTER"]),
                chooser.choice(["Enterprise", "Laboratory"]),
                f"id/{chooser.randrange(4)}",
                target_ref(chooser.choice(["广州", "深圳"]), chooser.choice(["place", "cluster"]), ()),
                prov,
                column=chooser.choice(["city", "place"]),  # not in the key: equal keys keep their order
            )
            statements.setdefault(source, SourceStatements()).links.append(link)
        read = [k for part in statements.values() for k in part.links]
        ordered = list(_in_order(statements))
        assert [id(k) for k in ordered] == [id(k) for k in sorted(read, key=_old_order)]


def test_an_entity_keeps_every_tie_its_rows_state_in_the_order_read(schema: Schema, tmp_path: Path) -> None:
    """The firm's ties come in three runs, another firm's between them and a second source's after: all are kept,
    in one tuple of their exact size, and its claims name them under their own sources."""
    first, other = _firm("a", 2, "91440300X", "甲公司"), _firm("a", 3, "91440300Y", "乙公司")
    again = _firm("b", 9, "91440300X", "甲公司")  # the same firm (USCC) in a second source
    a_ties = [_tie(first, "LOCATED_IN", "深圳"), _tie(other, "LOCATED_IN", "广州"), _tie(first, "LOCATED_IN", "广州")]
    b_ties = [_tie(again, "LOCATED_IN", "深圳市")]
    statements = {
        "a": SourceStatements(records=[first, other], links=a_ties),
        "b": SourceStatements(records=[again], links=b_ties),
    }
    built = build(statements, schema, tmp_path, Report())
    firm = built.index.get("Enterprise", "enterprise/91440300X")
    assert firm is not None and firm is built.index.get("Enterprise", again.id)
    assert isinstance(firm.stated_links, tuple)
    assert list(firm.stated_links) == [a_ties[0], a_ties[2], b_ties[0]]
    claims = built.claims(firm)
    assert claims["a"].links == [a_ties[0], a_ties[2]] and claims["b"].links == b_ties
    assert claims["a"].records == [first] and claims["b"].records == [again]


def test_ties_without_properties_share_their_kind_and_read_back_whole() -> None:
    prov = Provenance("labs", "labs.csv", 4)
    plain = [
        PendingLink.of("HOSTED_BY", "Laboratory", f"lab/{i}", target_ref("中山大学", "organization", ()), prov)
        for i in range(3)
    ]
    assert plain[0].kind is plain[1].kind is plain[2].kind and plain[0].props is NO_PROPS
    role = PendingLink.of(
        "RESPONSIBLE_FOR", "PolicyMeasure", "m/1", target_ref("省科技厅", "organization", ()), prov,
        column="lead", inbound=True, required=True, props={"role": "lead"},
    )  # fmt: skip
    assert (role.rel_type, role.from_label, role.from_id, role.column, role.inbound, role.required) == (
        "RESPONSIBLE_FOR", "PolicyMeasure", "m/1", "lead", True, True,
    )  # fmt: skip
    assert role.props == {"role": "lead"} and role.provenance is prov and role.target.text == "省科技厅"
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        many = [
            PendingLink.of("LOCATED_IN", "Enterprise", "enterprise/1", plain[0].target, prov) for _ in range(100_000)
        ]
        per_tie = (tracemalloc.get_traced_memory()[0] - before) / len(many)
    finally:
        tracemalloc.stop()
    assert per_tie < 80, per_tie  # 64 bytes and a list entry; with the kind's fields in each, 104 and the entry


def test_stored_statements_share_a_row_s_provenance_and_the_far_ends() -> None:
    record = _firm("firms", 5, "91440300X", "甲公司")
    claims = {"firms": SourceStatements([record], [_tie(record, "LOCATED_IN", "深圳"), _tie(record, "IN", "E01")])}
    text = claims_to_json(claims)
    one, two = claims_from_json(text)["firms"], claims_from_json(text)["firms"]
    assert claims_to_json({"firms": one}) == text  # read back as stated
    assert one.records[0].provenance is one.links[0].provenance is one.links[1].provenance
    shenzhen = [next(k.target for k in part.links if k.target.text == "深圳") for part in (one, two)]
    assert shenzhen[0] is shenzhen[1]  # two nodes naming 深圳 share one far end


def test_stored_values_written_by_hand_are_read_as_they_stand() -> None:
    """Only provenance in the written form (text or null, a row number) is shared: a hand-edited confidence of 1
    beside one of true stays two values, and a list where text belongs does not stop the reading."""
    text = (
        '{"s":{"links":[{"from":["Enterprise","e/1"],"prov":["f.csv",2,null,true],"to":["深圳","place",[],false],'
        '"type":"LOCATED_IN"}],"records":[{"id":"e/1","label":"Enterprise","names":["甲"],"priority":50,'
        '"props":{"name_zh":"甲"},"prov":["f.csv",2,["a"],1]}]}}'
    )
    part = claims_from_json(text)["s"]
    confidences: list[object] = [part.records[0].provenance.confidence, part.links[0].provenance.confidence]
    assert [type(c) for c in confidences] == [int, bool]
    url: object = part.records[0].provenance.url
    assert url == ["a"]
    assert claims_to_json({"s": part}) == text


def test_an_entity_s_merged_properties_are_the_same_after_the_index_lets_go_of_its_keys() -> None:
    index = EntityIndex(Curation(aliases={}, distinct=frozenset()))
    firm = index.add(_firm("a", 2, "91440300X", "甲公司"))
    index.add(_firm("b", 3, "91440300X", "甲股份公司"))
    before = firm.merged_props()
    index.forget_keys()
    assert firm.merged_props() == before and before["aliases"] == ["甲股份公司"]


def _claims_as_before(claims: dict[str, SourceStatements]) -> str:
    """The claims' text as it was made before each statement was encoded once (its links sorted by a second, spaced
    encoding of each)."""
    doc = {
        source: {
            "records": [record_to_json(r) for r in sorted(s.records, key=lambda r: r.order_key)],
            "links": sorted(
                (link_to_json(k) for k in s.links), key=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True)
            ),
        }
        for source, s in sorted(claims.items())
        if s.records or s.links
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_claims_text_is_the_one_made_before_each_statement_was_encoded_once() -> None:
    """Stored claims must not change text (a re-run compares them): the links sorted by their compact text come in
    the order the spaced text gave, even where names hold the separators, quotes and spaces themselves."""
    chooser = random.Random(33)
    pieces = ["", "a", "a,", "a, b", "a:", ": ", '"', "\\", " ", "深圳", "深圳,", "Z", "é", "\t", "a b", "[", "}"]

    def text() -> str:
        return "".join(chooser.choice(pieces) for _ in range(chooser.randrange(4)))

    for _ in range(300):
        claims: dict[str, SourceStatements] = {}
        for _ in range(chooser.randrange(5)):
            source = chooser.choice(["firms", "labs", "a,b", "源", ""])
            part = claims.setdefault(source, SourceStatements())
            prov = Provenance(
                source, chooser.choice(["f.csv", "f,g.csv"]), chooser.randrange(3), chooser.choice([None, text()])
            )
            if chooser.random() < 0.5:
                part.records.append(
                    NodeRecord(
                        "Enterprise", f"e/{text()}", {"name_zh": text(), "n": chooser.randrange(3)}, prov, (text(),)
                    )
                )
            for _ in range(chooser.randrange(4)):
                part.links.append(
                    PendingLink.of(
                        chooser.choice(["LOCATED_IN", "IN", "LOCATED_IN_X"]),
                        "Enterprise",
                        f"e/{text()}",
                        target_ref(text(), chooser.choice(["place", "cluster"]), (text(),) * chooser.randrange(2)),
                        prov,
                        column=chooser.choice([None, text()]),
                        inbound=chooser.random() < 0.3,
                        props=chooser.choice([NO_PROPS, {"role": text()}]),
                    )
                )
        assert claims_to_json(claims) == _claims_as_before(claims)


def test_stored_statements_are_digested_as_written_to_the_digests_of_the_statements_read_from_them() -> None:
    """A re-run counts the statements it replaces from their stored JSON, with no statement made of it: for every
    text ClusterKG writes, the digests are those of the statements read back (a float below 1e-4, an int near 2⁶³,
    a per-property rank, a name merged by code, an inbound, required tie with a role)."""
    chooser = random.Random(41)
    values: list[object] = ["深圳", "a,b", '"', "", 0, 2**63 - 1, -5, 1e-05, 2.5e-9, 0.1, 1e300, True, None, [], ["x"]]
    for _ in range(200):
        claims: dict[str, SourceStatements] = {}
        for _ in range(chooser.randrange(1, 4)):
            source = chooser.choice(["firms", "labs", "源"])
            part = claims.setdefault(source, SourceStatements())
            prov = Provenance(
                source,
                chooser.choice(["f.csv", "g.csv"]),
                chooser.randrange(2, 5),
                chooser.choice([None, "https://x"]),
                chooser.choice([None, "high"]),
            )
            props = {f"p{i}": chooser.choice(values) for i in range(chooser.randrange(4))}
            part.records.append(
                NodeRecord(
                    "Enterprise",
                    f"enterprise/{chooser.randrange(3)}",
                    props,
                    prov,
                    ("甲", "A"),
                    priority=chooser.randrange(100),
                    merge_by_name=chooser.random() < 0.5,
                    prop_priority=(("name_zh", 5),) * chooser.randrange(2),
                )
            )
            for _ in range(chooser.randrange(4)):
                part.links.append(
                    PendingLink.of(
                        chooser.choice(["LOCATED_IN", "IN_CLUSTER"]),
                        "Enterprise",
                        f"enterprise/{chooser.randrange(3)}",
                        target_ref(chooser.choice(["深圳", "E01"]), "place", ("City",) * chooser.randrange(2)),
                        prov,
                        column=chooser.choice([None, "city"]),
                        inbound=chooser.random() < 0.3,
                        required=chooser.random() < 0.3,
                        props=chooser.choice([NO_PROPS, {"role": "链主", "share": 1e-06}]),
                    )
                )
        text = claims_to_json(claims)
        counted = set(claims) - {chooser.choice(sorted(claims))}  # one source kept as statements
        as_before: dict[str, StatementPrints] = {}
        for source, part in claims_from_json(text).items():
            if source in counted:
                as_before.setdefault(source, StatementPrints()).add(part)
        as_written: dict[str, StatementPrints] = {}
        kept = claims_from_json(text, counted, as_written)
        assert as_written == as_before
        assert set(kept) == set(claims) - counted
        assert claims_to_json(kept) == claims_to_json({s: p for s, p in claims.items() if s not in counted})


def test_a_statement_edited_by_hand_into_another_form_counts_as_changed() -> None:
    """A priority written as text is read as the number, but digested as it stands: the run writes it again. A row
    number is left out of the digests (a statement moved to another row is the same statement)."""
    text = (
        '{"s":{"links":[],"records":[{"id":"e/1","label":"Enterprise","names":["甲"],"priority":"50",'
        '"props":{"name_zh":"甲"},"prov":["f.csv","2",null,null]}]}}'
    )
    as_written: dict[str, StatementPrints] = {}
    claims_from_json(text, {"s"}, as_written)
    fresh = StatementPrints()
    fresh.add(claims_from_json(text)["s"])
    assert [key[:3] for key in as_written["s"].records] == [key[:3] for key in fresh.records]  # the same entity
    assert as_written["s"].records != fresh.records  # whose text changes
    moved = StatementPrints()
    moved.add(claims_from_json(text.replace('"50"', "50").replace('"2"', "9"))["s"])
    assert moved == fresh
