"""The ingest's rows as Arrow tables (ingest/row_tables.py) and the resolved ties they are made from."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from app_pages.errors import explain_error
from graph.arrow_rows import relationship_schema
from graph.embedded_store import EmbeddedStore
from graph.errors import SchemaError
from graph.mapped_tables import let_go_of_read_pages, mapped_table
from graph.schema import Schema
from ingest import build, row_tables, spill
from ingest.build import relationship_rows
from ingest.inference import LinkView, inferred_link
from ingest.link_columns import LinkColumns
from ingest.pipeline import run_ingest
from ingest.records import NO_PROPS, Link, NodeRecord, Provenance
from ingest.resolve import Curation, Entity, EntityIndex
from ingest.row_tables import SpillError, TableBuilder
from ingest.sources import DATA_DIR, bundled_sources

PROV = Provenance(source="labs", file="facts/labs.csv", row=7, url=None, confidence="high")


def _entity(label: str, entity_id: str) -> Entity:
    record = NodeRecord(label=label, id=entity_id, props={}, provenance=PROV, names=(entity_id,))
    return Entity(label=label, id=entity_id, records=[record])


def test_a_stated_tie_makes_its_properties_rank_and_reference_from_its_row() -> None:
    link = Link(
        "LOCATED_IN", "Laboratory", "lab/1", "City", "city/440300", provenance=PROV, match_rule="place name or code",
        match_confidence=1.0, priority=20, extra={"role": "main"},
    )  # fmt: skip
    assert link.props == {
        "source_file": "facts/labs.csv",
        "source_row": 7,
        "confidence": "high",  # the URL is None: absent, as the stores hold no nulls
        "match_rule": "place name or code",
        "match_confidence": 1.0,
        "role": "main",
    }
    assert link.rank == (0, 20, "labs", "facts/labs.csv", 7) and link.ref == "facts/labs.csv#7"
    assert link.props is not link.props  # a fresh dict each time: a caller may change it


def test_a_stated_tie_wins_over_an_inferred_one_and_an_inferred_one_says_so(schema: Schema) -> None:
    lab, city, other = _entity("Laboratory", "lab/1"), _entity("City", "city/440300"), _entity("City", "city/440100")
    stated = Link("LOCATED_IN", "Laboratory", "lab/1", "City", "city/440300", provenance=PROV, match_rule="place")
    kwargs = {"rule": "host_city", "evidence": "its host", "confidence": "medium", "source_file": "rules"}
    inferred_there = inferred_link("LOCATED_IN", lab, city, **kwargs)
    inferred_only = inferred_link("LOCATED_IN", lab, other, **kwargs)
    assert inferred_there.rank == (1, 100, "inference", "host_city", 0) and inferred_there.ref == "rule:host_city"
    tables = relationship_rows([inferred_there, stated, inferred_only], schema)
    rows = {r["to_id"]: r for r in tables[("LOCATED_IN", "Laboratory", "City")].to_pylist()}
    assert rows["city/440300"]["derived"] is None and rows["city/440300"]["source_refs"] == ["facts/labs.csv#7"]
    assert rows["city/440100"]["derived"] is True and rows["city/440100"]["rule"] == "host_city"
    assert rows["city/440100"]["source_refs"] == ["rule:host_city"]


def test_a_rules_view_holds_the_types_it_walks_and_refuses_the_others() -> None:
    """A rule's LinkView keeps only the types the rule named (most ties are of types no rule walks); asking it for
    another type is a mistake in the rule, said at once, not an empty answer."""
    index = EntityIndex(Curation.load(None))
    for label, entity_id in (("Laboratory", "lab/1"), ("City", "city/440300"), ("University", "university/1")):
        index.add(NodeRecord(label=label, id=entity_id, props={}, provenance=PROV, names=(entity_id,)))
    lab = index.get("Laboratory", "lab/1")
    assert lab is not None
    links = [
        Link("LOCATED_IN", "Laboratory", "lab/1", "City", "city/440300", provenance=PROV),
        Link("HOSTED_BY", "Laboratory", "lab/1", "University", "university/1", provenance=PROV),
    ]
    view = LinkView(index, [links], ("LOCATED_IN",))
    assert [e.id for e in view.targets(lab, "LOCATED_IN")] == ["city/440300"]
    with pytest.raises(ValueError, match="HOSTED_BY"):
        view.targets(lab, "HOSTED_BY")
    both = LinkView(index, [links], ("LOCATED_IN", "HOSTED_BY"))
    assert [e.id for e in both.targets(lab, "HOSTED_BY")] == ["university/1"]
    found = index.by_node_id("University", "university/1")  # a tie's end: every entity, whatever the types
    assert found is not None and found.id == "university/1"
    # an end is a node's id: a record id that joined another node names no end (the rules' old lookup, kept)
    index.add(NodeRecord(label="University", id="university/2", props={}, provenance=PROV, names=("university/1",)))
    assert index.get("University", "university/2") is found and index.by_node_id("University", "university/2") is None


def test_a_tie_stated_by_rows_far_apart_is_one_row_with_every_reference(
    schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Statements of one tie are found by their keys' hashes; ties whose hashes collide stay apart (every hash made
    equal here), and the list of ties is emptied as the rows are made."""
    ties = [
        Link("LOCATED_IN", "Laboratory", f"lab/{i % 5}", "City", "c", provenance=Provenance("labs", "f.csv", row=i))
        for i in range(20)
    ]
    rows = relationship_rows(list(ties), schema)[("LOCATED_IN", "Laboratory", "City")].to_pylist()
    assert [r["from_id"] for r in rows] == [f"lab/{i}" for i in range(5)]  # in the order first stated
    assert [r["source_refs"] for r in rows] == [sorted(f"f.csv#{i}" for i in range(k, 20, 5)) for k in range(5)]
    assert [r["source_row"] for r in rows] == list(range(5))  # the best-ranked statement's (the first row)
    monkeypatch.setattr(build, "hash", lambda _: 7, raising=False)  # the module's name shadows the builtin
    assert build._other_statements(LinkColumns(ties)) == {k: list(range(k + 5, 20, 5)) for k in range(5)}
    consumed = list(ties)
    assert relationship_rows(consumed, schema)[("LOCATED_IN", "Laboratory", "City")].to_pylist() == rows
    assert consumed == []


