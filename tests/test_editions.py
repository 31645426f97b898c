"""Editions on both stores: kept in the store, compared exactly, and read as of an old one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.digest import graph_digest
from graph.editions import (
    EditionError,
    create_edition,
    delete_edition,
    edition_store,
    list_editions,
    load_snapshot,
    take_snapshot,
)
from graph.store import GraphStore
from queries.catalog import get_query
from reports.diff import diff_editions, diff_snapshots


def _small_graph(store: GraphStore) -> None:
    """Two cities, one cluster, a lab and an enterprise tied to it — enough to name every kind of change."""
    store.upsert_nodes("City", [{"id": "city/441900", "name_zh": "东莞市", "admin_code": "441900"},
                                {"id": "city/440300", "name_zh": "深圳市", "admin_code": "440300"}])  # fmt: skip
    store.upsert_nodes("IndustryCluster", [{"id": "cluster/E01", "name_zh": "半导体与集成电路", "cluster_code": "E01"}])
    store.upsert_nodes(
        "Laboratory",
        [{"id": "lab/a", "name_zh": "甲实验室", "chain_stage": "basic_research", "source_file": "labs.csv",
          "source_refs": ["labs.csv#2"], "claims_json": "{}", "record_hash": "x"}],
    )  # fmt: skip
    store.upsert_nodes("Enterprise", [{"id": "enterprise/b", "name_zh": "乙公司", "source_file": "enterprises.csv"}])
    store.upsert_relationships("SERVES_CLUSTER", "Laboratory", "IndustryCluster",
                               [{"from_id": "lab/a", "to_id": "cluster/E01", "source_file": "labs.csv"}])  # fmt: skip
    store.upsert_relationships("LOCATED_IN", "Laboratory", "City", [{"from_id": "lab/a", "to_id": "city/441900"}])
    store.upsert_relationships(
        "LOCATED_IN", "Enterprise", "City", [{"from_id": "enterprise/b", "to_id": "city/440300"}]
    )
    store.upsert_relationships(
        "IN_CLUSTER", "Enterprise", "IndustryCluster",
        [{"from_id": "enterprise/b", "to_id": "cluster/E01", "derived": True, "rule": "cluster.keyword"}],
    )  # fmt: skip


def _change_year(store: GraphStore) -> None:
    """A new lab, a renamed enterprise, the enterprise's tie removed, and bookkeeping that is no fact."""
    store.upsert_nodes("Laboratory", [{"id": "lab/c", "name_zh": "丙实验室", "chain_stage": "basic_research",
                                       "source_file": "curator.xlsx"}])  # fmt: skip
    store.upsert_relationships("LOCATED_IN", "Laboratory", "City", [{"from_id": "lab/c", "to_id": "city/441900"}])
    store.upsert_nodes("Enterprise", [{"id": "enterprise/b", "name_zh": "乙股份公司"}])
    store.delete_relationships("IN_CLUSTER", "Enterprise", "IndustryCluster", [("enterprise/b", "cluster/E01")])
    store.upsert_nodes("Laboratory", [{"id": "lab/a", "record_hash": "y", "claims_json": '{"x": 1}'}])


def test_edition_diff_names_exactly_the_changes(store: GraphStore, tmp_path: Path) -> None:
    _small_graph(store)
    before = graph_digest(store)
    create_edition(store, "2025-Q3", note="first")
    assert graph_digest(store) == before  # an edition is bookkeeping: the facts' digest does not move
    _change_year(store)
    create_edition(store, "2026-Q3")
    assert [e.name for e in list_editions(store)] == ["2025-Q3", "2026-Q3"]
    assert list_editions(store)[0].summary["note"] == "first"

    diff = diff_snapshots(store.schema, load_snapshot(store, "2025-Q3"), load_snapshot(store, "2026-Q3"),
                          "2025-Q3", "2026-Q3")  # fmt: skip
    got = {(c.kind, c.action, c.key, c.fields) for c in diff.changes}
    assert got == {
        ("entity", "added", "lab/c", ()),
        ("entity", "changed", "enterprise/b", ("name_zh",)),
        ("tie", "added", "lab/c → city/441900", ()),
        ("tie", "removed", "enterprise/b → cluster/E01", ()),
    }
    assert diff.by("city")["东莞市"] == {"entity added": 1, "tie added": 1}
    assert diff.by("cluster")["E01"] == {"entity changed": 1, "tie removed": 1}  # in E01 in the old edition
    assert diff.by("source")["rule:cluster.keyword"] == {"tie removed": 1}
    assert diff.by("stage")["basic_research"] == {"entity added": 1, "tie added": 1}  # a structural tie: its from stage
    assert diff_snapshots(store.schema, take_snapshot(store), load_snapshot(store, "2026-Q3"), "a", "b").changes == []


