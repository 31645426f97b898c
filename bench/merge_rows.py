"""How the embedded store hands rows it merges to LadybugDB: a list of dicts (``UNWIND $rows``, each value cast,
as graph/embedded_writes.py did until 2026-12-02) against an Arrow table of typed columns (``LOAD FROM $t``, as it
does now), on the same rows, side by side in one run; and the bundled load it serves, timed whole.

Both statements merge the bundled enterprises (every property of the schema) and their LOCATED_IN ties into a
fresh store, first as new rows, then again as rows that exist (a rerun's update). Each figure is the best of
``--repeat`` runs, each on a fresh store.

Usage: .venv/bin/python bench/merge_rows.py [--repeat 3]     # ≈ 2 min
Results: bench/results/merge_rows.json.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import record

from graph.embedded_store import EmbeddedStore
from graph.row_checks import prepare_node_rows, prepare_rel_rows
from graph.schema import Schema, default_schema
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR, bundled_sources

log = logging.getLogger("bench.merge_rows")
Rows = list[dict[str, Any]]


def unwind_nodes(store: EmbeddedStore, schema: Schema, rows: Rows) -> None:
    """The statement of before: the rows as a list parameter, each value cast to its column's type."""
    cls = schema.node_class("Enterprise")
    columns, clean = prepare_node_rows(cls, rows)
    sets = ", ".join(f"n.{c} = CAST(r.{c} AS {cls.get_property(c).store_type})" for c in columns if c != "id")
    store._execute(f"UNWIND $rows AS r MERGE (n:Enterprise {{id: r.id}}) SET {sets}", {"rows": clean})


def unwind_rels(store: EmbeddedStore, schema: Schema, rows: Rows) -> None:
    columns, clean = prepare_rel_rows(schema, rows, "LOCATED_IN")
    sets = ", ".join(f"e.{c} = CAST(r.{c} AS {schema.relationship_property(c).store_type})" for c in columns)
    store._execute(
        "UNWIND $rows AS r MATCH (a:Enterprise {id: r.from_id}) MATCH (b:City {id: r.to_id}) "
        f"MERGE (a)-[e:LOCATED_IN]->(b) SET {sets} RETURN count(e)",
        {"rows": clean},
    )


def bundled_rows(path: Path, schema: Schema) -> tuple[Rows, Rows, Rows]:
    """The enterprises, the cities and the enterprises' LOCATED_IN ties to cities of a bundled load."""
    with EmbeddedStore(path, schema, read_only=True) as store:
        firms = list(store.iter_nodes("Enterprise"))
        cities = list(store.iter_nodes("City"))
        ties = [
            {k: v for k, v in r.items() if k not in ("from_label", "to_label")}
            for r in store.iter_relationships("LOCATED_IN")
            if (r["from_label"], r["to_label"]) == ("Enterprise", "City")
        ]
    return firms, cities, ties


def timed_merges(schema: Schema, style: str, firms: Rows, cities: Rows, ties: Rows, folder: Path) -> dict[str, float]:
    """New rows, then the same rows again, on a fresh store, in one style; seconds for each step."""
    path = folder / f"{style}.lbdb"
    for leftover in folder.glob(path.name + "*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    out: dict[str, float] = {}
    with EmbeddedStore(path, schema) as store:
        store.setup_schema()
        store.upsert_nodes("City", cities)
        for step in ("new", "existing"):
            started = time.perf_counter()
            if style == "unwind":
                unwind_nodes(store, schema, firms)
            else:
                store.upsert_nodes("Enterprise", firms)
            out[f"nodes_{step}_s"] = time.perf_counter() - started
            started = time.perf_counter()
            if style == "unwind":
                unwind_rels(store, schema, ties)
            else:
                store.upsert_relationships("LOCATED_IN", "Enterprise", "City", ties)
            out[f"ties_{step}_s"] = time.perf_counter() - started
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    schema = default_schema()
    with tempfile.TemporaryDirectory(prefix="merge-rows-") as tmp:
        folder = Path(tmp)
        loads = []
        for number in range(args.repeat):
            path = folder / f"bundled-{number}.lbdb"
            started = time.perf_counter()
            with EmbeddedStore(path, schema) as store:
                assert run_ingest(store, bundled_sources(schema), data_dir=DATA_DIR).ok
            loads.append(time.perf_counter() - started)
        firms, cities, ties = bundled_rows(folder / "bundled-0.lbdb", schema)
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.repeat):
            for style in ("unwind", "load_from"):
                for key, seconds in timed_merges(schema, style, firms, cities, ties, folder).items():
                    best.setdefault(style, {})[key] = min(seconds, best.get(style, {}).get(key, seconds))
    ratios = {key: round(best["unwind"][key] / best["load_from"][key], 2) for key in best["unwind"]}
    payload = {
        "rows": {"enterprises": len(firms), "located_in": len(ties)},
        "repeat": args.repeat,
        "best_s": {style: {k: round(v, 4) for k, v in figures.items()} for style, figures in best.items()},
        "unwind_over_load_from": ratios,
        "bundled_load_s": {"best": round(min(loads), 2), "all": [round(s, 2) for s in loads]},
    }
    log.info("%s", payload)
    log.info("recorded in %s", record("merge_rows", payload))


if __name__ == "__main__":
    main()
