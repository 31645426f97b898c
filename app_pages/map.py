"""Map: the 21 cities coloured by a chosen measure (quantile bins with their ranges), the Pearl River Delta as a
readable inset, a click (or a pick) opening the city's profile and its districts, and the entities that have no
city counted and listed."""

from __future__ import annotations

import streamlit as st

from app_pages import share
from app_pages.chrome import pick_from, pick_one
from app_pages.common import (
    STAGE_KEYS,
    L,
    cluster_options,
    cut_note,
    data_table,
    named_result,
    page_header,
    plain,
    run_named,
    stage_name,
)
from app_pages.headers import class_words, frame
from app_pages.map_chart import show_map
from app_pages.map_district_section import district_section
from app_pages.map_view import choropleth, features

page_header("地图", "Map")
options = {"all": L("全部集群", "all clusters"), **cluster_options()}
stages = ["all", *STAGE_KEYS, "industry"]
share.seed("map_cluster", "cluster", "all", options)
share.seed("map_stage", "stage", "all", stages)
left, right = st.columns(2)
cluster = pick_from(L("产业集群", "Cluster"), options, "map_cluster", left)
stage = right.selectbox(
    L("环节", "Stage"),
    stages,
    key="map_stage",
    format_func=lambda s: L("全部环节", "all stages") if s == "all" else stage_name(s),
    placeholder=pick_one(),
)
if cluster == "all":
    rows = run_named("stage_map", {"stage": stage})
else:
    rows = run_named("cluster_map", {"cluster": cluster, "stage": stage})
values = {r["admin_code"]: float(r["entities"]) for r in rows}
title = L("各市主体数", "Entities per city")
clicked = show_map(values, title=title, key="map_chart")
city_codes = {str(f["properties"]["name"]): str(f["properties"]["adcode"]) for f in features("city")}
if clicked:
    st.session_state["map_city"] = clicked
share.seed("map_city", "city", None, {*city_codes, None})
st.selectbox(
    L("城市（点击地图或在此选择）", "City (click the map or pick it here)"),
    [None, *sorted(city_codes, key=city_codes.__getitem__)],
    key="map_city",
    format_func=lambda c: L("— 未选 —", "— none —") if c is None else c,
    placeholder=L("— 未选 —", "— none —"),  # a None value shows the placeholder, not format_func's word
)
share.publish(
    {
        "cluster": cluster if cluster != "all" else "",
        "stage": stage if stage != "all" else "",
        "city": st.session_state.get("map_city"),
    }
)

city = st.session_state.get("map_city")
if city:
    st.subheader(L(f"城市画像：{plain(city)}", f"City profile: {plain(city)}"))
    data_table(
        frame(class_words(run_named("city_profile", {"city": city})), drop=["city"]), hide_index=True, width="stretch"
    )
    if st.button(L("与其他城市比较", "Compare with other cities"), key="map_compare"):
        st.switch_page("app_pages/compare.py", query_params={"cities": city})
    district_section(city, city_codes[city], cluster=cluster, stage=stage)
else:
    st.caption(L("点击地图上的城市查看其画像。", "Click a city on the map for its profile."))

data_table(frame(sorted(rows, key=lambda r: -r["entities"])), hide_index=True, width="stretch")
asked = {"cluster": cluster, "stage": stage}
missing = run_named("entities_without_city_count", asked)[0]["entities"]  # whole at any size: kept by every write
st.subheader(
    L(f"未落到城市的主体：{missing:,} 个（地图未计入）", f"Entities without a city: {missing:,} (not on the map)")
)
# listed on request: the list sorts every entity without a city, the count above needs none of it
if missing and st.toggle(L("列出这些主体", "List them"), key="map_list_without_city"):
    without_city = named_result("entities_without_city", asked)
    data_table(frame(class_words(without_city.rows)), hide_index=True, width="stretch")
    cut_note(without_city)
st.download_button(
    L("下载地图 SVG", "Download the map as SVG"),
    data=choropleth(values, title=title).encode("utf-8"),
    file_name=f"map-{cluster}-{stage}.svg",
    mime="image/svg+xml",
    key="map_svg",
    on_click="ignore",
)
st.caption(
    L(
        "边界：DataV GeoJSON（GCJ-02），仅供内部分析。滚轮缩放，拖动平移；PNG/SVG 见图右上角。",
        "Boundaries: DataV GeoJSON (GCJ-02), for internal analysis only. Scroll to zoom, drag to pan; "
        "PNG/SVG at the picture's top right.",
    )
)