def test_a_tie_with_a_property_no_table_holds_is_refused(schema: Schema) -> None:
    odd = Link("LOCATED_IN", "Laboratory", "lab/1", "City", "c", provenance=PROV, extra={"colour": "red"})
    with pytest.raises(SchemaError, match="colour"):
        relationship_rows([odd], schema)


def _random_ties(seed: int) -> list[Link]:
    """Ties of a few types and labels, many stated more than once, some inferred, some with a role, some stated
    and inferred: every way a tie's row is made."""
    rng = random.Random(seed)
    ties = []
    for _ in range(rng.randint(1, 400)):
        rel_type, from_label, to_label = rng.choice(
            [
                ("LOCATED_IN", "Laboratory", "City"),
                ("LOCATED_IN", "Enterprise", "City"),
                ("HOSTED_BY", "Laboratory", "University"),
            ]
        )
        ends = (from_label, f"x/{rng.randint(0, 40)}", to_label, f"y/{rng.randint(0, 3)}")
        if rng.random() < 0.15:
            rule = {"derived": True, "rule": rng.choice(["r1", "r2"]), "evidence": f"e{rng.randint(0, 9)}"}
            ties.append(Link(rel_type, ends[0], ends[1], ends[2], ends[3], extra=rule))
            continue
        provenance = Provenance(
            rng.choice(["labs", "firms"]), rng.choice(["a.csv", "b.csv"]), rng.randint(2, 60),
            url=rng.choice([None, "https://example.org"]), confidence=rng.choice([None, "high", "medium"]),
        )  # fmt: skip
        extra = {"role": "lead"} if rng.random() < 0.1 else NO_PROPS
        ties.append(
            Link(
                rel_type,
                ends[0],
                ends[1],
                ends[2],
                ends[3],
                provenance=provenance,
                match_rule=rng.choice(["", "name", "code"]),
                match_confidence=rng.choice([1.0, 0.9, 0.75]),
                priority=rng.choice([10, 50]),
                extra=extra,
            )
        )
    return ties


