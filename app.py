"""ClusterKG explorer — the Streamlit router. Each page is one file under app_pages/.

Run: ``streamlit run app.py``. The embedded store is used unless NEO4J_URI is set (environment or
``.streamlit/secrets.toml``); the page header says which store is in use.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import LANG_KEY, L
from graph.errors import ClusterKGError

st.set_page_config(page_title="ClusterKG 产业集群创新图谱", layout="wide")

with st.sidebar:
    st.radio(
        "语言 Language",
        options=["zh", "en"],
        format_func=lambda code: "中文（附英文）" if code == "zh" else "English",
        key=LANG_KEY,
        horizontal=True,
    )

pages = [
    st.Page("app_pages/overview.py", title=L("概览", "Overview"), url_path="overview", default=True),
    st.Page("app_pages/chain.py", title=L("集群创新链", "Cluster chain"), url_path="chain"),
    st.Page("app_pages/explore.py", title=L("探索", "Explore"), url_path="explore"),
    st.Page("app_pages/map.py", title=L("地图", "Map"), url_path="map"),
    st.Page("app_pages/targets.py", title=L("政策目标", "Targets"), url_path="targets"),
    st.Page("app_pages/lists.py", title=L("三单一图", "Three lists and a map"), url_path="lists"),
    st.Page("app_pages/console.py", title=L("Cypher 控制台", "Cypher console"), url_path="console"),
    st.Page("app_pages/export.py", title=L("导出", "Export"), url_path="export"),
    st.Page("app_pages/quality.py", title=L("数据质量", "Data quality"), url_path="quality"),
]
try:
    st.navigation(pages).run()
except ClusterKGError as exc:  # a store that cannot be reached or refused a query: say so, without a traceback
    st.error(L("数据库不可用：", "The store cannot be used: ") + str(exc))
