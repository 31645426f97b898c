"""ClusterKG explorer — the Streamlit router. Each page is one file under app_pages/.

Run: ``streamlit run app.py``. The embedded store is used unless NEO4J_URI is set (environment or
``.streamlit/secrets.toml``); the page header says which store is in use.
"""

from __future__ import annotations

import threading

import streamlit as st

from app_pages.chrome import words_in_both
from app_pages.common import LANG_KEY, LANG_PICKER, LANGS, L, plain
from app_pages.errors import explain_error
from app_pages.page_style import long_values_wrap
from graph.errors import ClusterKGError

st.set_page_config(page_title="ClusterKG 产业集群创新图谱", layout="wide")

if LANG_KEY not in st.session_state:  # a shared link's language, else Chinese with English
    st.session_state[LANG_KEY] = st.query_params["lang"] if st.query_params.get("lang") in LANGS else "zh"


def _chosen_language() -> None:
    """The reader's choice, and the URL's ``lang`` with it: a page that writes no state of its own into its URL kept
    a link's ``lang=en`` after the reader chose Chinese, and a reload or a copied link opened in English again."""
    chosen = st.session_state[LANG_PICKER]
    st.session_state[LANG_KEY] = chosen
    if chosen == "zh":
        st.query_params.pop("lang", None)
    else:
        st.query_params["lang"] = chosen


with st.sidebar:
    # The choice is kept under a key of its own, not the radio's: Streamlit forgot the radio's value when a page's
    # button moved to another page (st.switch_page), and the new page came back in Chinese with the radio on English.
    st.radio(
        "语言 Language",
        options=LANGS,
        index=LANGS.index(st.session_state[LANG_KEY]),
        format_func=lambda code: "中文（附英文） Chinese with English" if code == "zh" else "English 英文",
        key=LANG_PICKER,
        on_change=_chosen_language,
        horizontal=True,
    )

pages = [
    # served at the root; its name is not /overview, which Streamlit answered with "Page not found" (see below)
    st.Page("app_pages/overview.py", title=L("概览", "Overview"), url_path="home", default=True),
    st.Page("app_pages/chain.py", title=L("集群创新链", "Cluster chain"), url_path="chain"),
    st.Page("app_pages/explore.py", title=L("探索", "Explore"), url_path="explore"),
    st.Page("app_pages/map.py", title=L("地图", "Map"), url_path="map"),
    st.Page("app_pages/compare.py", title=L("城市比较", "Compare cities"), url_path="compare"),
    st.Page("app_pages/targets.py", title=L("政策目标", "Targets"), url_path="targets"),
    st.Page("app_pages/lists.py", title=L("三单一图", "Three lists and a map"), url_path="lists"),
    st.Page("app_pages/report.py", title=L("年度报告", "Yearly report"), url_path="report"),
    st.Page("app_pages/console.py", title=L("Cypher 控制台", "Cypher console"), url_path="console"),
    st.Page("app_pages/export.py", title=L("导出", "Export"), url_path="export"),
    st.Page("app_pages/quality.py", title=L("数据质量", "Data quality"), url_path="quality"),
]


def _overview_by_name() -> None:
    """``/overview`` opens the overview at the root, where Streamlit serves the default page: by its own name it
    answered with "Page not found"."""
    st.switch_page(pages[0], query_params=st.query_params.to_dict())


pages.append(st.Page(_overview_by_name, title=pages[0].title, url_path="overview", visibility="hidden"))


@st.cache_resource(show_spinner=False)
def _safety_warnings() -> list[tuple[str, str]]:
    """The server's configuration checked once per app process (docs/DEPLOYMENT.md lists what is needed)."""
    from app_pages.common import store

    return store().safety_warnings()


@st.cache_resource(show_spinner=False)
def _warm_charts() -> bool:
    """matplotlib and the CJK font loaded in the background, once per app process, after the first page: they were
    half of a yearly report page's first render, and their import was a tenth of the first page's."""
    threading.Thread(target=_charts_warmed, name="ckg-charts", daemon=True).start()
    return True


def _charts_warmed() -> None:
    from reports import charts

    charts.warm()


words_in_both()
long_values_wrap()
try:
    for zh, en in _safety_warnings():  # a banner on every page while the server is configured less safely
        st.warning(L("服务器配置不够安全：", "The server is configured less safely than ClusterKG needs: ") + L(zh, en))
    st.navigation(pages).run()
    _warm_charts()
except ClusterKGError as exc:  # each kind of failure its own sentence (app_pages/errors.py), never a traceback
    st.error(plain(L(*explain_error(exc))))  # a message may quote a value (a file, a name): as its characters
