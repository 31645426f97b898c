"""Compare cities: a city × cluster heat map, and two or three cities' profiles side by side."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import share
from app_pages.chart_graph import toolbox
from app_pages.chart_safety import draw
from app_pages.chrome import multiselect_limit
from app_pages.common import STAGE_KEYS, L, cluster_options, data_table, page_header, plain, run_named, stage_name
from app_pages.headers import class_words, frame
from app_pages.text_order import in_order


def side_by_side(profiles: dict[str, list[dict[str, Any]]], chosen: list[str]) -> pd.DataFrame:
    """Each stage and class a row, in chain order; each city a column of its entities there (0 where it has none)."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for city in chosen:
        for row in profiles[city]:
            counts[(row["stage"], row["class"])][city] = row["entities"]
    order = {stage: i for i, stage in enumerate([*STAGE_KEYS, "industry"])}
    keys = sorted(counts, key=lambda key: (order.get(key[0], len(order)), key[1]))
    table = frame(class_words([{"stage": stage, "class": cls} for stage, cls in keys]), columns=["stage", "class"])
    for city in chosen:
        table[city] = [counts[key].get(city, 0) for key in keys]
    return table


page_header("城市比较", "Compare cities")
cities = {r["city"]: r["admin_code"] for r in run_named("stage_map", {"stage": "all"})}
clusters = cluster_options()
matrix = run_named("city_cluster_matrix")

st.subheader(L("城市 × 集群 热力图", "City × cluster heat map"))
st.caption(
    L(
        "每格：该市位于该集群中的主体数。点击格子选中城市。",
        "Each cell: the cluster's entities in the city. Click a cell to pick the city.",
    )
)
city_names = sorted(cities, key=lambda c: cities[c])
codes = list(clusters)
cells = [
    [codes.index(r["cluster"]), city_names.index(r["city"]), r["entities"]]
    for r in matrix
    if r["city"] in cities and r["cluster"] in codes
]
top = max((c[2] for c in cells), default=1)
heat = {
    "animation": False,
    "tooltip": {"position": "top"},
    "grid": {"left": 70, "right": 20, "top": 10, "bottom": 120},
    "xAxis": {
        "type": "category",
        "data": codes,
        "axisLabel": {"interval": 0, "rotate": 60},
        "splitArea": {"show": True},
    },
    "yAxis": {"type": "category", "data": city_names, "splitArea": {"show": True}},
    "visualMap": {
        "min": 0,
        "max": top,
        "calculable": True,
        "orient": "horizontal",
        "left": "center",
        "bottom": 0,
        "text": [L("多", "more"), L("少", "fewer")],
        "inRange": {"color": ["#f7fbff", "#6baed6", "#08306b"]},
    },
    "toolbox": toolbox("city-cluster"),
    "series": [{"type": "heatmap", "data": cells, "label": {"show": True, "fontSize": 9}}],
}
answer = draw(
    heat,
    height="640px",
    renderer="svg",
    key="compare_heat",
    events={"click": "function(p){ if (p.value) { return {y: p.value[1], t: Date.now()}; } }"},
)
event = getattr(answer, "chart_event", None)
with st.expander(L("集群代码对照", "Cluster codes")):
    st.text(in_order("\n".join(clusters.values())))

default = [c for c in ("深圳市", "东莞市") if c in cities]
share.seed_list("compare_cities", "cities", default, list(cities))
if isinstance(event, dict) and isinstance(event.get("y"), int) and 0 <= event["y"] < len(city_names):
    picked = city_names[event["y"]]
    current = list(st.session_state["compare_cities"])
    if picked not in current:
        st.session_state["compare_cities"] = [*current[-2:], picked]
chosen = st.multiselect(
    L("比较的城市（两到三个）", "Cities to compare (two or three)"),
    city_names,
    format_func=in_order,
    key="compare_cities",
    max_selections=3,
    placeholder=L("选择城市", "Choose cities"),  # Streamlit's own is English only
    select_all=False,
)
multiselect_limit(3)
share.publish({"cities": chosen})
if not chosen:
    st.info(
        L(
            "请选择两到三个城市进行比较，或点击上方热图中的城市。",
            "Pick two or three cities to compare, or click one in the heat map above.",
        )
    )
    st.stop()

profiles = {city: run_named("city_profile", {"city": city}) for city in chosen}
by_stage: dict[str, dict[str, int]] = {city: defaultdict(int) for city in chosen}
for city, rows in profiles.items():
    for row in rows:
        by_stage[city][row["stage"]] += row["entities"]
stage_order = [*STAGE_KEYS, "industry"]
bars = {
    "animation": False,
    "tooltip": {"trigger": "axis"},
    # the legend above the bars: left to the theme it sat at the bottom, over the axis's third line of words
    "legend": {"data": chosen, "top": 0, "left": "center"},
    "grid": {"left": 40, "right": 20, "top": 50, "bottom": 10, "containLabel": True},
    "xAxis": {
        "type": "category",
        "data": [stage_name(s) for s in stage_order],
        "axisLabel": {"interval": 0, "width": 90, "overflow": "break"},
    },
    "yAxis": {"type": "value"},
    "toolbox": toolbox("compare-cities"),
    "series": [
        {
            "type": "bar",
            "name": city,
            "data": [by_stage[city].get(s, 0) for s in stage_order],
            "label": {"show": True, "position": "top"},
        }
        for city in chosen
    ],
}
st.subheader(L("各环节主体数", "Entities per stage"))
draw(bars, height="360px", renderer="svg", key="compare_bars")

st.subheader(L("城市画像（并排）", "City profiles, side by side"))
members: dict[str, set[str]] = {
    city: {r["cluster"] for r in matrix if r["city"] == city and r["entities"]} for city in chosen
}
for column, city in zip(st.columns(len(chosen)), chosen, strict=True):
    with column:
        st.markdown(f"### {plain(city)}")
        total = sum(by_stage[city].get(s, 0) for s in stage_order)  # as the map counts: the stages and industry
        column.metric(L("主体总数", "Entities"), f"{total:,}")
        others = sum(n for s, n in by_stage[city].items() if s not in stage_order)
        if others:  # parks and zones: places in the city, on no stage of the chain (the table lists them)
            st.caption(L(f"另有 {others} 个不属于任何环节的载体（如园区）", f"and {others} on no stage (parks, zones)"))
        present = [s for s in STAGE_KEYS if by_stage[city].get(s)]
        column.metric(L("有主体的环节", "Stages with entities"), f"{len(present)} / 5")
        missing = [stage_name(s) for s in STAGE_KEYS if not by_stage[city].get(s)]
        st.caption(L("缺少：", "Missing: ") + ("、".join(missing) if missing else L("无", "none")))
        st.caption(L(f"涉及 {len(members[city])} 个集群", f"in {len(members[city])} clusters"))

# One table with a column per city: three tables side by side each had a third of the page, and cut their words
st.subheader(L("各环节、各类别的主体数", "Entities by stage and class"))
data_table(side_by_side(profiles, chosen), hide_index=True, width="stretch")
