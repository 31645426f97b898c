"""Map: the 21 cities (or the districts) drawn from the bundled GeoJSON, coloured by a chosen measure."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import STAGE_KEYS, L, cluster_options, page_header, run_named, stage_name
from app_pages.map_view import choropleth

page_header("地图", "Map")
options = {"all": L("全部集群", "all clusters"), **cluster_options()}
cluster = st.selectbox(L("产业集群", "Cluster"), list(options), format_func=options.get, key="map_cluster")
stages = ["all", *STAGE_KEYS, "industry"]
stage = st.selectbox(
    L("环节", "Stage"),
    stages,
    key="map_stage",
    format_func=lambda s: L("全部环节", "all stages") if s == "all" else stage_name(s),
)
if cluster == "all":
    rows = run_named("stage_map", {"stage": stage})
else:
    rows = run_named("cluster_map", {"cluster": cluster, "stage": stage})
values = {r["admin_code"]: float(r["entities"]) for r in rows}
title = L("各市主体数", "Entities per city")
st.iframe(f"<html><body style='margin:0'>{choropleth(values, title=title)}</body></html>", height=620)
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption(
    L(
        "边界：DataV GeoJSON（GCJ-02），仅供内部分析。",
        "Boundaries: DataV GeoJSON (GCJ-02), for internal analysis only.",
    )
)
