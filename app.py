"""ClusterKG explorer — the Streamlit router. Each page is one file under app_pages/.

Run: ``streamlit run app.py``. The embedded store is used unless NEO4J_URI is set (environment or
``.streamlit/secrets.toml``); the page header says which store is in use.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import LANG_KEY, L

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
]
st.navigation(pages).run()
