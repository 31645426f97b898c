"""A cluster's RDF export: its nodes read by id (GraphStore.iter_nodes_among / iter_relationships_from) vs the
whole graph read and filtered (what graph/rdf/export.py did before 2026-12-02), side by side, alternating.

Usage:
  .venv/bin/python bench/rdf_scope.py --embedded-path PATH [--clusters E01 E04 P09] [--runs 5]

The "whole graph filtered" way is the same export over a store whose by-id reads stream every node of the class
and keep the wanted ids, as the old code did. Both files must hold the same number of triples (checked). Appends
to bench/results/rdf_scope.json and prints the medians and ratios.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from common import record

from graph.embedded_store import EmbeddedStore
from graph.schema import default_schema
from queries.scopes import export_scope

log = logging.getLogger("bench.rdf_scope")


class WholeGraphFiltered(EmbeddedStore):
    """The by-id reads done the old way: every node or relationship of the type, filtered in Python."""

    def iter_nodes_among(self, label: str, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        wanted = set(ids)
        return (n for n in self.iter_nodes(label) if n["id"] in wanted)

    def iter_relationships_from(
        self, rel_type: str, ids_by_label: Mapping[str, Sequence[str]], to_labels: Collection[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        wanted = {i for ids in ids_by_label.values() for i in ids}
        return (e for e in self.iter_relationships(rel_type) if e["from_id"] in wanted)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedded-path", type=Path, required=True)
    parser.add_argument("--clusters", nargs="+", default=["E01", "E04", "P09"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    schema = default_schema()
    stores = {
        "by_id": EmbeddedStore(args.embedded_path, schema, read_only=True),
        "whole_filtered": WholeGraphFiltered(args.embedded_path, schema, read_only=True),
    }
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for cluster in args.clusters:
            samples: dict[str, list[float]] = {way: [] for way in stores}
            triples: dict[str, set[int]] = {way: set() for way in stores}
            for _ in range(args.runs):
                for way, store in stores.items():
                    started = time.perf_counter()
                    out = export_scope(
                        store, Path(folder) / f"{way}.nt", fmt="ntriples", scope="cluster", cluster=cluster
                    )
                    samples[way].append(time.perf_counter() - started)
                    triples[way].add(out.triples)
            if triples["by_id"] != triples["whole_filtered"] or len(triples["by_id"]) != 1:
                raise SystemExit(f"{cluster}: the two ways wrote different files ({triples})")
            medians = {way: statistics.median(s) for way, s in samples.items()}
            results[cluster] = {
                "triples": triples["by_id"].pop(),
                **{f"{way}_median_s": round(m, 3) for way, m in medians.items()},
                "ratio": round(medians["whole_filtered"] / medians["by_id"], 2),
            }
            log.info("%s: %s", cluster, results[cluster])
    path = record("rdf_scope", {"store": str(args.embedded_path), "runs": args.runs, "clusters": results})
    log.info("→ %s", path)


if __name__ == "__main__":
    main()
