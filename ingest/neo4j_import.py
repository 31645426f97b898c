"""The initial-load path into an empty Neo4j: the pipeline's output as ``neo4j-admin database import`` files.

The same sources, validation, entity resolution, links and provenance as ``run_ingest`` — only the last step
differs: instead of transactions, one CSV file per node label and per relationship type (with typed headers)
and an ``import.args`` file of the tool's arguments. ``scripts/neo4j-dev import DIR`` — or, on a server's
machine with the database stopped, ``neo4j-admin database import full neo4j $(cat DIR/import.args)`` — builds
the store offline, many times faster than transactions; ``ckg schema --store neo4j`` then adds the constraints
and indexes. The run is recorded as an IngestRun node in the files, as a transactional load would record it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from graph.arrow_rows import REL_ENDS
from graph.schema import PropertySpec, Schema
from ingest.build import count_by_type, node_rows, relationship_rows
from ingest.collector import give_back, no_cyclic_collections
from ingest.pipeline import Progress, collect
from ingest.report import Report
from ingest.row_tables import NodeTables, RelTables, stamped
from ingest.run_changes import Changes, IngestResult, run_record
from ingest.sources import Source
from ingest.spill import spill_folder

log = logging.getLogger(__name__)

ARRAY_DELIMITER = "\x1f"  # the unit separator: no value holds it, unlike ";" or ","
IMPORT_TYPES = {"STRING": "string", "INT64": "long", "DOUBLE": "double", "BOOLEAN": "boolean"}
# Arrow types of the CSV columns; arrays are joined into one string with ARRAY_DELIMITER.
ARROW_CSV_TYPES = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    **{f"{t}[]": pa.string() for t in ("STRING", "INT64", "DOUBLE", "BOOLEAN")},
}


@dataclass
class ImportFiles:
    folder: Path
    args: list[str]
    result: IngestResult

    @property
    def args_file(self) -> Path:
        return self.folder / "import.args"


def write_import_files(
    sources: list[Source],
    schema: Schema,
    *,
    data_dir: Path,
    out_dir: Path,
    progress: Progress | None = None,
) -> ImportFiles:
    started = datetime.now(UTC)
    run_id = f"run/{started:%Y%m%dT%H%M%S%f}"
    report = Report()
    out_dir.mkdir(parents=True, exist_ok=True)
    # the tables, mapped (row_tables); the rows made without cyclic collections too, as the pipeline makes them
    with no_cyclic_collections(), spill_folder(out_dir) as spill:
        built = collect(sources, schema, data_dir, report, progress)
        nodes = node_rows(built, schema, spill)
        rels = relationship_rows(built.links, schema, spill)
        del built  # the rows hold everything written; the records would double the memory
        give_back()
        return _write_files(nodes, rels, schema, out_dir, run_id, started, report)


def _write_files(
    nodes: NodeTables,
    rels: RelTables,
    schema: Schema,
    out_dir: Path,
    run_id: str,
    started: datetime,
    report: Report,
) -> ImportFiles:
    """The tables as the tool's CSV files, each let go once written, and its arguments."""
    args = [
        "--overwrite-destination=true",
        f"--array-delimiter=U+{ord(ARRAY_DELIMITER):04X}",
        "--multiline-fields=true",
        "--id-type=string",
        f"--report-file={out_dir / 'import.report'}",  # beside the files, not in whatever folder the tool runs from
    ]
    result = IngestResult(
        run_id=run_id,
        report=report,
        node_counts={label: int(table.num_rows) for label, table in sorted(nodes.items())},
        relationship_counts=count_by_type(rels),
        nodes=_all_added(
            sum(int(table.num_rows) for table in nodes.values()),
            (f"{label}:{i}" for label, table in nodes.items() for i in table["id"].to_pylist()),
        ),
        relationships=_all_added(sum(int(table.num_rows) for table in rels.values()), _rel_texts(rels)),
        dry_run=False,
    )
    files = len(nodes) + 1 + len(rels)
    for label in sorted(nodes):
        specs = [schema.node_class(label).get_property(name) for name in schema.node_class(label).property_names]
        path = out_dir / f"nodes_{label}.csv"
        _write_table(path, _node_header(label, specs), stamped(nodes.pop(label), run_id), ("id",))
        labels = f"{label}:Entity" if schema.is_entity(label) else label  # the lookup label (graph/neo4j_entity.py)
        args.append(f"--nodes={labels}={path}")
    run_specs = [schema.node_class("IngestRun").get_property(n) for n in schema.node_class("IngestRun").property_names]
    run_path = out_dir / "nodes_IngestRun.csv"
    record = run_record(result, started, datetime.now(UTC), status="completed (neo4j-admin import)")
    _write(run_path, _node_header("IngestRun", run_specs), [record], run_specs)
    args.append(f"--nodes=IngestRun={run_path}")
    rel_specs = list(schema.relationship_properties)
    for group in sorted(rels):
        rel_type, from_label, to_label = group
        path = out_dir / f"rels_{rel_type}_{from_label}_{to_label}.csv"
        header = [f":START_ID({from_label})", f":END_ID({to_label})", *(_column(s) for s in rel_specs)]
        table = stamped(rels.pop(group), run_id)
        _write_table(path, header, table, REL_ENDS)
        args.append(f"--relationships={rel_type}={path}")
    (out_dir / "import.args").write_text("\n".join(args) + "\n", encoding="utf-8")
    log.info("neo4j-admin import files in %s: %d files", out_dir, files)
    return ImportFiles(folder=out_dir, args=args, result=result)


