"""Where a graph picture's nodes go: a chain's stages as blocks in chain order (wrapped for a phone), a seeded spring
layout otherwise, so a picture is the same on every load; which nodes are named, and the communities that colour
them (app_pages/chart_graph.py draws them)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

import networkx as nx

from app_pages.graph_view import STAGE_COLUMNS, GraphData, in_use


def degrees(data: GraphData) -> dict[str, int]:
    degree: dict[str, int] = dict.fromkeys(data.nodes, 0)
    for a, b, _ in data.edges:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    return degree


STAGE_GAP = 300.0  # between two stages' blocks, in the layout's units (a name takes about 220 of them)
ROW = 52.0  # between two rows of a block's named column: a name's height and some air
BLOCK_ROWS = 24  # a stage of up to this many nodes is one column, one node per row
NAMED_PER_BLOCK = BLOCK_ROWS // 2  # a taller stage's named column at least: the grid of its other nodes takes the rest
GRID_STEP = 36.0  # a taller stage's unnamed nodes, in a grid below its names: between two rows, and at most across
GRID_WIDTH = 200.0  # the grid's width: what a name would take, less a node's
GRID_ACROSS = int(GRID_WIDTH // GRID_STEP) + 1  # a grid row's nodes at its full step


# A phone's picture (under 480 px, an ECharts media query): a chain of six or seven columns kept its shape there in
# the top 150 px of its 680 px box, its rows 3 px apart. Its blocks go three across and two or three down instead,
# each a shorter column of fewer names.
NARROW_BLOCK_ROWS = 10
NARROW_ACROSS = 3
BLOCK_GAP = 2 * ROW  # between two rows of blocks


def names_in_block(size: int, block_rows: int = BLOCK_ROWS) -> int:
    """How many of a stage's ``size`` nodes the label rule may name: all of a block up to ``block_rows``; in a
    taller one, as many as leave room below them for the rest in a grid at its full step, and at least half the
    block's rows (a stage of hundreds squeezes its grid). A stage of 25 names 22, not 12 (a fixed half did)."""
    if size <= block_rows:
        return size
    for names in range(block_rows - 1, block_rows // 2, -1):
        grid_rows = math.ceil((size - names) / GRID_ACROSS)
        if names * ROW + GRID_STEP + grid_rows * GRID_STEP <= block_rows * ROW:
            return names
    return block_rows // 2


def named(
    data: GraphData,
    degree: Mapping[str, int],
    count: int,
    layered: bool,
    also: Collection[str] = (),
    block_rows: int = BLOCK_ROWS,
) -> set[str]:
    """The label rule: the ``count`` best connected nodes; in a chain picture shared out among the stage blocks
    (the best of each block first), so every stage has names and no block's names pile on each other, and at most
    ``names_in_block`` in a block taller than ``block_rows``, with room left there for the nodes named ``also``
    (highlighted, on a path: the caller names them whatever their rank)."""
    if not layered:
        return set(sorted(data.nodes, key=lambda n: (-degree[n], n))[:count])
    blocks: dict[str, list[str]] = defaultdict(list)
    for node_id in sorted(data.nodes, key=lambda n: (-degree[n], n)):
        stage = data.nodes[node_id]["stage"]
        blocks[str(stage) if stage in STAGE_COLUMNS else "industry"].append(node_id)
    for stage, members in blocks.items():  # a tall block's names are a column above its other nodes (stage_blocks)
        room = names_in_block(len(members), block_rows) - sum(1 for m in members if m in also)
        blocks[stage] = [m for m in members if m not in also][: max(0, room)]
    chosen: list[str] = []
    for rank in range(max((len(b) for b in blocks.values()), default=0)):
        chosen.extend(b[rank] for b in blocks.values() if rank < len(b))
        if len(chosen) >= count:
            break
    return set(chosen[:count])


def stage_blocks(
    data: GraphData, first: Iterable[str] = (), block_rows: int = BLOCK_ROWS, across: int | None = None
) -> dict[str, tuple[float, float]]:
    """Chain order left to right: each stage a block, best connected at the top. A stage of more than
    ``block_rows`` nodes puts ``first`` (the ones named) in a column of their own, one per row, and folds the rest
    into a grid below them, where no name is drawn over them (folded beside the names, they sat under them). A block
    is ``block_rows`` rows tall at most, unless more of its nodes are named (highlighted, on a path) than fit: the
    picture's height follows the layout's. With ``across``, the blocks wrap: that many to a row of blocks, in
    chain order (a phone's picture)."""
    degree = degrees(data)
    ahead = set(first)
    columns: dict[str, list[str]] = defaultdict(list)
    for node_id, node in data.nodes.items():
        stage = str(node["stage"]) if node["stage"] in STAGE_COLUMNS else "industry"
        columns[stage].append(node_id)
    blocks = [
        _block(sorted(columns.get(stage, []), key=lambda n: (-degree[n], n)), ahead, block_rows)
        for stage in in_use(columns)
    ]
    per_row = across or max(1, len(blocks))
    positions: dict[str, tuple[float, float]] = {}
    top = 0.0
    for start in range(0, len(blocks), per_row):
        row = blocks[start : start + per_row]
        for x, block in enumerate(row):
            positions.update({node_id: (x * STAGE_GAP + dx, top + dy) for node_id, (dx, dy) in block.items()})
        top += max((dy for block in row for _, dy in block.values()), default=0.0) + BLOCK_GAP
    return positions


def _block(members: list[str], ahead: set[str], block_rows: int) -> dict[str, tuple[float, float]]:
    """One stage's nodes, best connected first, placed from the block's top left corner."""
    if len(members) <= block_rows:
        return {node_id: (0.0, row * ROW) for row, node_id in enumerate(members)}
    named_ones = [n for n in members if n in ahead]  # the label rule's few, and any highlighted or on a path
    rest = [n for n in members if n not in named_ones]
    placed = {node_id: (0.0, row * ROW) for row, node_id in enumerate(named_ones)}
    top = len(named_ones) * ROW + (GRID_STEP if named_ones else 0.0)
    rows = max(1, int((block_rows * ROW - top) // GRID_STEP))
    grid_columns = max(2, math.ceil(len(rest) / rows))
    step = min(GRID_STEP, GRID_WIDTH / (grid_columns - 1))
    for i, node_id in enumerate(rest):
        row, col = divmod(i, grid_columns)
        placed[node_id] = (col * step, top + row * GRID_STEP)
    return placed


def spring(data: GraphData) -> dict[str, tuple[float, float]]:
    graph = nx.Graph()
    graph.add_nodes_from(sorted(data.nodes))
    graph.add_edges_from((a, b) for a, b, _ in data.edges)
    layout = nx.spring_layout(graph, seed=42, k=1.6 / max(1, len(graph)) ** 0.5, method="force")
    return {n: (float(p[0]) * 1000, float(p[1]) * 1000) for n, p in layout.items()}  # square: the picture's width


def communities(data: GraphData) -> dict[str, int]:
    """Louvain communities (seeded) of the drawn graph: node → community number, largest first."""
    graph = nx.Graph()
    graph.add_nodes_from(sorted(data.nodes))
    graph.add_edges_from((a, b) for a, b, _ in data.edges)
    groups = sorted(nx.community.louvain_communities(graph, seed=42), key=lambda g: (-len(g), min(g)))
    return {node: i for i, group in enumerate(groups) for node in group}
