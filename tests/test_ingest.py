"""The ingest pipeline end to end: the bundled dataset on both stores, provenance, editions, reports, CLI."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Collection
from pathlib import Path

import pytest

from cli import main as ckg
from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from graph.store import GraphStore
from ingest.mapping import MappingError, load_mapping
from ingest.pipeline import UnfoundEndsError, run_ingest
from ingest.run_changes import CHANGE_LIST_CAP
from ingest.sources import DATA_DIR, MAPPINGS_DIR, Source, bundled_sources, mapping_source
from ingest.stored import StoredGraph, read_stored


@pytest.fixture(scope="module")
def bundled(loaded_embedded_path: Path, schema: Schema) -> GraphStore:
    return EmbeddedStore(loaded_embedded_path, schema, read_only=True)


def test_bundled_dataset_counts(bundled: GraphStore) -> None:
    counts = bundled.node_counts()
    assert counts["City"] == 21 and counts["IndustryCluster"] == 20 and counts["District"] == 122
    assert counts["ChainStage"] == 5 and counts["PolicyMeasure"] == 20 and counts["PolicyTarget"] == 7
    assert counts["IndustryCategory"] == 1972 and counts["Park"] == 19
    assert counts["Enterprise"] > 900 and counts["Laboratory"] >= 30 and counts["Project"] > 2000
    assert bundled.relationship_counts()["PART_OF"] == 122


def test_every_fact_traces_to_its_file_and_row(bundled: GraphStore) -> None:
    for cls in bundled.schema.entity_classes:
        missing = bundled.read(
            f"MATCH (n:{cls.name}) WHERE n.source_file IS NULL OR n.source_row IS NULL RETURN count(n) AS n"
        ).rows[0]["n"]
        assert missing == 0, cls.name
    for rel in bundled.schema.relationships.values():
        missing = bundled.read(f"MATCH ()-[r:{rel.name}]->() WHERE r.source_file IS NULL RETURN count(r) AS n").rows
        assert missing[0]["n"] == 0, rel.name
    row = bundled.read(
        "MATCH (i:ResearchInfrastructure)-[r:LOCATED_IN]->(c:City) WHERE i.name_zh = $name "
        "RETURN c.name_zh AS city, i.source_file AS file, i.source_row AS row, r.source_row AS rel_row, "
        "i.source_url AS url, i.confidence AS confidence",
        {"name": "中国散裂中子源"},
    ).rows
    assert row == [
        {
            "city": "东莞市",
            "file": "facts/infrastructure.csv",
            "row": 2,
            "rel_row": 2,
            "url": row[0]["url"],
            "confidence": "high",
        }
    ]
    assert row[0]["url"].startswith("http")


def test_entities_resolved_across_sources(bundled: GraphStore) -> None:
    sysu = bundled.read(
        "MATCH (u:University) WHERE u.name_zh = '中山大学' RETURN u.source_refs AS refs, u.latitude AS lat, "
        "u.designations AS d"
    ).rows
    assert len(sysu) == 1
    files = {ref.split("#")[0] for ref in sysu[0]["refs"]}
    assert {
        "facts/universities.csv",
        "facts/high_level_universities.csv",
        "raw/china-universities/china_mainland_universities_2820_with_coords.csv",
    } <= files
    assert 22.5 < sysu[0]["lat"] < 23.5
    hosted = bundled.read(
        "MATCH (l:Laboratory)-[r:HOSTED_BY]->(u:University {name_zh: '中山大学'}) RETURN count(l) AS n, "
        "collect(r.match_rule) AS rules"
    ).rows[0]
    assert hosted["n"] >= 3 and "same name" in hosted["rules"]
    midea = bundled.read(
        "MATCH (e:Enterprise) WHERE e.stock_code = '000333.SZ' RETURN e.name_zh AS name, e.roles AS roles, "
        "size(e.source_refs) AS n"
    ).rows
    assert len(midea) == 1 and midea[0]["n"] >= 2


def test_the_notice_is_in_the_graph(bundled: GraphStore) -> None:
    rows = bundled.read(
        "MATCH (d:PolicyDocument)-[:HAS_MEASURE]->(m:PolicyMeasure)<-[:RESPONSIBLE_FOR]-(a:GovernmentAgency) "
        "WHERE a.name_zh = '省科技厅' RETURN d.doc_number AS doc, count(m) AS n"
    ).rows
    assert rows == [{"doc": "粤科函高字〔2022〕895号", "n": 13}]  # measures 2, 3, 5–13, 17, 18
    agency = bundled.read(
        "MATCH (a:GovernmentAgency {name_zh: '省科技厅'}) RETURN a.full_name_zh AS full, size(a.source_refs) AS n"
    ).rows[0]
    assert agency["full"] == "广东省科学技术厅" and agency["n"] >= 2  # the agency table and the notice, one node


def _sources(schema: Schema, names: list[str], data_dir: Path | None = None) -> list:  # type: ignore[type-arg]
    chosen = [p for p in sorted(MAPPINGS_DIR.glob("*.yaml")) if any(n in p.stem for n in names)]
    return [mapping_source(load_mapping(p, schema)) for p in chosen]


def test_a_rerun_changes_nothing_and_edits_are_tracked(tmp_path: Path, schema: Schema) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    sources = _sources(schema, ["cities", "clusters", "15_labs", "agencies"])
    first = run_ingest(store, sources, data_dir=data)
    before = graph_digest(store)
    again = run_ingest(store, sources, data_dir=data)
    assert not again.changed_anything and again.nodes.unchanged == sum(first.node_counts.values())
    assert graph_digest(store) == before

    cities = data / "facts" / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8").replace("Guangzhou,", "Canton,", 1), encoding="utf-8")
    labs = data / "facts" / "labs.csv"
    lines = labs.read_text(encoding="utf-8").splitlines(keepends=True)
    dropped_name = lines[2].split(",")[0]
    lines = [
        lines[0],
        lines[1],
        *lines[3:],
        "测试新实验室,New Lab,provincial_lab,珠海市,,,2024,新能源,http://example.org,medium,\n",
    ]
    labs.write_text("".join(lines), encoding="utf-8")
    edited = run_ingest(store, sources, data_dir=data)
    assert "City:city/440100" in edited.nodes.changed
    assert len(edited.nodes.added) == 1 and edited.nodes.added[0].startswith("Laboratory:")
    assert any(d.startswith("Laboratory:") for d in edited.nodes.dropped)
    assert store.read("MATCH (l:Laboratory {name_zh: $n}) RETURN count(l) AS n", {"n": dropped_name}).rows[0]["n"] == 0
    run = store.read(
        "MATCH (r:IngestRun {id: $id}) RETURN r.changes_json AS c, r.files_json AS f, r.status AS s",
        {"id": edited.run_id},
    ).rows[0]
    changes = json.loads(run["c"])
    assert changes["nodes"]["summary"]["dropped"] == len(edited.nodes.dropped) >= 1
    assert "City:city/440100" in changes["nodes"]["changed"] and run["s"] == "completed"
    assert all(len(f["sha256"]) == 64 for f in json.loads(run["f"]))
    canton = store.read("MATCH (c:City {id: 'city/440100'}) RETURN c.name_en AS en, c.ingest_run AS run").rows[0]
    assert canton == {"en": "Canton", "run": edited.run_id}
    store.close()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def edit_firms_and_labs(data: Path) -> None:
    """The firms' second row moved to the end (every later row's ties shift), a firm's city changed, and a lab's
    host taken away."""
    firms = _rows(data / "facts" / "enterprises.csv")
    firms[3]["city"] = "广州市" if firms[3]["city"] != "广州市" else "深圳市"
    _write_rows(data / "facts" / "enterprises.csv", [firms[0], *firms[2:], firms[1]])
    labs = _rows(data / "facts" / "labs.csv")
    next(lab for lab in labs if lab["host_institution"])["host_institution"] = ""
    _write_rows(data / "facts" / "labs.csv", labs)


def test_a_rerun_that_changes_ties_leaves_the_graph_a_fresh_load_of_its_files_would(
    store: GraphStore, tmp_path: Path, schema: Schema
) -> None:
    """A changed tie is written with only the columns that differ (ingest/tie_diff.py: ``TieWrites``): a row taken
    out near the top of the firms' file shifts every later row's ties (``source_row``, ``source_refs``), a firm's
    city moves its LOCATED_IN, and a lab loses its host; the graph after the re-run is the one a first load of the
    edited files makes, to the last property."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    sources = _sources(schema, ["cities", "clusters", "enterprises", "15_labs", "universities"])
    store.clear()
    run_ingest(store, sources, data_dir=data)
    edit_firms_and_labs(data)
    rerun = run_ingest(store, sources, data_dir=data)
    assert rerun.relationships.summary()["changed"] > 10 and rerun.relationships.summary()["dropped"] >= 1
    after_rerun = graph_digest(store)
    store.clear()
    run_ingest(store, sources, data_dir=data)
    assert graph_digest(store) == after_rerun


