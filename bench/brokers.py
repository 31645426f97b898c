"""The chain page's brokers (betweenness over a cluster's entities, `queries/analytics.brokers`): networkx's
`betweenness_centrality` against ClusterKG's batched sparse version (`queries/betweenness.py`), cluster by cluster
on the same graphs in one run, their answers checked equal (every node's score within 1e-12, and the same top ten).

Usage:
  .venv/bin/python bench/brokers.py [--embedded-path PATH] [--runs 3] [--whole]
``--whole`` adds the whole entity–cluster graph (networkx: minutes). Appends to bench/results/brokers.json.
"""

from __future__ import annotations

import argparse
import os
import time
from functools import partial
from pathlib import Path
from typing import Any

from common import record


def _best_of(runs: int, work: Any) -> tuple[float, Any]:
    best, answer = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        answer = work()
        best = min(best, time.perf_counter() - started)
    return best, answer


def _top(scores: dict[Any, float], count: int = 10) -> list[Any]:
    ranked = sorted((n for n in scores if not str(n).startswith("cluster:")), key=lambda n: (-round(scores[n], 12), n))
    return ranked[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded-path", type=Path, default=None)  # default: where `make app` loaded the data
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--whole", action="store_true")
    args = parser.parse_args()

    import networkx as nx

    from graph.embedded_store import EmbeddedStore
    from graph.schema import default_schema
    from graph.settings import Settings
    from queries import analytics
    from queries.betweenness import betweenness
    from queries.catalog import get_query

    path = args.embedded_path or Settings.from_env().embedded_path
    store = EmbeddedStore(path, default_schema(), read_only=True)
    chain = get_query("cluster_chain_graph")
    graphs: dict[str, Any] = {}
    for code in sorted(r["code"] for r in get_query("cluster_list").run(store).rows):
        eco = analytics.Ecosystem.of_cluster(code, chain.run(store, {"cluster": code, "sourced_only": False}).rows)
        graphs[code] = analytics._entity_cluster_graph(eco)
    if args.whole:
        graphs["whole"] = analytics._entity_cluster_graph(analytics.Ecosystem.pull(store))
    rows = []
    for code, graph in graphs.items():
        k = None if graph.number_of_nodes() <= 5000 else 500  # as analytics.brokers
        networkx_s, expected = _best_of(args.runs, partial(nx.betweenness_centrality, graph, k=k, seed=42))
        ours_s, got = _best_of(args.runs, partial(betweenness, graph, k=k, seed=42))
        worst = max((abs(expected[n] - got[n]) for n in graph), default=0.0)
        if worst > 1e-12 or _top(expected) != _top(got):
            raise SystemExit(f"{code}: the answers differ (largest difference {worst:.3g})")
        rows.append(
            {
                "graph": code,
                "nodes": graph.number_of_nodes(),
                "edges": graph.number_of_edges(),
                "networkx_s": round(networkx_s, 4),
                "batched_s": round(ours_s, 4),
                "ratio": round(networkx_s / ours_s, 1) if ours_s else None,
            }
        )
        print(rows[-1])
    print(record("brokers", {"data": "bundled", "runs": args.runs, "load_average": os.getloadavg(), "graphs": rows}))


if __name__ == "__main__":
    main()
