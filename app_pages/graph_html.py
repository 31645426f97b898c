"""A picture as a standalone interactive HTML file (the download beside every graph): pyvis, made self-contained (no
CDN), with the page picture's own layout and label rule (app_pages/graph_layout.py), so the file shows what the page
showed. The only module that imports pyvis; physics is off, so a large view draws at once; beyond ``MAX_NODES`` the
view is cut and says so.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence

import jinja2

from app_pages.chart_graph import LABEL_COUNT, short_name, top_nodes
from app_pages.graph_layout import degrees, named, spring, stage_blocks
from app_pages.graph_view import COLOURS, MAX_EDGES, MAX_NODES, GraphData, faint

_EXTERNAL = [
    re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*/?>", re.S),
    re.compile(r"<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", re.S),
]


def render(
    data: GraphData,
    *,
    layered: bool = False,
    height: int = 640,
    highlight: Sequence[str] = (),
    max_nodes: int = MAX_NODES,
    faded: Collection[str] = (),
) -> tuple[str, int]:
    """Self-contained HTML of the graph and how many nodes were left out; names on the nodes the label rule names,
    every name on hover; the ``faded`` nodes drawn faint."""
    data = top_nodes(data, max_nodes)
    edges = data.edges[:MAX_EDGES]
    labelled = named(data, degrees(data), LABEL_COUNT, layered) | set(highlight)
    positions = stage_blocks(data, labelled) if layered else spring(data)
    from pyvis.network import Network  # here, not at the top: it imports IPython, 0.4 s of the app's first page

    net = Network(height=f"{height - 20}px", width="100%", directed=True, cdn_resources="in_line", bgcolor="#ffffff")
    net.templateEnv = _pyvis_templates(net.template_dir)  # compiled once per process, not once per picture
    net.toggle_physics(False)
    for node_id, node in data.nodes.items():
        x, y = positions.get(node_id, (0.0, 0.0))
        stage = node["stage"] if isinstance(node["stage"], str) else None
        colour = COLOURS.get(stage, COLOURS[None])
        net.add_node(
            node_id,
            label=short_name(str(node["label"])) if node_id in labelled else " ",
            title=str(node["title"]),  # vis-network shows a text title as text (pyvis' own HTML popup is off)
            color="#ffd400" if node_id in highlight else faint(colour) if node_id in faded else colour,
            x=x,
            y=y,
            shape="dot",
            size=18 if node_id in highlight else 11,
            font={"size": 12, "face": "sans-serif"},
        )
    for a, b, label in edges:
        net.add_edge(a, b, title=label, arrows="to", color="#999999", width=1)
    net.set_options(
        '{"interaction": {"hover": true, "navigationButtons": false}, "physics": {"enabled": false},'
        ' "edges": {"smooth": false}}'
    )
    return self_contained(net.generate_html(notebook=False)), data.cut


def self_contained(page: str) -> str:
    """pyvis's HTML without its CDN links (Bootstrap is only used by menus we do not enable)."""
    for pattern in _EXTERNAL:
        page = pattern.sub("", page)
    # physics is off, so vis never fits the view by itself: fit once the positions are known
    return page.replace("return network;", "network.fit(); return network;", 1)


def external_urls(page: str) -> list[str]:
    """URLs the page would load (src/href attributes), for tests: should be empty."""
    return re.findall(r"(?:src|href)\s*=\s*\"(https?://[^\"]+)\"", page)


@functools.cache
def _pyvis_templates(folder: str) -> jinja2.Environment:
    """One Jinja environment for pyvis's template: each ``Network`` makes its own, which compiles the template anew
    at every ``generate_html`` (the environment keeps what it compiled; it is safe to share between threads)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder))
