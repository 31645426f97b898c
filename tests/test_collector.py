"""An ingest reads, resolves and makes its rows without Python's cyclic garbage collector (ingest/collector.py): the
collector is turned back as it was, and the premise holds — those steps leave no reference cycles whose number
grows with the rows, even from a file whose every row raises problems."""

from __future__ import annotations

import csv
import gc
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.schema import Schema
from graph.store import GraphStore
from ingest.build import build, node_rows, relationship_rows
from ingest.collector import INGEST_THRESHOLDS, no_cyclic_collections, rare_collections
from ingest.pipeline import default_inferences, gather, run_ingest
from ingest.report import Report
from ingest.sources import bundled_sources

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def collector_on() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_off_inside_and_as_it_was_after() -> None:
    thresholds = gc.get_threshold()
    with no_cyclic_collections():
        assert not gc.isenabled()
        with no_cyclic_collections():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it off for the outer
    assert gc.isenabled()
    assert gc.get_threshold() == thresholds
    with pytest.raises(RuntimeError), no_cyclic_collections():
        raise RuntimeError("a run that fails")
    assert gc.isenabled()
    gc.disable()
    with no_cyclic_collections():
        pass
    assert not gc.isenabled()  # a caller that had it off keeps it off
    gc.enable()
    with pytest.raises(RuntimeError), rare_collections():
        assert gc.get_threshold() == INGEST_THRESHOLDS
        raise RuntimeError("a run that fails")
    assert gc.get_threshold() == thresholds


def _hostile_firms(data: Path, count: int) -> None:
    """The firms' file as ``count`` rows that each go wrong somewhere: a quarter without a name (rejected), the rest
    with a year, a date and a credit code that do not parse, a formula, and a city and clusters no list holds."""
    with (data / "facts" / "enterprises.csv").open(encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    rows = []
    for i in range(count):
        row = dict.fromkeys(header, "")
        if i % 4:
            row |= {"name_zh": f"不存在科技有限公司{i:06d}", "name_en": f"=HYPERLINK({i})"}
        row |= {
            "city": "火星市",
            "clusters": f"不存在的集群{i % 7};也不存在",
            "unified_social_credit_code": f"9144{i:014d}",
            "founded_year": "abc",
            "list_date": "not a date",
            "roles": "链主;链主",
            "source": "https://example.org/firms",
            "confidence": "high",
        }
        rows.append(row)
    with (data / "facts" / "enterprises.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, header)
        writer.writeheader()
        writer.writerows(rows)


def _unreachable_after_collect(data: Path, schema: Schema, spill: Path) -> tuple[int, int]:
    """Every bundled source read, resolved and made into rows with the collector off: the reference cycles left
    (what a collection then finds) and the problems reported."""
    gc.collect()
    with no_cyclic_collections():
        report = Report()
        gathered = gather(bundled_sources(schema), data, report)
        built = build(gathered.statements, schema, data, report, inferences=default_inferences(schema, data))
        gathered.statements.clear()
        nodes = node_rows(built, schema, spill)
        links = built.links
        del built
        rels = relationship_rows(links, schema, spill)
        del links, nodes, rels, gathered
        return gc.collect(), len(report.issues)


@pytest.mark.usefixtures("collector_on")
def test_an_ingest_makes_no_cycles_that_grow_with_its_rows(tmp_path: Path, schema: Schema) -> None:
    found = {}
    for count in (1_000, 3_000):
        data = tmp_path / f"data-{count}"
        shutil.copytree(DATA, data)
        _hostile_firms(data, count)
        spill = tmp_path / f"spill-{count}"
        spill.mkdir()
        found[count] = _unreachable_after_collect(data, schema, spill)
    (few, few_issues), (many, many_issues) = found[1_000], found[3_000]
    assert many_issues > few_issues + 2 * 3_000  # every extra row raised several problems
    # a cycle made per row, or per problem, would leave thousands more
    assert many - few < 100, f"{few} objects in cycles after 1,000 rows, {many} after 3,000"


def test_the_collector_is_off_for_the_files_and_on_for_the_store(embedded_store: GraphStore) -> None:
    """Off while the sources are read; on (rarer) while the store is written: a store's driver makes cycles that hold
    each batch it sent (at scale 150 a Neo4j write without collections peaked at 10 GB, 2.3 GB with them)."""
    seen: dict[str, set[bool]] = {"read": set(), "wrote": set()}

    def progress(step: str, done: int) -> None:
        kind = step.split(maxsplit=1)[0]
        if kind in seen:
            seen[kind].add(gc.isenabled())

    was_enabled = gc.isenabled()
    gc.enable()
    try:
        run_ingest(embedded_store, bundled_sources(embedded_store.schema), data_dir=DATA, progress=progress)
        assert gc.isenabled()
    finally:
        if not was_enabled:
            gc.disable()
    assert seen == {"read": {False}, "wrote": {True}}