def test_a_changed_tie_deleted_while_a_run_resolves_fails_it_and_the_next_run_writes_it_whole(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user deletes a tie after the run read the store: the run, which would set only the tie's changed
    columns, fails unfinished instead of making it again with those alone; the next run gives the graph a first load
    of the files makes."""
    import ingest.pipeline

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    sources = _sources(schema, ["cities", "clusters", "enterprises"])
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    run_ingest(store, sources, data_dir=data)
    firms = _rows(data / "facts" / "enterprises.csv")
    _write_rows(data / "facts" / "enterprises.csv", firms[1:])  # every later row's ties shift
    ties = [t for a, b, t in store.relationship_tables("LOCATED_IN") if (a, b) == ("Enterprise", "City")]
    victim = next(r for r in ties[0].to_pylist() if r["source_row"] > 3)

    def read_then_lose_a_tie(store: GraphStore, counted: Collection[str] = (), version: object = None) -> StoredGraph:
        stored = read_stored(store, counted, version)
        store.delete_relationships("LOCATED_IN", "Enterprise", "City", [(victim["from_id"], victim["to_id"])])
        return stored

    monkeypatch.setattr(ingest.pipeline, "read_stored", read_then_lose_a_tie)
    with pytest.raises(UnfoundEndsError, match="deleted after this run read them"):
        run_ingest(store, sources, data_dir=data)
    monkeypatch.undo()
    assert run_ingest(store, sources, data_dir=data).ok
    after = graph_digest(store)
    fresh = EmbeddedStore(tmp_path / "fresh.lbdb", schema)
    run_ingest(fresh, sources, data_dir=data)
    assert graph_digest(fresh) == after
    store.close()
    fresh.close()


def test_a_whole_read_lets_go_of_its_pages_as_it_goes_and_keeps_its_version(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded store lets go of the pages the stored graph's read loaded, every few hundred megabytes read
    (``LET_GO_AFTER_BYTES``; here every 4 kB), and at the end only if much is left: each letting go reopens the
    database and moves its file's version, and the read still stands for the version it began at, so a run after it
    may write a type whole."""
    import ingest.stored

    sources = _sources(schema, ["cities", "clusters", "enterprises"])
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    run_ingest(store, sources, data_dir=DATA_DIR)
    unread = store.written_version()
    whole = read_stored(store, version=unread)
    assert whole.version == unread == store.written_version()  # too little read to be worth a reopening
    monkeypatch.setattr(ingest.stored, "LET_GO_AFTER_BYTES", 4096)
    before = store.written_version()
    stored = read_stored(store, version=before)
    assert stored.version is not None and stored.version == store.written_version() != before
    assert {label: table.to_pylist() for label, table in stored.node_hashes.items()} == {
        label: table.to_pylist() for label, table in whole.node_hashes.items()
    }
    assert {group: table.to_pylist() for group, table in stored.ties.items()} == {
        group: table.to_pylist() for group, table in whole.ties.items()
    }
    assert [len(part.records) for part in stored.statements.values()] == [
        len(part.records) for part in whole.statements.values()
    ]
    assert run_ingest(store, sources, data_dir=DATA_DIR).changed_anything is False
    store.close()


def _labs_loaded(tmp_path: Path, schema: Schema) -> tuple[Path, EmbeddedStore, list[Source], Path]:
    """A copy of the bundled data, an empty store, the labs' sources and the labs' file (to edit)."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    return data, store, _sources(schema, ["cities", "clusters", "15_labs"]), data / "facts" / "labs.csv"


def test_each_sources_statements_are_counted_added_changed_and_removed(tmp_path: Path, schema: Schema) -> None:
    """A run says, per source it replaces, how many of its statements it added, changed and removed; the stored
    ones are compared as digests (ingest/claims.py: StatementPrints), never held whole."""
    data, store, sources, labs = _labs_loaded(tmp_path, schema)
    lines = labs.read_text(encoding="utf-8").splitlines(keepends=True)
    first = run_ingest(store, sources, data_dir=data).by_source["labs"]
    assert first["records_added"] == len(lines) - 1 and first["links_added"] >= len(lines) - 1
    assert first["records_changed"] == first["records_removed"] == first["links_removed"] == 0
    stored = read_stored(store, counted={"labs"})
    assert "labs" not in stored.statements and stored.prints["labs"].records.total() == len(lines) - 1
    assert stored.sources == {"cities", "clusters", "labs"} and not stored.prints.keys() - {"labs"}
    again = run_ingest(store, sources, data_dir=data).by_source
    assert set(again) == {"cities", "clusters", "labs"} and not any(any(c.values()) for c in again.values())

    cells = lines[2].split(",")
    assert cells[3] == "深圳市"
    cells[1], cells[3] = "Renamed Lab", "珠海市"  # the record changes; its LOCATED_IN statement is another one
    assert lines[-1].startswith("化学与精细化工广东省实验室揭阳分中心") and "揭阳市,广东工业大学" in lines[-1]
    # the last row goes (its city, host and two clusters); a new row states its cluster twice: two statements
    new_row = "测试新实验室,New Lab,provincial_lab,珠海市,,,2024,新能源;新能源,http://example.org,medium,\n"
    labs.write_text("".join([*lines[:2], ",".join(cells), *lines[3:-1], new_row]), encoding="utf-8")
    edited = run_ingest(store, sources, data_dir=data).by_source
    assert edited["labs"] == {
        "records_added": 1,
        "records_changed": 1,
        "records_removed": 1,
        "links_added": 1 + 3,  # the new city of the edited row; the new row's city and its cluster twice
        "links_removed": 1 + 4,  # the old city of the edited row; the last row's city, host and clusters
    }
    assert not any(edited["cities"].values()) and not any(edited["clusters"].values())
    retracted = run_ingest(store, _sources(schema, ["cities", "clusters"]), data_dir=data, retract=["labs"])
    gone = retracted.by_source["labs"]
    assert gone["records_removed"] == len(lines) - 1 and gone["links_removed"] == first["links_added"] - 1
    assert gone["records_added"] == gone["records_changed"] == gone["links_added"] == 0
    store.close()


def test_a_row_taken_out_near_the_top_counts_as_one_statement_removed(tmp_path: Path, schema: Schema) -> None:
    """Every later row moves up one, but what the file says changes by one row: one record and its links removed,
    nothing added or changed (the digests leave the row number out), while the moved ties get their new rows."""
    data, store, sources, labs = _labs_loaded(tmp_path, schema)
    lines = labs.read_text(encoding="utf-8").splitlines(keepends=True)
    first = run_ingest(store, sources, data_dir=data).by_source["labs"]
    labs.write_text("".join([lines[0], *lines[2:]]), encoding="utf-8")
    edited = run_ingest(store, sources, data_dir=data)
    fresh = EmbeddedStore(tmp_path / "fresh.lbdb", schema)
    left = run_ingest(fresh, sources, data_dir=data).by_source["labs"]
    assert edited.by_source["labs"] == {
        "records_added": 0,
        "records_changed": 0,
        "records_removed": 1,
        "links_added": 0,
        "links_removed": first["links_added"] - left["links_added"],
    }
    assert first["links_added"] > left["links_added"]
    assert edited.relationships.summary()["changed"] > 0  # the later rows' ties, written with their new rows
    assert graph_digest(store) == graph_digest(fresh)
    store.close()
    fresh.close()


def test_a_run_counts_every_change_and_names_the_first_few(tmp_path: Path, schema: Schema) -> None:
    """Every row counted, the first CHANGE_LIST_CAP of each kind named: naming all of a big load's took gigabytes."""
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    store.setup_schema()
    result = run_ingest(store, bundled_sources(schema), data_dir=DATA_DIR, dry_run=True)
    for changes, total in ((result.nodes, result.node_counts), (result.relationships, result.relationship_counts)):
        assert changes.summary()["added"] == sum(total.values()) > CHANGE_LIST_CAP
        assert len(changes.added) == CHANGE_LIST_CAP == len(set(changes.added))
    store.close()


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("designations: {column: kind, type: text}", r"designations is STRING\[\] in the ontology; type text"),
        ("founded_year: {column: year, type: float}", "founded_year is INT64 in the ontology; type float"),
        ("field: {column: flag, type: bool}", "field is STRING in the ontology; type bool"),
        ("designations: {value: 重点实验室}", r"designations is STRING\[\] in the ontology; value '重点实验室'"),
    ],
)
def test_a_mapping_value_of_the_wrong_type_is_refused_before_a_row_is_read(
    tmp_path: Path, schema: Schema, line: str, says: str
) -> None:
    """A value the property cannot hold is refused by the mapping's check, with the type that would fit (the store's
    own row check had stopped the run on the first row, after ``ckg mapping check`` passed)."""
    mapping = tmp_path / "mylabs.yaml"
    mapping.write_text(
        "source: mylabs\nfile: facts/mylabs.csv\nnode:\n  class: Laboratory\n  id: {prefix: lab, key: name_zh}\n"
        f"  properties:\n    name_zh: {{column: name_zh, type: name, required: true}}\n    {line}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match=says) as refused:
        load_mapping(mapping, schema)
    assert refused.value.issues[0].line == 8 and refused.value.issues[0].hint  # the line of the property


def test_dry_run_writes_nothing_and_an_interrupted_run_is_closed(tmp_path: Path, schema: Schema) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    store.setup_schema()
    result = run_ingest(store, _sources(schema, ["cities"]), data_dir=DATA_DIR, dry_run=True)
    assert len(result.nodes.added) == 21 + 5 and store.node_counts()["City"] == 0  # cities and the five stages
    store.upsert_nodes("IngestRun", [{"id": "run/killed", "status": "running"}])
    run_ingest(store, _sources(schema, ["cities"]), data_dir=DATA_DIR)
    assert store.read("MATCH (r:IngestRun {id: 'run/killed'}) RETURN r.status AS s").rows == [{"s": "interrupted"}]
    assert store.node_counts()["City"] == 21
    store.close()


def test_a_dry_run_on_a_store_never_written_to_reads_it_as_empty(tmp_path: Path, schema: Schema) -> None:
    """`ckg ingest --dry-run` on a fresh store failed: it read tables no one had made. It must make none either."""
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    result = run_ingest(store, _sources(schema, ["cities"]), data_dir=DATA_DIR, dry_run=True)
    assert len(result.nodes.added) == 21 + 5 and not result.nodes.dropped
    assert store.absent_tables() == {cls.name for cls in schema.node_classes} | set(schema.relationships)
    store.close()


@pytest.mark.neo4j
def test_both_stores_hold_the_same_bundled_graph(bundled: GraphStore, loaded_neo4j: GraphStore) -> None:
    assert loaded_neo4j.node_counts() == {**bundled.node_counts(), "IngestRun": loaded_neo4j.node_counts()["IngestRun"]}
    assert loaded_neo4j.relationship_counts() == bundled.relationship_counts()
    assert graph_digest(loaded_neo4j) == graph_digest(bundled)


def test_cli_reports_and_fails_on_broken_bounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    cities = data / "facts" / "cities.csv"
    cities.write_text("".join(cities.read_text(encoding="utf-8").splitlines(keepends=True)[:6]), encoding="utf-8")
    report_dir = tmp_path / "report"
    code = ckg(
        [
            "ingest",
            "--embedded-path",
            str(tmp_path / "g.lbdb"),
            "--source",
            "cities",
            "--data-dir",
            str(data),
            "--report-dir",
            str(report_dir),
            "-q",
        ]
    )
    out = capsys.readouterr()
    report = (report_dir / "latest" / "rejections.csv").read_text(encoding="utf-8-sig")
    assert code == 1 and "outside the expected 21–21" in report
    assert "could not be read whole" in out.err  # a file outside its bounds changes nothing
    assert (
        ckg(
            [
                "ingest",
                "--embedded-path",
                str(tmp_path / "h.lbdb"),
                "--source",
                "cities",
                "-q",
                "--report-dir",
                str(report_dir),
            ]
        )
        == 0
    )


def test_cli_loads_a_curators_gbk_file_with_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "zones.yaml"
    mapping.write_text(
        "source: my_zones\nfile: zones.csv\nrows: {min: 1, max: 10}\n"
        "node:\n  class: Park\n  id: {prefix: park, key: name_zh}\n  properties:\n"
        "    name_zh: {column: 名称, type: name, required: true}\n    year: {column: 年份, type: year}\n"
        "provenance: {url: 来源}\n",
        encoding="utf-8",
    )
    csv_file = tmp_path / "zones.csv"
    csv_file.write_bytes("名称,年份,来源\n测试园区,2021年,http://example.org\n,2020,x\n另一园区,公元,y\n".encode("gbk"))
    report_dir = tmp_path / "report"
    code = ckg(
        [
            "ingest",
            "--embedded-path",
            str(tmp_path / "g.lbdb"),
            "--file",
            str(csv_file),
            "--mapping",
            str(mapping),
            "--report-dir",
            str(report_dir),
            "-q",
        ]
    )
    assert code == 0
    report = (report_dir / "latest" / "rejections.csv").read_text(encoding="utf-8-sig")
    assert "required value missing for name_zh" in report and ",3,名称," in report
    assert "year: not a year; value left out" in report
    assert '"Park": 2' in capsys.readouterr().out


def test_a_tie_whose_stored_end_the_store_cannot_find_fails_the_run(store: GraphStore, schema: Schema) -> None:
    """A store that writes fewer ties than it was given (an end it holds not found by id: a damaged index, or
    another user's delete on a shared Neo4j between the nodes and the ties) must not report them added."""
    gone: list[str] = []

    def another_user_deletes_a_city(step: str, rows: int) -> None:
        if step == "wrote City" and not gone:
            gone.append("city/440100")
            assert store.delete_nodes("City", gone) == 1

    with pytest.raises(UnfoundEndsError, match=r"(?s)按 id 找不到.*PART_OF ties \(District->City\)"):
        run_ingest(store, _sources(schema, ["cities", "districts"]), data_dir=DATA_DIR,
                   progress=another_user_deletes_a_city)  # fmt: skip
    assert gone
    status = store.read("MATCH (r:IngestRun) RETURN r.status AS s").rows
    assert status == [{"s": "failed"}]  # unfinished: the next run recounts
    assert run_ingest(store, _sources(schema, ["cities", "districts"]), data_dir=DATA_DIR).ok  # as it advises
    assert store.node_counts()["City"] == 21 and store.relationship_counts()["PART_OF"] == 122
