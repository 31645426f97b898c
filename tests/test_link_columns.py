"""Resolved ties as columns (ingest/link_columns.py): every tie read back as it was added, in order, and smaller than a
list of ``Link`` objects."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Sized

from ingest.link_columns import LinkColumns, keys_of_types, of_types
from ingest.records import Link, Provenance


def _ties() -> list[Link]:
    stated = Provenance("labs", "facts/labs.csv", row=7, url="https://example.org", confidence="high")
    other = Provenance("centres", "facts/centres.csv", row=2)
    return [
        Link("LOCATED_IN", "Laboratory", "lab/1", "City", "city/440300", provenance=stated, match_rule="place name"),
        Link("HOSTED_BY", "Laboratory", "lab/1", "University", "u/1", provenance=stated, match_confidence=0.85),
        Link("LOCATED_IN", "Laboratory", "lab/2", "City", "city/440100", provenance=other, priority=-3),
        Link("HOSTED_BY", "Laboratory", "lab/2", "University", "u/1", provenance=other, extra={"role": "共建"}),
        Link("LOCATED_IN", "Laboratory", "lab/3", "City", "city/440100", extra={"derived": True, "rule": "r"}),
    ]


def test_every_tie_reads_back_as_added_in_order() -> None:
    ties = _ties()
    columns = LinkColumns(ties[:2])
    for tie in ties[2:]:
        columns.append(tie)
    assert len(columns) == len(ties)
    assert list(columns) == ties
    assert [columns[i] for i in range(len(ties))] == ties
    assert [columns.key(i) for i in range(len(ties))] == [
        (t.rel_type, t.from_label, t.from_id, t.to_label, t.to_id) for t in ties
    ]
    assert list(columns.of_types(["HOSTED_BY"])) == [ties[1], ties[3]]
    assert list(of_types(ties, ["HOSTED_BY"])) == [ties[1], ties[3]]  # a list the same way
    assert list(columns.of_types(["SERVES_CLUSTER"])) == [] and list(LinkColumns().of_types(["HOSTED_BY"])) == []
    columns.clear()
    assert len(columns) == 0 and list(columns) == []


def test_the_ties_from_some_nodes_only() -> None:
    """A rule that asks for a few nodes' ties gets theirs, in order, from columns and from a list alike: the same
    id under another label is not one of them, nor is a label that starts no tie."""
    ties = _ties()
    columns = LinkColumns(ties)
    starts = {("Laboratory", "lab/2"), ("Laboratory", "lab/3"), ("University", "lab/1"), ("City", "nowhere")}
    for found in (columns.of_types, lambda types, starts: of_types(ties, types, starts)):
        assert list(found(["LOCATED_IN", "HOSTED_BY"], starts)) == [ties[2], ties[3], ties[4]]
        assert list(found(["HOSTED_BY"], starts)) == [ties[3]]
        assert list(found(["HOSTED_BY"], set())) == [] and list(found(["HOSTED_BY"], {("City", "lab/1")})) == []


def test_the_keys_of_some_types_without_their_links() -> None:
    ties = _ties()
    expected = [(t.rel_type, t.from_label, t.from_id, t.to_label, t.to_id) for t in ties if t.rel_type == "HOSTED_BY"]
    assert list(LinkColumns(ties).keys_of_types(["HOSTED_BY", "NOT_A_TYPE"])) == expected
    assert list(keys_of_types(ties, ["HOSTED_BY"])) == expected
    assert (
        list(LinkColumns(ties).keys_of_types(["NOT_A_TYPE"])) == [] == list(LinkColumns().keys_of_types(["HOSTED_BY"]))
    )


def test_a_tie_s_properties_and_reference_without_its_link() -> None:
    ties = _ties()
    columns = LinkColumns(ties)
    for i, tie in enumerate(ties):
        assert columns.props(i) == tie.props and columns.ref(i) == tie.ref
        assert columns.stated(i) is (tie.provenance is not None)
    assert columns.props(3)["role"] == "共建" and columns.ref(4) == "rule:r" and columns.props(4) == ties[4].extra


def test_confidences_and_priorities_read_back_with_their_type_and_any_size() -> None:
    """1, 1.0 and True are equal in Python but not in a tie's written properties; a mapping may set any priority."""
    prov = Provenance("labs", "facts/labs.csv", row=1)
    ties = [
        Link("HOSTED_BY", "Laboratory", "lab/1", "University", "u/1", provenance=prov, match_confidence=value)
        for value in (1.0, 1, True, 0.95)
    ] + [Link("HOSTED_BY", "Laboratory", "lab/2", "University", "u/1", provenance=prov, priority=3_000_000_000)]
    back = list(LinkColumns(ties))
    assert [(type(t.match_confidence), t.match_confidence) for t in back] == [
        (type(t.match_confidence), t.match_confidence) for t in ties
    ]
    assert back[-1].priority == 3_000_000_000


def test_a_tie_as_columns_takes_under_half_a_links_memory() -> None:
    """100,000 ties between ids that already exist (as resolution's are): as columns under 60 bytes a tie, as a list
    of ``Link`` over 100."""
    n = 100_000
    ids = [f"enterprise/{i:08d}" for i in range(n)]
    prov = Provenance("enterprises", "facts/enterprises.csv", row=1)

    def measured(make: Callable[[], Sized]) -> float:
        tracemalloc.start()
        held = make()
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(held) == n
        return size / n

    def as_list() -> list[Link]:
        return [Link("IN_CLUSTER", "Enterprise", i, "IndustryCluster", "cluster/E01", provenance=prov) for i in ids]

    def as_columns() -> LinkColumns:
        columns = LinkColumns()
        for i in ids:
            columns.add("IN_CLUSTER", "Enterprise", i, "IndustryCluster", "cluster/E01", provenance=prov)
        return columns

    columns, listed = measured(as_columns), measured(as_list)
    assert columns < 60, columns
    assert listed > 100, listed
