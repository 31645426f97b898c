"""An ingest reads, resolves and makes its rows without Python's cyclic garbage collector (ingest/collector.py): the
collector is turned back as it was, and the premise holds — those steps leave no reference cycles whose number
grows with the rows, even from a file whose every row raises problems."""

from __future__ import annotations

import csv
import gc
import json
import re
import shutil
import sys
import types
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from graph.schema import Schema
from graph.store import GraphStore
from ingest.build import build, node_rows, relationship_rows
from ingest.collecting import gather
from ingest.collector import INGEST_THRESHOLDS, no_cyclic_collections, rare_collections
from ingest.mapping import load_mapping
from ingest.pipeline import default_inferences, run_ingest
from ingest.report import Report
from ingest.sources import bundled_sources, mapping_source

DATA = Path(__file__).resolve().parents[1] / "data"
MAPPINGS = Path(__file__).resolve().parents[1] / "ingest" / "mappings"


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


def _hostile_firms(data: Path, count: int) -> list[dict[str, str]]:
    """The firms' file as ``count`` rows that each go wrong somewhere: a quarter without a name (rejected), the rest
    with a year, a date and a credit code that do not parse, a formula, and a city and clusters no list holds; every
    fifth row repeats an earlier credit code under another name, and every seventh an earlier name without one (rows
    that merge)."""
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
            "unified_social_credit_code": f"9144{i // 5 if i % 5 == 0 else i:014d}",
            "founded_year": "abc",
            "list_date": "not a date",
            "roles": "链主;链主",
            "source": "https://example.org/firms",
            "confidence": "high",
        }
        if i % 7 == 0 and i:
            row |= {"name_zh": f"不存在科技有限公司{i // 7:06d}（简称{i}）", "unified_social_credit_code": ""}
        rows.append(row)
    with (data / "facts" / "enterprises.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, header)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _as_xlsx(rows: list[dict[str, str]], path: Path) -> None:
    """The rows as a workbook whose strings are in a shared table, as Excel writes them (openpyxl writes them in
    each cell)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    header = list(rows[0])
    sheet.append(header)
    for row in rows:
        sheet.append([f"表格{row[h]}" if h == "name_zh" and row[h] else row[h] for h in header])
    plain = path.with_suffix(".inline.xlsx")
    workbook.save(plain)
    with zipfile.ZipFile(plain) as packed:
        parts = {name: packed.read(name) for name in packed.namelist()}
    strings: dict[str, int] = {}

    def shared(cell: re.Match[str]) -> str:
        return f'<c r="{cell[1]}" t="s"><v>{strings.setdefault(cell[2], len(strings))}</v></c>'

    sheet_xml = "xl/worksheets/sheet1.xml"
    parts[sheet_xml] = re.sub(
        r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>(.*?)</t></is></c>', shared, parts[sheet_xml].decode()
    ).encode()
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    parts["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    parts["[Content_Types].xml"] = (
        parts["[Content_Types].xml"]
        .decode()
        .replace("</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}"/></Types>')
        .encode()
    )
    relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    parts["xl/_rels/workbook.xml.rels"] = (
        parts["xl/_rels/workbook.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdS" Type="{relation}" Target="sharedStrings.xml"/></Relationships>',
        )
        .encode()
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as packed:
        for name, content in parts.items():
            packed.writestr(name, content)


def _more_districts(data: Path, count: int) -> None:
    """``count`` more district features in the GeoJSON, with centroids out of range and unknown codes."""
    path = data / "raw" / "geo-guangdong" / "guangdong_districts_datav.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for i in range(count):
        props = {"adcode": 990000 + i, "name": f"不存在区{i}", "centroid": [200.0, -95.0], "level": "district"}
        doc["features"].append({"type": "Feature", "properties": props, "geometry": None})
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _garbage(found: list[Any]) -> int:
    """The bytes held only by objects in reference cycles (an upper bound: everything they reach but modules and
    classes)."""
    seen = {id(o) for o in found}
    stack, size = list(found), 0
    while stack:
        item = stack.pop()
        size += sys.getsizeof(item)
        if isinstance(item, type | types.ModuleType | types.FunctionType | types.BuiltinFunctionType):
            continue
        for other in gc.get_referents(item):
            if id(other) not in seen and not isinstance(other, type | types.ModuleType):
                seen.add(id(other))
                stack.append(other)
    return size


def _unreachable_after_collect(data: Path, schema: Schema, spill: Path, xlsx: Path) -> tuple[int, int, int]:
    """Every bundled source, and the firms again from a workbook, read, resolved and made into rows with the
    collector off: the objects left in reference cycles, the bytes they hold, and the problems reported."""
    firms = next(m for m in (load_mapping(p, schema) for p in MAPPINGS.glob("*.yaml")) if m.source == "enterprises")
    sheet = mapping_source(replace(firms, source="enterprises_xlsx", min_rows=0, max_rows=None), file=str(xlsx))
    gc.collect()
    with no_cyclic_collections():
        report = Report()
        gathered = gather([*bundled_sources(schema), sheet], data, report)
        built = build(gathered.statements, schema, data, report, inferences=default_inferences(schema, data))
        gathered.statements.clear()
        nodes = node_rows(built, schema, spill)
        links = built.links
        del built
        rels = relationship_rows(links, schema, spill)
        del links, nodes, rels, gathered
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            count = gc.collect()
            held = _garbage(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        return count, held, len(report.issues)


@pytest.mark.usefixtures("collector_on")
def test_an_ingest_makes_no_cycles_that_grow_with_its_rows(tmp_path: Path, schema: Schema) -> None:
    found = {}
    for turn, count in enumerate((1_000, 1_000, 3_000)):  # the first run's imports make cycles once: not counted
        data = tmp_path / f"data-{turn}"
        shutil.copytree(DATA, data)
        rows = _hostile_firms(data, count)
        _as_xlsx(rows, tmp_path / f"firms-{turn}.xlsx")
        _more_districts(data, count // 10)
        spill = tmp_path / f"spill-{turn}"
        spill.mkdir()
        found[count] = _unreachable_after_collect(data, schema, spill, tmp_path / f"firms-{turn}.xlsx")
    (few, few_bytes, few_issues), (many, many_bytes, many_issues) = found[1_000], found[3_000]
    assert many_issues > few_issues + 4 * 2_000  # every extra row raised problems, in the CSV and the workbook
    # a cycle made per row, per merge or per problem would leave thousands more; one that held a file's text, more
    # bytes (an XLSX workbook's sheets held its shared strings until the sheets were removed from it)
    assert many - few < 100, f"{few} objects in cycles after 1,000 rows, {many} after 3,000"
    assert many_bytes - few_bytes < 50_000, (
        f"cycles held {few_bytes:,} bytes after 1,000 rows, {many_bytes:,} after 3,000"
    )


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
