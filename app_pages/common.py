"""What every page shares: the store (opened once per process), bilingual labels, and the schema."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from graph.factory import open_store
from graph.schema import Schema, default_schema
from graph.settings import Settings
from graph.store import GraphStore

LANG_KEY = "lang"


def lang() -> str:
    return str(st.session_state.get(LANG_KEY, "zh"))


def L(zh: str, en: str) -> str:  # noqa: N802  (short on purpose: it wraps every label)
    """Chinese first with English alongside; English alone when the reader switched to English."""
    return en if lang() == "en" else f"{zh} {en}"


def _secrets() -> Mapping[str, str]:
    try:
        return {k: str(v) for k, v in st.secrets.items() if k.startswith(("NEO4J_", "CLUSTERKG_"))}
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return {}


def settings() -> Settings:
    """Environment first, then Streamlit secrets (.streamlit/secrets.toml) for what the environment lacks."""
    return Settings.from_env({**_secrets(), **os.environ})


@st.cache_resource(show_spinner=False)
def _store(key: str) -> GraphStore:
    del key  # only part of the cache key
    return open_store(settings(), read_only=True)


def store() -> GraphStore:
    s = settings()
    return _store(f"{s.backend}|{s.neo4j_uri}|{s.embedded_path}")


def schema() -> Schema:
    return default_schema()


def store_caption(current: GraphStore) -> str:
    s = settings()
    if current.backend == "neo4j":
        return L("数据库：Neo4j", "Store: Neo4j") + f" · {s.neo4j_uri} · {s.neo4j_database}"
    return L("数据库：嵌入式 LadybugDB（只读）", "Store: embedded LadybugDB (read-only)") + f" · {s.embedded_path}"


def class_label(name: str) -> str:
    cls = schema().classes[name]
    return L(cls.labels.zh, cls.labels.en)


def read_rows(cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    return store().read(cypher, params).rows


STAGE_KEYS = ("basic_research", "technology_breakthrough", "achievement_transfer", "scitech_finance", "talent_support")


def stage_name(key: str | None) -> str:
    if key == "industry":
        return L("产业主体（企业）", "industry (enterprises)")
    if key in STAGE_KEYS:
        stage = schema().stage(key)
        return L(stage.labels.zh, stage.labels.en)
    return "—"


def run_named(name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a named query on the current store (parameters checked by the catalogue)."""
    from queries.catalog import get_query

    current = store()
    s = settings()
    return get_query(name).run(current, params, timeout_s=s.query_timeout_s, row_cap=s.row_cap).rows


def cluster_options() -> dict[str, str]:
    """cluster code → '新一代电子信息 New-generation electronic information (P01)'."""
    return {r["code"]: f"{L(r['name_zh'], r['name_en'] or '')} ({r['code']})" for r in run_named("cluster_list")}


def page_header(zh: str, en: str) -> None:
    st.title(L(zh, en))
    st.caption(store_caption(store()))
