"""Graph pictures that talk back: ECharts (streamlit-echarts, its JS bundled in the wheel, no request leaves the
machine) drawn as SVG, so node names are DOM text a test can read and a click returns the node's id.

Why ECharts: one offline component draws the graphs, the map and the heat map; it is what Chinese users know;
its toolbox saves pictures; SVG rendering keeps the labels real text. Positions come from the server
(app_pages/graph_layout.py: stage blocks for a chain, a seeded spring layout otherwise), so a picture is the same on
every load.

Label rule: a name is written on the ``label_count`` most important nodes (degree; the highlighted and the
clicked always; in a chain's tall stage, a column of its best above a grid of the rest), shortened to eight
characters; overlapping names are hidden by ECharts; every other name shows on hover.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from app_pages.chart_safety import draw, js_function, js_text, label_text
from app_pages.common import L, class_label, relationship_word, stage_name
from app_pages.graph_layout import (
    NARROW_ACROSS,
    NARROW_BLOCK_ROWS,
    communities,
    degrees,
    named,
    spring,
    stage_blocks,
)
from app_pages.graph_view import COLOURS, FADED_OPACITY, STAGE_COLUMNS, GraphData
from ingest.normalize import bracket_names

HUB_CLASSES = frozenset({"City", "District", "Place", "IndustryCluster", "ChainStage", "IndustryCategory"})
CLASS_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#9c755f",
    "#76b7b2",
    "#edc948",
    "#ff9da7",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "（筹）")
SHORT = 8
LABEL_COUNT = 40
PATH_COLOUR = "#d62728"

# A node's name or an edge's words, as text: ECharts puts what a formatter returns into the page as HTML.
TOOLTIP = (
    "function(p){var t = p.dataType==='edge' ? p.data.value : p.name;"
    " return String(t).replace(/[&<>\"']/g, function(c){return '&#' + c.charCodeAt(0) + ';';});}"
)
# A click sends the node's id (and a stamp, so the same node clicked twice is two events) back to Python.
CLICK = "function(p){ if (p.dataType === 'node' && p.data) { return {id: p.data.id, t: Date.now()}; } }"
# PNG: the SVG chart redrawn once on an off-screen canvas chart, then saved; nothing leaves the page.
_PNG = """function(ecModel, api) {
  var w = api.getWidth(), h = api.getHeight();
  var div = document.createElement('div');
  div.style.cssText = 'position:fixed;left:-20000px;top:0;width:' + w + 'px;height:' + h + 'px';
  document.body.appendChild(div);
  var c = echarts.init(div, null, {renderer: 'canvas', width: w, height: h});
  var opt = api.getOption(); opt.animation = false; opt.toolbox = [];
  c.setOption(opt);
  var url = c.getDataURL({type: 'png', pixelRatio: 2, backgroundColor: '#ffffff'});
  c.dispose(); div.remove();
  var a = document.createElement('a'); a.href = url; a.download = %s + '.png';
  document.body.appendChild(a); a.click(); a.remove();
}"""
_PNG_ICON = "path://M2,4 L22,4 L22,20 L2,20 Z M5,17 L10,11 L13,14 L16,10 L20,17 Z"


def toolbox(file_name: str, **extra: Any) -> dict[str, Any]:
    """The picture's own buttons: SVG (the renderer's) and PNG (redrawn on a canvas), both saved in the browser."""
    feature = {
        "saveAsImage": {"title": "SVG", "name": file_name},
        "myPng": {"show": True, "title": "PNG", "icon": _PNG_ICON, "onclick": js_function(_PNG % js_text(file_name))},
        **extra,
    }
    # fixed geometry (right to left: restore, PNG, SVG), kept clear of the legend; the browser test clicks PNG
    return {"right": 8, "top": 0, "itemSize": 16, "itemGap": 10, "padding": 4, "feature": feature}


TOOLBOX_PNG_FROM_TOP_RIGHT = (8 + 4 + 16 + 10 + 8, 4 + 8)  # the PNG button's centre, when a reset button follows


def legend_beside_toolbox(legend: dict[str, Any]) -> dict[str, Any]:
    """A picture's scrolling legend at its top left, in the width its buttons leave: 80 % of a wide picture, 55 % of
    one narrower than 480 px (a phone's), through ECharts' media queries. ECharts ignores a scrolling legend's
    ``right``, and at 80 % the legend reached under the buttons below about 420 px. The second media entry, with no
    query, is what a picture widened past 480 px returns to: ECharts keeps a query's option once it stops matching."""
    return {
        "legend": [{**legend, "top": 0, "left": 0, "width": "80%", "type": "scroll"}],
        "media": [
            {"query": {"maxWidth": 480}, "option": {"legend": [{"width": "55%"}]}},
            {"option": {"legend": [{"width": "80%"}]}},
        ],
    }


def short_name(name: str, limit: int = SHORT) -> str:
    """A name that fits on a node: the bracketed short name if there is one (``normalize.bracket_names``: not a
    bracket that says where or which part, as ``（深圳）`` or ``（二期）``, which named a node 深圳), legal-form
    suffixes dropped."""
    text = str(name or "").strip()
    second = bracket_names(text)
    if second and 2 <= len(second[0]) <= 12:
        text = second[0]
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            text = text[: -len(suffix)]
    if text.startswith("广东省") and len(text) > 7:
        text = text[3:]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def filtered(
    data: GraphData,
    *,
    classes: Iterable[str] | None = None,
    stages: Iterable[str] | None = None,
    relationships: Iterable[str] | None = None,
    hide_hubs: bool = False,
    keep: Iterable[str] = (),
) -> GraphData:
    """The graph with only the chosen classes, stages and relationship types (None: all); hubs left out on request.
    Nodes in ``keep`` (the root, the expanded) always stay."""
    keep_set, class_set = set(keep), set(classes) if classes is not None else None
    stage_set = set(stages) if stages is not None else None
    rel_set = set(relationships) if relationships is not None else None

    def wanted(node_id: str, node: Mapping[str, object]) -> bool:
        if node_id in keep_set:
            return True
        if hide_hubs and node["class"] in HUB_CLASSES:
            return False
        if class_set is not None and node["class"] not in class_set:
            return False
        return stage_set is None or node["stage"] in stage_set or node["class"] in HUB_CLASSES

    out = GraphData(cut=data.cut)
    for node_id, node in data.nodes.items():
        if wanted(node_id, node):
            out.nodes[node_id] = node
    for a, b, rel in data.edges:
        if a in out.nodes and b in out.nodes and (rel_set is None or rel in rel_set or rel == ""):
            out.add_edge(a, b, rel)
    return out


def top_nodes(data: GraphData, max_nodes: int, keep: Iterable[str] = ()) -> GraphData:
    """At most ``max_nodes`` nodes, the best connected (and ``keep``) first; the rest counted in ``cut``."""
    if len(data.nodes) <= max_nodes:
        return data
    degree = degrees(data)
    forced = [n for n in keep if n in data.nodes]
    ranked = forced + sorted((n for n in data.nodes if n not in set(forced)), key=lambda n: (-degree[n], n))
    chosen = set(ranked[:max_nodes])
    out = GraphData(cut=data.cut + len(data.nodes) - len(chosen))
    out.nodes = {k: v for k, v in data.nodes.items() if k in chosen}
    for a, b, rel in data.edges:
        if a in chosen and b in chosen:
            out.add_edge(a, b, rel)
    return out


def groups(data: GraphData, colour_by: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Each node's colour group and the legend's categories (name and colour), in legend order."""
    if colour_by == "community":
        number = communities(data)
        top = 11  # the largest communities get a colour each; the rest share grey
        of = {n: f"c{min(i, top)}" for n, i in number.items()}
        keys = sorted(set(of.values()), key=lambda k: int(k[1:]))
        names = {
            k: L(f"社群 {int(k[1:]) + 1}", f"community {int(k[1:]) + 1}")
            if k != f"c{top}"
            else L("其他社群", "other communities")
            for k in keys
        }
        colours = {k: CLASS_PALETTE[int(k[1:]) % len(CLASS_PALETTE)] for k in keys}
    elif colour_by == "stage":
        of = {n: str(v["stage"]) if v["stage"] in STAGE_COLUMNS else "other" for n, v in data.nodes.items()}
        keys = [s for s in (*STAGE_COLUMNS, "other") if s in set(of.values())]
        names = {s: stage_name(s) if s not in ("cluster", "other") else _other_name(s) for s in keys}
        colours = {s: COLOURS.get(s, COLOURS[None]) for s in keys}
    else:
        of = {n: str(v["class"]) for n, v in data.nodes.items()}
        keys = sorted(set(of.values()))
        names = {k: _class_name(k) for k in keys}
        colours = {k: CLASS_PALETTE[i % len(CLASS_PALETTE)] for i, k in enumerate(keys)}
    return of, [{"key": k, "name": names[k], "itemStyle": {"color": colours[k]}} for k in keys]


def _other_name(key: str) -> str:
    return L("产业集群", "industry cluster") if key == "cluster" else L("其他", "other")


def _class_name(name: str) -> str:
    try:
        return class_label(name)
    except KeyError:
        return name or L("其他", "other")


# Where ECharts draws the nodes: the picture's width, less room on the right for the last column's names, and as tall
# as the layout's own shape makes it (a box given on all four sides stretches the layout, and ECharts then draws the
# nodes as ellipses). Given only its top and right, ECharts drew a chain in less than half the picture's height, its
# rows 13 px apart and their names over one another.
GRAPH_BOX = {"top": 44, "left": 20, "right": 120}
# A phone's picture (graph_layout.NARROW_ACROSS): smaller nodes, and less room on the right
NARROW_SYMBOLS = 0.6  # the nodes' sizes there: a hub of 40 px sat over three rows
NARROW_GRAPH_BOX = {"right": 80}  # room for the right-hand blocks' names, a third of what a wide picture keeps


def graph_option(
    data: GraphData,
    *,
    layered: bool = False,
    colour_by: str = "stage",
    label_count: int = LABEL_COUNT,
    highlight: Sequence[str] = (),
    path: Sequence[str] = (),
    file_name: str = "graph",
    faded: Collection[str] = (),
) -> dict[str, Any]:
    """The ECharts option of a graph: legend by stage or class, size by degree, names by the label rule; the
    ``faded`` nodes drawn faint (a chain's partners outside the cluster)."""
    degree = degrees(data)
    forced = set(highlight) | set(path)  # named whatever their rank
    labelled = named(data, degree, label_count, layered, also=forced) | forced
    positions = stage_blocks(data, labelled) if layered else spring(data)
    of, cats = groups(data, colour_by)
    index = {c["key"]: i for i, c in enumerate(cats)}
    path_pairs = {frozenset(p) for p in itertools.pairwise(path)}
    order = {node_id: i for i, node_id in enumerate(data.nodes)}

    def items(
        positions: Mapping[str, tuple[float, float]], labelled: Collection[str], scale: float = 1.0
    ) -> list[dict[str, Any]]:
        nodes = []
        for node_id, node in data.nodes.items():
            x, y = positions.get(node_id, (0.0, 0.0))
            marked = node_id in highlight or node_id in path
            item: dict[str, Any] = {
                "id": node_id,
                "name": str(node["title"] or node["label"]),
                "value": degree[node_id],
                "x": x,
                "y": y,
                "category": index[of[node_id]],
                "symbolSize": scale * (min(40, 7 + 3.2 * math.sqrt(degree[node_id])) + (6 if marked else 0)),
                "label": {"show": node_id in labelled, "formatter": label_text(short_name(str(node["label"])))},
            }
            if marked:
                item["itemStyle"] = {"borderColor": PATH_COLOUR if node_id in path else "#222", "borderWidth": 3}
            elif node_id in faded:
                item["itemStyle"] = {"opacity": FADED_OPACITY}
            nodes.append(item)
        return nodes

    nodes = items(positions, labelled)
    # its width, not its right: ECharts ignored a scrolling legend's right, its pager sat on the toolbox
    legend = legend_beside_toolbox({"data": [c["name"] for c in cats]})
    if layered:  # a phone's picture: the blocks wrapped, fewer names (NARROW_BLOCK_ROWS)
        few = named(data, degree, label_count, layered, also=forced, block_rows=NARROW_BLOCK_ROWS) | forced
        wrapped = stage_blocks(data, few, block_rows=NARROW_BLOCK_ROWS, across=NARROW_ACROSS)
        narrow, wide = legend["media"]  # ECharts keeps a query's option once it stops matching: wide restores it
        narrow["option"]["series"] = [{**NARROW_GRAPH_BOX, "data": items(wrapped, few, NARROW_SYMBOLS)}]
        wide["option"]["series"] = [{"right": GRAPH_BOX["right"], "data": nodes}]
    links = []
    words = {rel: relationship_word(rel) for rel in {rel for _, _, rel in data.edges}}  # an edge's tooltip
    for a, b, rel in data.edges:
        on_path = frozenset((a, b)) in path_pairs
        link: dict[str, Any] = {"source": order[a], "target": order[b], "value": words[rel]}
        if on_path:
            link["lineStyle"] = {"color": PATH_COLOUR, "width": 4, "opacity": 1}
        links.append(link)
    return {
        "animation": False,
        "tooltip": {
            "show": True,
            "formatter": js_function(TOOLTIP),
        },
        **legend,
        "toolbox": toolbox(file_name, restore={"title": L("还原", "reset")}),
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": True,
                **GRAPH_BOX,
                "data": nodes,
                "links": links,
                "categories": [{k: v for k, v in c.items() if k != "key"} for c in cats],
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": 5,
                "label": {"position": "right", "fontSize": 11, "color": "#222"},
                "labelLayout": {"hideOverlap": True},
                "lineStyle": {"color": "#aaa", "opacity": 0.5, "width": 0.8},
                "emphasis": {"focus": "adjacency", "label": {"show": True}},
            }
        ],
    }


def show_graph(
    data: GraphData,
    *,
    key: str,
    height: int = 600,
    **option: Any,
) -> str | None:
    """Draw the graph; the id of the node clicked in this run, if any."""
    answer = draw(graph_option(data, **option), events={"click": CLICK}, height=f"{height}px", renderer="svg", key=key)
    event = getattr(answer, "chart_event", None) if answer is not None else None
    if event is None and isinstance(answer, Mapping):
        event = answer.get("chart_event")
    if isinstance(event, Mapping) and event.get("id"):
        return str(event["id"])
    return None


def svg_text(
    data: GraphData,
    *,
    layered: bool = False,
    width: int = 1200,
    label_count: int = LABEL_COUNT,
    faded: Collection[str] = (),
) -> str:
    """A plain SVG of the graph (same layout, colours, label rule and faint nodes) for download, made on the server."""
    degree = degrees(data)
    labelled = named(data, degree, label_count, layered)
    positions = stage_blocks(data, labelled) if layered else spring(data)
    if not positions:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    xs, ys = [p[0] for p in positions.values()], [p[1] for p in positions.values()]
    span_x, span_y = max(xs) - min(xs) or 1.0, max(ys) - min(ys) or 1.0
    scale = (width - 160) / span_x
    height = int(span_y * scale) + 80

    def at(node_id: str) -> tuple[float, float]:
        x, y = positions[node_id]
        return (x - min(xs)) * scale + 20, (y - min(ys)) * scale + 40

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">']
    parts.append('<rect width="100%" height="100%" fill="#fff"/>')
    for a, b, _ in data.edges:
        (x1, y1), (x2, y2) = at(a), at(b)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#bbb" stroke-width="0.6"/>'
        )
    for node_id, node in data.nodes.items():
        x, y = at(node_id)
        stage = node["stage"] if isinstance(node["stage"], str) else None
        r = min(16.0, 3 + 1.4 * math.sqrt(degree[node_id]))
        fill = COLOURS.get(stage, COLOURS[None])
        faint = f' fill-opacity="{FADED_OPACITY}"' if node_id in faded else ""
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}"{faint}/>')
        if node_id in labelled:
            name = _xml(short_name(str(node["label"])))
            parts.append(f'<text x="{x + r + 2:.1f}" y="{y + 4:.1f}" font-size="11">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