def test_lists_as_of_an_old_edition_are_the_old_lists(store: GraphStore, tmp_path: Path) -> None:
    _small_graph(store)
    create_edition(store, "2025-Q3")
    _change_year(store)
    query = get_query("cluster_entities")

    def names(s: GraphStore) -> list[Any]:
        return sorted(r["name_zh"] for r in query.run(s, {"cluster": "E01", "sourced_only": False}).rows)

    assert names(store) == ["甲实验室"]
    with edition_store(store, "2025-Q3", cache=tmp_path / "cache") as old:
        assert names(old) == ["乙公司", "甲实验室"]
    with edition_store(store, "2025-Q3", cache=tmp_path / "cache") as again:  # the cached copy
        assert names(again) == ["乙公司", "甲实验室"]


def test_edition_names_and_errors(store: GraphStore) -> None:
    _small_graph(store)
    with pytest.raises(EditionError, match="not allowed"):
        create_edition(store, "../x")
    with pytest.raises(EditionError, match="not allowed"):
        create_edition(store, "current")
    create_edition(store, "2025-Q3")
    with pytest.raises(EditionError, match="exists already"):
        create_edition(store, "2025-Q3")
    create_edition(store, "2025-Q3", replace=True)
    assert [e.name for e in list_editions(store)] == ["2025-Q3"]
    with pytest.raises(EditionError, match="no edition"):
        load_snapshot(store, "1999-Q1")
    assert delete_edition(store, "2025-Q3")
    assert list_editions(store) == []
    assert store.read("MATCH (e:Edition) RETURN count(e) AS n").rows == [{"n": 0}]


