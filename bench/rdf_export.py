"""RDF export throughput and peak memory: the streaming pyoxigraph path vs an rdflib-only path, side by side.

Usage:
  .venv/bin/python bench/rdf_export.py --embedded-path ~/.local/share/clusterkg/graph.lbdb   # the bundled data
  .venv/bin/python bench/rdf_export.py --synthetic 1000000 [--rdflib-max 100000]            # a synthetic graph

Each method runs in its own process (peak RSS is that process's maximum resident set); both read the same
store and produce N-Triples of the same quads. rdflib builds a Graph in memory and serialises it; it is run
only up to --rdflib-max nodes (at a million nodes it needs tens of GB on this machine). The synthetic graph is
labelled as such (ids ``synthetic/…``) and is never mixed into the bundled data. Results go to
bench/results/rdf_export.json (appended per run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "rdf_export.json"
CITIES = [f"city/44{c:02d}00" for c in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20)] + [
    "city/445100",
    "city/445200",
    "city/445300",
]


def with_provenance(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The small reference nodes (cities, clusters) with the provenance every node carries: the i-th row of a
    file named "synthetic", so they are never taken for bundled data."""
    return [
        {**row, "source_file": "synthetic", "source_row": i, "source_refs": [f"synthetic#{i}"]}
        for i, row in enumerate(rows)
    ]


def build_synthetic(path: Path, nodes: int, seed: int = 7) -> None:
    """A synthetic store: `nodes` enterprises, 3 relationships each (city, 1–2 clusters), skewed to big cities."""
    sys.path.insert(0, str(REPO))
    from graph.embedded_store import EmbeddedStore
    from graph.schema import default_schema

    rng = random.Random(seed)
    store = EmbeddedStore(path, default_schema())
    store.setup_schema()
    store.upsert_nodes(
        "City", with_provenance([{"id": c, "name_zh": f"城市{c[-6:]}", "admin_code": c[-6:]} for c in CITIES])
    )
    clusters = [f"cluster/S{i:02d}" for i in range(20)]
    store.upsert_nodes(
        "IndustryCluster",
        with_provenance([{"id": c, "name_zh": f"合成集群{c[-2:]}", "cluster_code": c[-3:]} for c in clusters]),
    )
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(CITIES))]
    batch = 200_000
    for start in range(0, nodes, batch):
        ids = range(start, min(nodes, start + batch))
        store.upsert_nodes(
            "Enterprise",
            [
                {
                    "id": f"synthetic/e{i:08d}",
                    "name_zh": f"合成企业{i}",
                    "name_en": f"Synthetic firm {i}",
                    "founded_year": 1980 + i % 45,
                    "roles": ["专精特新"] if i % 17 == 0 else [],
                    "source_file": "synthetic/enterprises.csv",
                    "source_row": i + 2,
                    "source_refs": [f"synthetic/enterprises.csv#{i + 2}"],
                    "confidence": "synthetic",
                }
                for i in ids
            ],
        )
        located = [
            {
                "from_id": f"synthetic/e{i:08d}",
                "to_id": rng.choices(CITIES, weights)[0],
                "source_file": "synthetic/enterprises.csv",
                "source_row": i + 2,
            }
            for i in ids
        ]
        store.upsert_relationships("LOCATED_IN", "Enterprise", "City", located)
        member = [
            {
                "from_id": f"synthetic/e{i:08d}",
                "to_id": c,
                "source_file": "synthetic/enterprises.csv",
                "source_row": i + 2,
            }
            for i in ids
            for c in {rng.choice(clusters), rng.choice(clusters)}
        ]
        store.upsert_relationships("IN_CLUSTER", "Enterprise", "IndustryCluster", member)
    store.close()


def run_method(method: str, db: str, out: str) -> None:
    """Child process: export with one method, print JSON with time, triples and peak RSS."""
    sys.path.insert(0, str(REPO))
    from graph.embedded_store import EmbeddedStore
    from graph.rdf.export import ExportCounter, export_rdf, graph_quads
    from graph.rdf.terms import RdfMapper
    from graph.schema import default_schema

    store = EmbeddedStore(Path(db), default_schema(), read_only=True)
    started = time.perf_counter()
    if method == "oxigraph-stream":
        result = export_rdf(store, Path(out), fmt="ntriples")
        triples = result.triples
    else:
        import rdflib

        graph = rdflib.Graph()
        counter = ExportCounter()

        def term(node: object) -> rdflib.term.Node:
            if hasattr(node, "datatype"):  # a pyoxigraph Literal
                lang = node.language  # type: ignore[attr-defined]
                datatype = None if lang else rdflib.URIRef(node.datatype.value)
                return rdflib.Literal(node.value, lang=lang, datatype=datatype)  # type: ignore[attr-defined]
            return rdflib.URIRef(node.value)  # type: ignore[attr-defined]

        for quad in graph_quads(store, RdfMapper(store.schema), None, counter):  # the same quads, as rdflib terms
            graph.add((term(quad.subject), term(quad.predicate), term(quad.object)))
        graph.serialize(out, format="nt", encoding="utf-8")
        triples = len(graph)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "method": method,
                "seconds": round(elapsed, 2),
                "triples": triples,
                "triples_per_s": round(triples / elapsed),
                "peak_rss_mb": round(peak_mb),
            }
        )
    )


def measure(method: str, db: Path, work: Path) -> dict[str, Any]:
    out = work / f"{method}.nt"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", method, str(db), str(out)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded-path", help="an existing store (e.g. the bundled data)")
    parser.add_argument("--synthetic", type=int, help="build a synthetic store of this many enterprises")
    parser.add_argument("--rdflib-max", type=int, default=100_000, help="run rdflib only up to this many nodes")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_method(*args.child)
        return
    work = REPO / "bench" / "work"
    work.mkdir(parents=True, exist_ok=True)
    if args.synthetic:
        db = work / f"synthetic-{args.synthetic}.lbdb"
        if not db.exists():
            started = time.perf_counter()
            build_synthetic(db, args.synthetic)
            print(f"built the synthetic store in {time.perf_counter() - started:.0f} s")
        label, nodes = f"synthetic {args.synthetic:,} enterprises", args.synthetic
    else:
        db = Path(args.embedded_path or Path.home() / ".local/share/clusterkg/graph.lbdb")
        label, nodes = f"the store {db}", 0
    results = [measure("oxigraph-stream", db, work)]
    if nodes <= args.rdflib_max:
        results.append(measure("rdflib-graph", db, work))
    record = {
        "benchmark": "RDF export (N-Triples)",
        "data": label,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }
    history = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else []
    history.append(record)
    RESULTS.write_text(json.dumps(history, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for r in results:
        print(
            f"{label}: {r['method']:16} {r['triples']:>10,} triples {r['seconds']:>8} s "
            f"{r['triples_per_s']:>9,} triples/s  peak {r['peak_rss_mb']:>6} MB"
        )
    if len(results) == 2:
        print(f"speed ratio oxigraph/rdflib: {results[0]['triples_per_s'] / results[1]['triples_per_s']:.1f}x")


if __name__ == "__main__":
    main()