def _rows_a_tie_at_a_time(ties: list[Link], schema: Schema) -> dict[tuple[str, str, str], list[dict[str, object]]]:
    """The rows, the rules written out once more from whole ``Link``s: a tie's statements ranked, the best stated
    one's properties (the best inferred one's where no source states it), every counted statement's reference."""
    by_key: dict[tuple[str, ...], list[Link]] = {}
    for link in ties:
        by_key.setdefault((link.rel_type, link.from_label, link.from_id, link.to_label, link.to_id), []).append(link)
    empty = dict.fromkeys(relationship_schema(schema).names)
    rows: dict[tuple[str, str, str], list[dict[str, object]]] = {}
    for (rel_type, from_label, from_id, to_label, to_id), statements in by_key.items():
        ranked = sorted(statements, key=lambda k: k.rank)
        counted = [k for k in ranked if k.provenance is not None] or ranked
        props = counted[0].props
        if counted[0].provenance is not None:
            for name in ("derived", "rule", "evidence"):
                props.pop(name, None)
        row = {**empty, "from_id": from_id, "to_id": to_id, **props, "source_refs": sorted({k.ref for k in counted})}
        rows.setdefault((rel_type, from_label, to_label), []).append(row)
    return rows


@pytest.mark.parametrize("batch", [7, 5_000])
def test_tie_rows_made_as_columns_are_the_rows_a_tie_at_a_time_makes(
    schema: Schema, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Most ties' rows are made as columns, the rest as dicts put in among them (ingest/build.py): in batches of 7
    nearly every batch holds both kinds."""
    monkeypatch.setattr(row_tables, "ROW_BATCH", batch)
    for seed in range(60):
        ties = _random_ties(seed)
        expected = _rows_a_tie_at_a_time(ties, schema)
        tables = relationship_rows(list(ties), schema)
        assert list(tables) == list(expected), seed  # the tables in the order their first ties came
        assert {group: table.to_pylist() for group, table in tables.items()} == expected, seed


def test_a_tie_s_value_the_row_check_would_convert_or_refuse_is_checked_as_a_row(schema: Schema) -> None:
    """A plain tie's row skips the row check only where the check would keep every value as it is."""
    whole = Link("LOCATED_IN", "Laboratory", "lab/1", "City", "c", provenance=PROV, match_confidence=1)
    rows = relationship_rows([whole], schema)[("LOCATED_IN", "Laboratory", "City")].to_pylist()
    assert rows[0]["match_confidence"] == 1.0 and type(rows[0]["match_confidence"]) is float
    with pytest.raises(SchemaError, match="match_confidence must be DOUBLE, got a boolean"):
        relationship_rows(
            [Link("LOCATED_IN", "Laboratory", "lab/1", "City", "c", provenance=PROV, match_confidence=True)], schema
        )
    with pytest.raises(SchemaError, match="from_id and to_id must be non-empty strings"):
        relationship_rows([Link("LOCATED_IN", "Laboratory", "", "City", "c", provenance=PROV)], schema)
    same_name = [
        Link("LOCATED_IN", "Laboratory", "lab/1", "City", "c", provenance=PROV),
        Link("LOCATED_IN", np.str_("Laboratory"), "lab/2", "City", "c", provenance=PROV),  # an equal name: one table
    ]
    rows = relationship_rows(same_name, schema)[("LOCATED_IN", "Laboratory", "City")].to_pylist()
    assert [r["from_id"] for r in rows] == ["lab/1", "lab/2"]
    late = Provenance(source="labs", file="facts/labs.csv", row="7", url=None, confidence="high")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="source_row must be INT64"):
        relationship_rows([Link("LOCATED_IN", "Laboratory", "lab/1", "City", "c", provenance=late)], schema)


def _as_dicts(rows: list[Mapping[str, object]]) -> list[dict[str, object]]:
    return [dict(row) for row in rows]


def test_rows_in_many_batches_make_the_table_one_batch_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = pa.schema([("id", pa.string()), ("n", pa.int64()), ("tags", pa.list_(pa.string()))])
    rows = [{"id": f"x/{i}", "n": i if i % 3 else None, "tags": [str(i)] * (i % 2)} for i in range(47)]
    whole = TableBuilder(schema, _as_dicts)
    for row in rows:
        whole.add(row)
    monkeypatch.setattr(row_tables, "ROW_BATCH", 5)
    batched = TableBuilder(schema, _as_dicts)
    for row in rows:
        batched.add(row)
    table = batched.table()
    assert table.num_rows == 47 and len(table.to_batches()) == 10
    assert table.equals(whole.table()) and table.to_pylist() == rows