def test_a_snapshot_in_several_parts_round_trips(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph import editions

    _small_graph(store)
    monkeypatch.setattr(editions, "PART_BYTES", 100)
    info = create_edition(store, "2025-Q3")
    assert info.parts > 1
    assert load_snapshot(store, "2025-Q3").nodes == take_snapshot(store).nodes


def _tricky_entities(store: GraphStore) -> None:
    """Ids and names that a line-by-line reader could cut or misorder: quotes, commas and braces, U+2028."""
    rows = [{"id": f"enterprise/{i:03d}", "name_zh": f"企业{i}"} for i in range(40)]
    rows += [{"id": 'enterprise/a",{"x', "name_zh": "引号\u2028公司"}, {"id": "enterprise/a", "name_zh": "短\x85"}]
    store.upsert_nodes("Enterprise", rows)
    ties = [{"from_id": r["id"], "to_id": "city/441900" if i % 2 else "city/440300"} for i, r in enumerate(rows)]
    store.upsert_relationships("LOCATED_IN", "Enterprise", "City", ties)
    store.upsert_relationships(
        "IN_CLUSTER", "Enterprise", "IndustryCluster", [{"from_id": r["id"], "to_id": "cluster/E01"} for r in rows]
    )


def test_the_streamed_diff_equals_the_in_memory_comparison(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph import edition_lines, editions

    monkeypatch.setattr(edition_lines, "CHUNK_LINES", 7)  # the external sort spills and merges many chunks
    monkeypatch.setattr(editions, "PART_BYTES", 200)  # and every edition is cut into many parts
    _small_graph(store)
    _tricky_entities(store)
    create_edition(store, "2025-Q3")
    _change_year(store)
    store.upsert_nodes("Enterprise", [{"id": 'enterprise/a",{"x', "name_zh": "改名\u2028公司", "uscc": "X"}])
    store.delete_nodes("Enterprise", ["enterprise/007", "enterprise/a"])
    store.delete_relationships("LOCATED_IN", "Enterprise", "City", [("enterprise/010", "city/440300")])
    create_edition(store, "2026-Q3")
    assert editions.get_edition(store, "2026-Q3").parts > 3

    old, new = load_snapshot(store, "2025-Q3"), load_snapshot(store, "2026-Q3")
    assert len(old.nodes) == 47 and ("Enterprise", 'enterprise/a",{"x') in old.nodes
    expected = diff_snapshots(store.schema, old, new, "2025-Q3", "2026-Q3")
    streamed = diff_editions(store, "2025-Q3", "2026-Q3")
    assert streamed.changes == expected.changes
    assert streamed.totals() == {"entity": {"added": 1, "changed": 2, "removed": 2},
                                 "tie": {"added": 1, "changed": 0, "removed": 6}}  # fmt: skip
    renamed = next(c for c in streamed.changes if c.key == 'enterprise/a",{"x')
    assert (renamed.fields, renamed.name, renamed.cities, renamed.clusters) == (
        ("name_zh", "uscc"),
        "改名\u2028公司",
        ("深圳市",),
        ("E01",),
    )
    backwards = diff_editions(store, "2026-Q3", "2025-Q3")
    assert backwards.changes == diff_snapshots(store.schema, new, old, "2026-Q3", "2025-Q3").changes
    now = diff_editions(store, "2025-Q3", "current")
    assert now.changes == diff_snapshots(store.schema, old, take_snapshot(store), "2025-Q3", "current").changes
    assert diff_editions(store, "2026-Q3", "current").changes == []


def test_an_edition_written_whole_before_streaming_reads_the_same(store: GraphStore) -> None:
    """Editions stored before creating streamed (one zlib blob of the joined lines, cut in pieces) still read."""
    import base64
    import hashlib
    import json
    import zlib

    from graph.edition_lines import store_lines

    _small_graph(store)
    _tricky_entities(store)
    text = ("\n".join(sorted(store_lines(store))) + "\n").encode("utf-8")
    blob = zlib.compress(text, 6)
    pieces = [blob[i : i + 50] for i in range(0, len(blob), 50)]
    store.setup_schema()
    for i, piece in enumerate(pieces):
        part = {"id": f"edition/old/part/{i:05d}", "edition_name": "old", "edition_part": i,
                "snapshot_data": base64.b64encode(piece).decode("ascii")}  # fmt: skip
        store.upsert_nodes("Edition", [part])
    store.upsert_nodes("Edition", [{
        "id": "edition/old", "edition_name": "old", "edition_part": -1, "edition_parts": len(pieces),
        "created_at": "2025-09-30T00:00:00+00:00", "snapshot_bytes": len(blob),
        "snapshot_digest": hashlib.sha256(text).hexdigest(), "summary_json": json.dumps({"counts": {}}),
    }])  # fmt: skip
    assert load_snapshot(store, "old") == take_snapshot(store)
    assert diff_editions(store, "old", "current").changes == []
    store.upsert_nodes("Edition", [{"id": "edition/old/part/00001", "snapshot_data": base64.b64encode(b"x").decode()}])
    with pytest.raises(EditionError):
        load_snapshot(store, "old")


def test_sorting_and_merging_lines_hold_a_chunk_not_the_graph() -> None:
    """The external sort and the merge diff of two streams of 30,000 lines stay within a small multiple of one
    chunk, measured by tracemalloc (≈ 1.3 MB; held whole, the same lines take ≈ 12 MB)."""
    import tracemalloc

    from graph.edition_lines import dump, sorted_lines
    from reports.diff import merge_changes

    def lines(changed: int) -> Iterator[str]:
        for i in range(30_000):
            j = (i * 7919) % 30_000  # not in order
            yield dump(["N", "Enterprise", f"enterprise/{j:06d}", {"name_zh": f"企业{j}", "v": int(j == changed)}])

    tracemalloc.start()
    with sorted_lines(lines(-1), chunk_lines=1_000) as old, sorted_lines(lines(123), chunk_lines=1_000) as new:
        changes = list(merge_changes(old, new))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(action, key) for action, key, _p, _f in changes] == [("changed", ("N", "Enterprise", "enterprise/000123"))]
    assert peak < 3 * 2**20, f"peak {peak} bytes"
