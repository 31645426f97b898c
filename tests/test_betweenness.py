"""The batched betweenness (queries/betweenness.py) gives networkx's figures: on a cluster's entity graph from the
bundled data, on graphs with several parts, self-loops and ties of equal score, and with a seeded sample of sources."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

import queries.betweenness as batched
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from queries import analytics
from queries.catalog import get_query


def _assert_same(graph: nx.Graph, k: int | None = None, seed: int = 42) -> dict[object, float]:
    expected = nx.betweenness_centrality(graph, k=k, seed=seed, normalized=True)
    got = batched.betweenness(graph, k=k, seed=seed)
    assert got.keys() == expected.keys()
    for node, score in expected.items():
        assert got[node] == pytest.approx(score, abs=1e-12), node
    return got


def test_a_clusters_entity_graph_as_networkx_scores_it(loaded_embedded_path: Path, schema: Schema) -> None:
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    rows = get_query("cluster_chain_graph").run(store, {"cluster": "E04", "sourced_only": False}).rows
    eco = analytics.Ecosystem.of_cluster("E04", rows)
    graph = analytics._entity_cluster_graph(eco)
    assert graph.number_of_nodes() > 300  # a real cluster, not an empty one
    got = _assert_same(graph)
    assert max(got.values()) > 0


@pytest.mark.parametrize("width", [1, 3, 1000])  # one source a batch, batches that split the sources, one batch
def test_any_batch_width_gives_the_same_figures(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batched, "MIN_WIDTH", width)
    monkeypatch.setattr(batched, "ARRAY_BYTES", 0)
    graph = nx.gnm_random_graph(120, 300, seed=5)
    graph.add_edges_from([(200, 201), (201, 202), (7, 7)])  # a second part, and a self-loop
    graph.add_node(300)  # a node alone
    _assert_same(graph)


def test_many_shortest_paths_and_equal_scores() -> None:
    _assert_same(nx.grid_2d_graph(9, 9))  # the path counts grow as binomials; symmetric nodes score alike
    _assert_same(nx.complete_bipartite_graph(4, 30))
    _assert_same(nx.star_graph(50))


def test_a_seeded_sample_of_sources_as_networkx_draws_it() -> None:
    graph = nx.barabasi_albert_graph(400, 2, seed=3)
    sampled = _assert_same(graph, k=40, seed=7)
    assert sampled != batched.betweenness(graph)  # a sample is not the exact figure: the seed's draw was used


def test_graphs_too_small_for_a_stop_between_two_others() -> None:
    for graph in (nx.Graph(), nx.path_graph(1), nx.path_graph(2)):
        assert batched.betweenness(graph) == dict.fromkeys(graph, 0.0)
    assert batched.betweenness(nx.path_graph(3)) == pytest.approx({0: 0.0, 1: 1.0, 2: 0.0})