def test_a_spilled_table_is_the_table_mapped_from_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Spilled, the batches go to an Arrow file as they are made and the table comes back mapped from it: the same
    rows, none of them in the process's Arrow memory."""
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("tags", pa.list_(pa.string()))])
    rows = [{"id": f"x/{i}", "text": "长" * 500, "tags": [str(i)] * (i % 3)} for i in range(4_000)]
    monkeypatch.setattr(row_tables, "ROW_BATCH", 1_000)
    kept, spilled = TableBuilder(schema, _as_dicts), TableBuilder(schema, _as_dicts, tmp_path / "x.arrow")
    for row in rows:
        kept.add(row)
        spilled.add(row)
    before = pa.total_allocated_bytes()
    mapped = spilled.table()
    assert pa.total_allocated_bytes() - before < 1 << 20 < mapped.nbytes  # 6 MB of rows, none allocated
    assert (tmp_path / "x.arrow").stat().st_size >= mapped.nbytes
    assert mapped.equals(kept.table()) and mapped.to_pylist() == rows


def _resident_file_mb() -> int:
    """This process's resident pages that are backed by files (a mapping's pages once read; a file on a tmpfs, as
    TMPDIR may be, counts as shared memory)."""
    kb = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssFile:", "RssShmem:")):
            kb += int(line.split()[1])
    return kb >> 10


def test_a_mapped_tables_read_pages_are_let_go_of_and_its_rows_stay(tmp_path: Path) -> None:
    """The pages of a mapped table count as resident once read (the diff and the COPY read every row of a run's
    tables); let go of, they leave the process's memory and the rows read again are the same. A table in the
    process's own memory is not touched: the same call on it would erase it."""
    file = tmp_path / "big.arrow"
    numbers = pa.table({"n": pa.array(range(8_000_000), pa.int64())})  # 64 MB
    with pa.ipc.new_file(str(file), numbers.schema) as writer:
        writer.write_table(numbers, max_chunksize=1_000_000)
    table = mapped_table(file)
    total = pc.sum(table["n"]).as_py()  # reads every page
    read = _resident_file_mb()
    assert let_go_of_read_pages(table) == 1
    assert read - _resident_file_mb() >= 48
    assert pc.sum(table["n"]).as_py() == total == 8_000_000 * 7_999_999 // 2 and table.equals(numbers)
    assert let_go_of_read_pages(numbers) == 0 and pc.sum(numbers["n"]).as_py() == total
    sliced = table.slice(3_500_000, 10)  # a slice of a mapped table points into the same mapping
    assert let_go_of_read_pages(sliced) == 1 and sliced["n"].to_pylist() == list(range(3_500_000, 3_500_010))


def test_a_run_leaves_no_spilled_table_behind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, schema: Schema) -> None:
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spills))
    made: list[Path] = []
    spill_table = TableBuilder.table

    def table(self: TableBuilder) -> pa.Table:
        made.extend([self.spill] if self.spill else [])
        return spill_table(self)

    monkeypatch.setattr(TableBuilder, "table", table)
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    result = run_ingest(store, [s for s in bundled_sources(schema) if s.name == "cities"], data_dir=DATA_DIR)
    assert result.node_counts["City"] == 21 and store.node_counts()["City"] == 21
    assert made and all(str(p).startswith(str(spills)) for p in made)  # the tables went through files there
    assert list(spills.iterdir()) == []  # and the files are gone
    store.close()


def test_a_folder_a_killed_run_left_is_removed_by_the_next(tmp_path: Path) -> None:
    code = "import os; print(os.getpid())"
    gone = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    left = tmp_path / f"{spill.PREFIX}{gone.stdout.strip()}-abc"  # a process that has ended
    running = tmp_path / f"{spill.PREFIX}{os.getpid()}-def"  # this one
    for folder in (left, running):
        folder.mkdir()
        (folder / "nodes-City.arrow").write_bytes(b"x")
    with spill.spill_folder(tmp_path) as folder:
        assert folder.parent == tmp_path and folder.name.startswith(f"{spill.PREFIX}{os.getpid()}-")
    assert sorted(tmp_path.iterdir()) == [running]


def test_a_spill_folder_that_cannot_take_the_tables_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pa.ipc, "new_file", full)
    builder = TableBuilder(pa.schema([("id", pa.string())]), _as_dicts, tmp_path / "x.arrow")
    builder.add({"id": "x/1"})
    with pytest.raises(SpillError, match=f"{tmp_path}.*No space left.*Set TMPDIR") as raised:
        builder.table()
    assert str(raised.value).startswith(f"本次导入的行表无法写入 {tmp_path}（磁盘已满）；")  # Chinese first
    assert "TMPDIR" in explain_error(SpillError("x"))[0]  # said in Chinese too