def _all_added(count: int, names: Iterable[str]) -> Changes:
    """Every row added, the first few named: counting and naming each row took 0.58 s at scale 50."""
    changes = Changes()
    changes.note_many("added", count, names)
    return changes


def _rel_texts(rels: RelTables) -> Iterator[str]:
    for (rel_type, from_label, to_label), table in rels.items():
        for from_id, to_id in zip(table["from_id"].to_pylist(), table["to_id"].to_pylist(), strict=True):
            yield "|".join((rel_type, from_label, from_id, to_label, to_id))


def _write_table(path: Path, header: list[str], table: pa.Table, leading: tuple[str, ...]) -> None:
    """One CSV file from a table of the pipeline's rows, its ``leading`` columns first; arrays are joined with
    ARRAY_DELIMITER and empty values left out, as ``_cell`` does."""
    names = [*leading, *(n for n in table.column_names if n not in leading)]
    pa_csv.write_csv(pa.table([_csv_column(table[n]) for n in names], names=header), path)


def _csv_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_list(column.type):
        column = pc.binary_join(column.cast(pa.list_(pa.string())), ARRAY_DELIMITER)
    if pa.types.is_string(column.type):  # an empty field: no property (the stores hold no empty values either)
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    return column


def _column(spec: PropertySpec) -> str:
    base = spec.store_type.removesuffix("[]")
    kind = IMPORT_TYPES[base] + ("[]" if spec.multi_valued else "")
    return f"{spec.name}:{kind}"


def _node_header(label: str, specs: list[PropertySpec]) -> list[str]:
    # "id" is both the import id (in the label's own id space) and a stored property
    return [f"id:ID({label})", *(_column(s) for s in specs if s.name != "id")]


def _write(
    path: Path,
    header: list[str],
    rows: Iterable[dict[str, Any]],
    specs: list[PropertySpec],
    leading: tuple[str, ...] = ("id",),
) -> None:
    """One CSV file, column by column through Arrow's CSV writer (in C++: the pipeline's rows go out fast)."""
    names = [*leading, *(s.name for s in specs if s.name not in leading)]
    kinds = {s.name: s.store_type for s in specs}
    materialised = list(rows)
    columns = [
        pa.array([_cell(row.get(name)) for row in materialised], ARROW_CSV_TYPES[kinds.get(name, "STRING")])
        for name in names
    ]
    pa_csv.write_csv(pa.table(columns, names=header), path)


def _cell(value: Any) -> Any:
    if value is None or value in ("", []):
        return None  # an empty field: no property (the stores hold no nulls or empty values either)
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(str(v) for v in value)
    return value
