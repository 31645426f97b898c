"""The overview's whole-graph communities and brokers (app_pages/ecosystem_view.py): the time of each step on the
bundled data, and how the app's ranking (betweenness between clusters, exact) and sampled all-pairs betweenness
agree with exact all-pairs betweenness (top-20 overlap).

Usage:
  .venv/bin/python bench/ecosystem_view.py [--embedded-path PATH] [--samples 100 150 300] [--no-exact]
Appends to bench/results/ecosystem_view.json and prints the figures. The machine's load average is recorded
beside them: on a shared machine the times move with it.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from common import record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedded-path", type=Path, default=None)  # default: where `make app` loaded the data
    parser.add_argument("--samples", type=int, nargs="+", default=[100, 150, 300])
    parser.add_argument("--no-exact", action="store_true")
    args = parser.parse_args()

    import networkx as nx

    from app_pages.ecosystem_view import MAX_DRAWN, picture_option
    from graph.embedded_store import EmbeddedStore
    from graph.schema import default_schema
    from graph.settings import Settings
    from queries.analytics import Ecosystem, brokers, cluster_brokers, community_groups

    path = args.embedded_path or Settings.from_env().embedded_path
    store = EmbeddedStore(path, default_schema(), read_only=True)
    started = time.perf_counter()
    eco = Ecosystem.pull(store)
    figures: dict[str, object] = {"pull_s": round(time.perf_counter() - started, 3)}
    started = time.perf_counter()
    groups = community_groups(eco)
    figures["louvain_s"] = round(time.perf_counter() - started, 3)
    figures["communities"] = len(groups)
    exact = None
    if not args.no_exact:
        started = time.perf_counter()
        exact = [b.id for b in brokers(eco, top=20)]
        figures["brokers_exact_s"] = round(time.perf_counter() - started, 2)
    graph = nx.Graph()  # the entity–cluster graph, as queries/analytics.py builds it
    for code, entities in eco.members.items():
        graph.add_edges_from((e, f"cluster:{code}") for e in entities)
    graph.add_edges_from((a, b) for a, b, _ in eco.links)
    for k in args.samples:
        started = time.perf_counter()
        scores = nx.betweenness_centrality(graph, k=k, seed=42)
        figures[f"brokers_sampled_k{k}_s"] = round(time.perf_counter() - started, 2)
        top = [n for n, _ in sorted(scores.items(), key=lambda t: -t[1]) if not n.startswith("cluster:")][:20]
        if exact:
            figures[f"brokers_sampled_k{k}_top20_overlap"] = len(set(exact) & set(top))
    started = time.perf_counter()
    ranked = cluster_brokers(eco, top=MAX_DRAWN)
    figures["cluster_brokers_s"] = round(time.perf_counter() - started, 2)
    if exact:
        figures["cluster_brokers_top20_overlap"] = len(set(exact) & {b.id for b in ranked[:20]})
    from app_pages import ecosystem_view

    analysis = ecosystem_view.EcosystemAnalysis(eco, sorted(groups, key=lambda g: (-len(g), min(g))), ranked, 0.0)
    started = time.perf_counter()
    option = picture_option(analysis, {})
    figures["picture_s"] = round(time.perf_counter() - started, 2)
    figures["picture_nodes"] = len(option["series"][0]["data"])
    figures["picture_links"] = len(option["series"][0]["links"])
    figures["load_average"] = os.getloadavg()
    print(figures)
    print(record("ecosystem_view", {"data": "bundled", "figures": figures}))


if __name__ == "__main__":
    main()
