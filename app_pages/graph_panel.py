"""What every graph picture offers around it: the controls (colour, hubs, filters, how many names), the click's
details with its sources, and the downloads (SVG, PNG from the picture's toolbox, standalone HTML)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import streamlit as st

from app_pages.chart_graph import LABEL_COUNT, filtered, svg_text
from app_pages.chrome import filter_by
from app_pages.common import (
    STAGE_KEYS,
    L,
    class_word,
    fixed_table,
    plain,
    relationship_word,
    run_named,
    schema,
    stage_name,
)
from app_pages.graph_html import render
from app_pages.graph_view import GraphData
from app_pages.headers import frame
from app_pages.text_order import in_order

STAGE_CHOICES = (*STAGE_KEYS, "industry", "none")  # "none": a department or a place (the chain picture's column)


@dataclass(frozen=True)
class Controls:
    colour_by: str
    hide_hubs: bool
    stages: list[str]
    classes: list[str]
    relationships: list[str]
    label_count: int


def controls(prefix: str, data: GraphData, *, hubs_default: bool = False) -> Controls:
    """The picture's switches, keyed ``{prefix}_…`` (so a URL can set them). They sit in a popover, which the
    browser draws only when opened: in an expander its seven widgets were drawn, hidden, on every run of the page
    (about a tenth of the explore page's time in the browser)."""
    classes = sorted({str(n["class"]) for n in data.nodes.values() if n["class"]})
    rels = sorted({r for _, _, r in data.edges if r})
    with st.popover(L("图的显示与筛选", "Picture: colours and filters")):
        left, middle, right = st.columns(3)
        colour_by = left.radio(
            L("颜色", "Colour by"),
            ["stage", "class", "community"],
            format_func=lambda v: {
                "stage": L("创新链环节", "chain stage"),
                "class": L("类别", "class"),
                "community": L("社群（Louvain）", "community (Louvain)"),
            }[v],
            key=f"{prefix}_colour",
            horizontal=True,
        )
        hide_hubs = left.toggle(
            L("隐藏枢纽", "Hide hubs"),  # the column is narrow: the longer label's English half was cut off
            value=hubs_default,
            key=f"{prefix}_hide_hubs",
            help=L("枢纽：城市、集群、环节、行业", "Hubs: cities, clusters, stages, industries"),
        )
        label_count = left.slider(L("显示名称的节点数", "Names shown"), 0, 150, LABEL_COUNT, 10, key=f"{prefix}_labels")
        stages = filter_by(middle, L("环节", "Stages"), list(STAGE_CHOICES), stage_name, f"{prefix}_stages")
        chosen_classes = filter_by(middle, L("类别", "Classes"), classes, class_word, f"{prefix}_classes")
        relationships = filter_by(right, L("关系类型", "Relationship types"), rels, relationship_word, f"{prefix}_rels")
    return Controls(str(colour_by), bool(hide_hubs), stages, chosen_classes, relationships, int(label_count))


def apply(data: GraphData, chosen: Controls, keep: list[str]) -> GraphData:
    return filtered(
        data,
        classes=chosen.classes or None,
        stages=chosen.stages or None,
        relationships=chosen.relationships or None,
        hide_hubs=chosen.hide_hubs,
        keep=keep,
    )


def details(node_id: str) -> None:
    """A node's name, class, stage, properties worth reading and its sources (as text, never markup)."""
    found = run_named("entity_details", {"id": node_id})
    if not found:
        st.write(L("（该节点没有详细信息）", "(no details for this node)"))
        return
    entity, kind = found[0]["entity"], found[0]["class"]
    st.markdown(f"**{plain(entity.get('name_zh') or node_id)}** · {plain(class_word(kind))}")
    if entity.get("name_en"):
        st.text(in_order(str(entity["name_en"])))
    if entity.get("chain_stage"):
        st.text(L("环节：", "Stage: ") + stage_name(str(entity["chain_stage"])))
    shown = {
        k: v
        for k, v in entity.items()
        if v not in (None, "", [])
        and k not in ("record_hash", "_label", "claims_json", "source_refs", "name_zh", "name_en", "id", "chain_stage")
    }
    if shown:  # a plain table: a data grid for a dozen rows cost the browser a fifth of a page's drawing
        specs = {p.name: p for p in schema().classes[kind].properties} if kind in schema().classes else {}
        named = {k: L(specs[k].labels.zh, specs[k].labels.en) if k in specs else k for k in shown}  # its words
        rows = [
            {"property": named[k], "value": "；".join(map(str, v)) if isinstance(v, list) else str(v)[:300]}
            for k, v in sorted(shown.items())
        ]
        fixed_table(frame(rows).rename(columns={L("列", "property"): L("属性", "property")}), hide_index=True)
    st.markdown("**" + L("来源", "Sources") + "**")
    for ref in found[0]["sources"] or []:
        st.text(in_order(f"• {ref}"))
    if found[0]["cited_source"]:
        st.text(L("引用：", "Cited: ") + in_order(str(found[0]["cited_source"])))


def downloads(data: GraphData, name: str, *, layered: bool, key: str, faded: Collection[str] = ()) -> None:
    """SVG and the standalone HTML (pyvis, offline) of the picture; PNG is the picture's own toolbox button. Both
    files are made when the reader clicks (Streamlit calls the function then): making them on every run of the page
    was a quarter of the chain page's Python time, which many readers at once share. A download does not rerun the
    page (``on_click="ignore"``): the rerun revoked the file the click had asked for, and about one click in six
    downloaded nothing."""
    row = st.container(horizontal=True)  # buttons as wide as their words, on a second line if need be
    row.download_button(
        L("下载 SVG", "Download SVG"),
        data=lambda: svg_text(data, layered=layered, faded=faded).encode("utf-8"),
        file_name=f"{name}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
    )
    row.download_button(
        L("下载交互式 HTML", "Download interactive HTML"),
        data=lambda: render(data, layered=layered, faded=faded)[0].encode("utf-8"),
        file_name=f"{name}.html",
        mime="text/html",
        key=f"{key}_html",
        on_click="ignore",
    )
    st.caption(
        L(
            "PNG：点图右上角的图片按钮。点击节点查看详情与来源；滚轮缩放，拖动平移。",
            "PNG: the picture button at the top right of the graph. Click a node for its details and sources; "
            "scroll to zoom, drag to pan.",
        )
    )
