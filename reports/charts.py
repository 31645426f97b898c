"""The report's charts as PNG bytes, drawn with matplotlib (Agg) in the CJK font scripts/setup installs.

The font is taken by file path (WenQuanYi Micro Hei, Debian's fonts-wqy-microhei), so Chinese renders the same
on every machine; without it a chart would show boxes, so drawing fails with a message saying what to install.
Figures are made without pyplot, whose global state two sessions drawing at once would share. Importing matplotlib
and loading the font take 0.5 s, half a report page's first render: the app does it at start (``warm``).
"""

from __future__ import annotations

import io
import json
import logging
import os
from functools import cache
from pathlib import Path
from typing import Any

from graph.errors import noted
from queries.analytics import STAGE_EN, STAGE_ZH, STAGES
from reports.context import ReportContext, ReportError

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)
GEOJSON = Path(__file__).resolve().parent.parent / "data" / "raw" / "geo-guangdong" / "guangdong_cities_datav.geojson"
COLOURS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef")

log = logging.getLogger(__name__)


@cache
def font_path() -> str:
    for path in (os.environ.get("CLUSTERKG_CJK_FONT", ""), *FONT_PATHS):
        if path and Path(path).is_file():
            return path
    raise ReportError(
        "图表缺少中文字体：请安装 fonts-wqy-microhei（以 root 运行 scripts/setup 即会安装），或将 CLUSTERKG_CJK_FONT "
        "设为一个 .ttf/.ttc 文件 / no CJK font for the charts: install fonts-wqy-microhei (scripts/setup does, as "
        "root) or set CLUSTERKG_CJK_FONT to a .ttf/.ttc file"
    )


@cache
def _matplotlib(font: str) -> Any:
    """matplotlib's Figure, set up once per process to draw in ``font``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    font_manager.fontManager.addfont(font)
    name = font_manager.FontProperties(fname=font).get_name()
    # a name's "$" is a dollar, not the start of a formula: "A$\alpha$B" drew a Greek letter, "X$\foo$" raised
    matplotlib.rcParams.update({"font.family": [name], "axes.unicode_minus": False, "text.parse_math": False})
    return Figure


def _figure(width: float, height: float) -> Any:
    return _matplotlib(font_path())(figsize=(width, height))


def warm() -> None:
    """Import matplotlib, load the font and the map before the first chart is asked for (the app, in the
    background)."""
    try:
        _matplotlib(font_path())
        _cities()
    except ReportError as exc:  # a report says so when it is asked for
        log.warning("图表暂不可用%s / charts not available yet: %s", *noted(exc))


def _png(fig: Any) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=150, bbox_inches="tight")
    return out.getvalue()


def stage_chart(ctx: ReportContext) -> bytes:
    """Entities per stage per cluster, stacked."""
    codes = sorted(ctx.cluster_stages)
    fig = _figure(8, 3.6)
    ax = fig.subplots()
    bottom = [0] * len(codes)
    for stage, colour in zip(STAGES, COLOURS, strict=True):
        values = [ctx.cluster_stages[c].get(stage, 0) for c in codes]
        ax.bar(codes, values, bottom=bottom, label=f"{STAGE_ZH[stage]} {STAGE_EN[stage]}", color=colour)
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax.set_title("各集群创新链主体数 Entities per stage and cluster")
    ax.set_ylabel("主体数 entities")
    ax.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    if not codes:
        ax.text(0.5, 0.5, "无数据 no data", ha="center", va="center", transform=ax.transAxes)
    return _png(fig)


@cache
def _cities() -> list[dict[str, Any]]:
    doc = json.loads(GEOJSON.read_text(encoding="utf-8"))
    return [f for f in doc["features"] if f.get("geometry")]


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def map_chart(ctx: ReportContext) -> bytes:
    """The province with the city highlighted, or a cluster's entities per city."""
    from matplotlib import colormaps
    from matplotlib.collections import PolyCollection

    fig = _figure(6.4, 4.6)
    ax = fig.subplots()
    most = max(ctx.map_values.values(), default=0)
    top = most or 1
    rings: list[list[list[float]]] = []
    colours: list[Any] = []
    for feature in _cities():
        code = str(feature["properties"]["adcode"])
        value = ctx.map_values.get(code, 0)
        colour: Any
        if ctx.scope == "city":
            colour = "#c6262e" if value else "#eeeeee"
        else:
            colour = colormaps["Blues"](0.15 + 0.8 * value / top) if value else "#f4f4f4"
        for ring in _rings(feature["geometry"]):
            rings.append([[p[0], p[1]] for p in ring])
            colours.append(colour)
        x, y = feature["properties"].get("centroid") or feature["properties"]["center"]
        ax.text(x, y, str(feature["properties"]["name"]).removesuffix("市"), fontsize=6, ha="center", va="center")
    # one collection, not a patch per ring: matplotlib recomputes the limits for each patch added (≈ 0.8 s here)
    ax.add_collection(PolyCollection(rings, facecolors=colours, edgecolors="#777777", linewidths=0.4))
    ax.autoscale_view()
    title = f"{ctx.name_zh}在全省的位置 Location" if ctx.scope == "city" else "各市主体数 Entities per city"
    ax.set_title(title)
    key = (
        "红色：本市 red: the city"
        if ctx.scope == "city"
        else f"颜色越深主体越多（最多 {most:,} 个）darker: more entities (at most {most:,})"
    )
    ax.text(0.5, -0.02, key, fontsize=7, ha="center", va="top", transform=ax.transAxes)  # the map's legend
    ax.set_aspect("equal")
    ax.axis("off")
    return _png(fig)


def change_chart(ctx: ReportContext) -> bytes | None:
    """Added, changed and removed entities and ties since the earlier edition."""
    if ctx.changes is None:
        return None
    totals = ctx.changes.totals()
    labels = ["新增 added", "修改 changed", "删除 removed"]
    fig = _figure(6, 2.8)
    ax = fig.subplots()
    width = 0.38
    xs = range(len(labels))
    for offset, kind, name, colour in (
        (-width / 2, "entity", "主体 entities", "#3182bd"),
        (width / 2, "tie", "关联 ties", "#fd8d3c"),
    ):
        values = [totals[kind][a] for a in ("added", "changed", "removed")]
        ax.bar([x + offset for x in xs], values, width, label=name, color=colour)
    ax.set_xticks(list(xs), labels)
    ax.set_title(f"自 {ctx.changes.old} 以来的变化 Changes since {ctx.changes.old}")
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)
