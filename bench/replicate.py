"""A million-node graph for the benchmarks without the pipeline's memory: the final tables of a smaller synthetic
ecosystem (bench/ingest.py ``prepare_raw``: the pipeline's own output as Parquet), replicated N times.

``prepare_raw`` at scale 150 runs the pipeline's collect step in memory (≈ 9 GB, more than a benchmark may use on
the shared machine); at scale 15 it takes ≈ 1.5 GB. Ten copies of the scale-15 tables give ≈ 970,000 nodes and
≈ 3.5 million relationships — the size of ``ckg synth --scale 150`` (960,768 and 3,275,844) with the same kinds of
rows. The reference classes (cities, districts, clusters, categories, agencies, the notice …) stay single; every
other node is copied with its id prefixed ``r<k>:`` (copy 0 keeps its id), and each relationship follows its ends
into the same copy. The prefix puts each copy in its own block of an edition's sorted lines, so compression does
not profit from the copies' sameness (zlib looks back 32 KB).

    .venv/bin/python bench/replicate.py --scale 15 --copies 10      # → bench/work/replica-15x10/ (Parquet + COPY list)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from common import REPO, WORK

from graph.embedded_writes import COPY_CHUNK
from graph.schema import default_schema

log = logging.getLogger("bench.replicate")

REFERENCE = frozenset(
    {
        "ChainStage",
        "City",
        "District",
        "GovernmentAgency",
        "IndustryCategory",
        "IndustryCluster",
        "Park",
        "PolicyDocument",
        "PolicyMeasure",
        "PolicyTarget",
        "SourceList",
    }
)


def bench_ingest(work: Path) -> object:
    """bench/ingest.py as a module (its name clashes with the ingest package), its WORK folder set to ``work``."""
    spec = importlib.util.spec_from_file_location("bench_ingest", REPO / "bench" / "ingest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    work.mkdir(parents=True, exist_ok=True)
    module.WORK = work  # type: ignore[attr-defined]
    return module


def _copy_ids(column: pa.ChunkedArray, copy: int) -> pa.Array:
    if copy == 0:
        return column.combine_chunks()
    prefix = f"r{copy}:"
    return pa.array([prefix + value for value in column.to_pylist()], pa.string())


def replicate(source: Path, target: Path, copies: int) -> dict[str, int]:
    """Write ``copies`` copies of the Parquet tables in ``source`` (raw-copy.json lists them) into
    ``target`` with its own raw-copy.json. Returns the rows written per kind."""
    statements = json.loads((source / "raw-copy.json").read_text(encoding="utf-8"))
    out = target / "raw-copy-parquet"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    written: list[str] = []
    rows = {"nodes": 0, "relationships": 0}
    for statement in statements:
        file = Path(statement.split("'")[1])
        table = pq.read_table(file)
        head = statement.split()[1]
        if "(from=" in statement:  # COPY TYPE FROM 'file' (from='A', to='B')
            from_label, to_label = statement.split("from='")[1].split("'")[0], statement.split("to='")[1].split("'")[0]
            n = 1 if from_label in REFERENCE and to_label in REFERENCE else copies
            for k in range(n):
                copied = table
                if from_label not in REFERENCE:
                    copied = copied.set_column(0, "from", _copy_ids(table["from"], k))
                if to_label not in REFERENCE:
                    copied = copied.set_column(1, "to", _copy_ids(table["to"], k))
                name = out / f"{file.stem}-r{k}.parquet"
                pq.write_table(copied, name)
                written.append(statement.replace(str(file), str(name)))
                rows["relationships"] += copied.num_rows
        else:
            n = 1 if head in REFERENCE else copies
            for k in range(n):
                index = table.schema.get_field_index("id")
                copied = table.set_column(index, "id", _copy_ids(table["id"], k))
                name = out / f"{file.stem}-r{k}.parquet"
                pq.write_table(copied, name)
                written.append(statement.replace(str(file), str(name)))
                rows["nodes"] += copied.num_rows
        assert "(from=" in statement or table.num_rows <= COPY_CHUNK
    nodes_first = sorted(written, key=lambda s: "(from=" in s)  # a relationship's ends must exist before it
    (target / "raw-copy.json").write_text(json.dumps(nodes_first), encoding="utf-8")
    log.info("replicated %s × %d into %s: %s", source, copies, target, rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=15)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    source = WORK / f"editions-raw-{args.scale:g}"
    if not (source / "raw-copy.json").exists():
        from common import synthetic_folder

        synthetic_folder(args.scale)
        bench_ingest(source).prepare_raw(default_schema(), WORK / f"synth-{args.scale:g}", 10)  # type: ignore[attr-defined]
    print(json.dumps(replicate(source, WORK / f"replica-{args.scale:g}x{args.copies}", args.copies)))


if __name__ == "__main__":
    main()
