"""What every page shares: the store (opened once per process), bilingual labels, and the schema."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.text_order import frame_in_order, in_order
from graph import topology
from graph.factory import open_store
from graph.result_values import bounded
from graph.schema import Schema, default_schema
from graph.settings import Settings
from graph.store import GraphStore, QueryResult

LANG_KEY = "lang"  # the reader's language, kept across pages (app.py)
LANG_PICKER = "lang_picker"  # the sidebar's radio, which sets it
LANGS = ("zh", "en")


def lang() -> str:
    return str(st.session_state.get(LANG_KEY, "zh"))


def L(zh: str, en: str) -> str:  # noqa: N802  (short on purpose: it wraps every label)
    """Chinese first with English alongside; English alone when the reader switched to English."""
    return en if lang() == "en" else f"{zh} {en}"


# While no secrets file exists, Streamlit looks for one on every read of st.secrets, behind one lock: with 16
# sessions that was a fifth of the app's time (py-spy, bench/concurrency.py). A look is kept this long.
SECRETS_KEPT_S = 10.0
_secrets_seen: dict[str, tuple[float, Mapping[str, str]]] = {}


def _secrets() -> Mapping[str, str]:
    seen = _secrets_seen.get("secrets")
    if seen is None or time.monotonic() - seen[0] > SECRETS_KEPT_S:
        try:
            found = {k: str(v) for k, v in st.secrets.items() if k.startswith(("NEO4J_", "CLUSTERKG_"))}
        except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
            found = {}
        seen = _secrets_seen["secrets"] = (time.monotonic(), found)
    return seen[1]


def settings() -> Settings:
    """Environment first, then Streamlit secrets (.streamlit/secrets.toml) for what the environment lacks."""
    return Settings.from_env({**_secrets(), **os.environ})


@st.cache_resource(show_spinner=False)
def _store(key: str) -> GraphStore:
    del key  # only part of the cache key
    opened = open_store(settings(), read_only=True)
    # Paths, neighbourhoods, listings and the yearly report from memory once the snapshot is built (in the background;
    # until then, and above CLUSTERKG_TOPOLOGY_MAX_ELEMENTS, the Cypher answers). On Neo4j the build pulls the graph
    # over Bolt: at scale 150, 16–23 s (8 s of the app's CPU) and 240 MB after every start and every write; without it
    # a city's yearly report took 7 s there and four listings over 300 ms (docs/SCALE.md).
    topology.warm(opened)
    return opened


def store() -> GraphStore:
    s = settings()
    return _store(f"{s.backend}|{s.neo4j_uri}|{s.embedded_path}")


def forget_store() -> None:
    """Drop the cached store and its answers, so that the next page opens the one the settings name now (tests,
    benchmarks)."""
    from queries import answer_cache

    _store.clear()
    answer_cache.forget()


def schema() -> Schema:
    return default_schema()


def store_caption(current: GraphStore) -> str:
    zh, en = current.describe()  # the store says what it is: a page never asks which backend it talks to
    return L(f"数据库：{zh}", f"Store: {en}")


def plain(text: object) -> str:
    """Data for a markdown element (a heading, a warning): every ASCII punctuation mark escaped, so a name such as
    ``![](http://…)`` or ``**x**`` shows as those characters and never becomes an image or markup; a bidi control
    shows as its escape (app_pages/text_order.py)."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", in_order(str(text)))


def when(stamp: object) -> str:
    """A stored time (ISO 8601, UTC) as a reader reads one: ``2026-12-07 11:45:02 UTC``; any other value as it is."""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        return moment.isoformat(sep=" ", timespec="seconds")
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def class_label(name: str) -> str:
    cls = schema().classes[name]
    return L(cls.labels.zh, cls.labels.en)


def class_word(name: str) -> str:
    """A class's name in the reader's language; a name the ontology lacks as it is."""
    cls = schema().classes.get(name)
    return L(cls.labels.zh, cls.labels.en) if cls is not None else name


# the pictures' own kinds of tie, which stand for several of the ontology's
PICTURE_TIES = {"SERVES": ("属于或服务于集群", "in or serving the cluster")}


def relationship_word(name: str) -> str:
    """A relationship type's name in the reader's language (``HOSTED_BY`` → 依托单位 hosted by); else as it is."""
    rel = schema().relationships.get(name)
    if rel is not None:
        return L(rel.labels.zh, rel.labels.en)
    return L(*PICTURE_TIES[name]) if name in PICTURE_TIES else name


MISSING = "—"  # a cell without a value: Streamlit would write "None", a word a reader need not know


def data_table(data: Any, **options: Any) -> Any:
    """``st.dataframe`` with a missing value shown as a dash, and a text's bidi controls as their escapes."""
    return st.dataframe(frame_in_order(data), placeholder=MISSING, **options)


def fixed_table(table: pd.DataFrame, **options: Any) -> None:
    """``st.table`` (no placeholder of its own) with a missing value shown as a dash. Its cells and heads are
    markdown to Streamlit: a text is escaped (``plain``), or a value such as ``![](http://…)`` in a source's notes
    would be an image that every reader's browser fetched from off the machine."""
    shown = table.astype(object).where(table.notna(), MISSING)
    shown = shown.map(lambda v: plain(v) if isinstance(v, str) else v)
    shown.columns = [plain(c) for c in shown.columns]
    st.table(shown, **options)


def read_rows(cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    return store().read(cypher, params).rows


STAGE_KEYS = tuple(stage.key for stage in default_schema().stages)  # in chain order, from the ontology


def stage_name(key: str | None) -> str:
    if key == "industry":
        return L("产业主体（企业）", "industry (enterprises)")
    if key == "none":  # a tie's far end that is neither a firm nor of a stage: a department, a place
        return L("不属于任何环节（如政府部门）", "no stage (a department, for instance)")
    if key == "other":  # a city's entity of no stage and no firm (city_profile): a park, a zone
        return L("不属于任何环节（如园区）", "no stage (a park, for instance)")
    if key in STAGE_KEYS:
        stage = schema().stage(key)
        return L(stage.labels.zh, stage.labels.en)
    return "—"


def run_named(name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a named query on the current store (parameters checked by the catalogue)."""
    return named_result(name, params).rows


def named_result(name: str, params: Mapping[str, Any] | None = None) -> QueryResult:
    """A named query's answer within the settings' limits, kept until the graph changes (queries/answer_cache.py);
    ``truncated`` says the row cap cut it."""
    from queries import answer_cache
    from queries.catalog import get_query

    current = store()
    s = settings()
    query = get_query(name)
    bound = query.bind(params)
    return answer_cache.answer(
        current,
        name,
        bound,
        s.row_cap,
        lambda: query.run(current, bound, timeout_s=s.query_timeout_s, row_cap=s.row_cap),
    )


def cut_note(result: QueryResult) -> None:
    """Say so under a table or picture when the row cap cut its answer."""
    if result.truncated:
        n = len(result.rows)
        st.caption(
            L(
                f"只显示前 {n:,} 行（行数上限 CLUSTERKG_ROW_CAP）；完整清单请用导出页或 ckg query。",
                f"Only the first {n:,} rows are shown (the row cap, CLUSTERKG_ROW_CAP); the export page or "
                "`ckg query` gives the whole list.",
            )
        )


def cluster_options() -> dict[str, str]:
    """cluster code → '新一代电子信息 New-generation electronic information (P01)'."""
    return {r["code"]: f"{L(r['name_zh'], r['name_en'] or '')} ({r['code']})" for r in run_named("cluster_list")}


def page_header(zh: str, en: str) -> None:
    st.title(L(zh, en))
    st.caption(store_caption(store()))


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
PARAMS_MAX_CHARS = 100_000


def json_depth(text: str) -> int:
    """How deeply the JSON text nests lists and objects, counted without parsing it (parsing recurses)."""
    depth = deepest = 0
    for char in _JSON_STRING.sub('""', text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_params(text: str, max_depth: int) -> dict[str, Any]:
    """Query parameters from JSON text; ValueError (its message for the page) if they are not a small,
    shallow JSON object."""
    if len(text) > PARAMS_MAX_CHARS:
        raise ValueError(
            L(
                f"参数过长（超过 {PARAMS_MAX_CHARS} 个字符）。",
                f"The parameters are too long (over {PARAMS_MAX_CHARS} characters).",
            )
        )
    if json_depth(text) > max_depth:
        raise ValueError(
            L(f"参数嵌套过深（最多 {max_depth} 层）。", f"The parameters nest too deeply (at most {max_depth} levels).")
        )
    try:
        params = json.loads(text or "{}")
    except ValueError as exc:
        raise ValueError(L("参数不是有效的 JSON：", "The parameters are not valid JSON: ") + str(exc)) from None
    if not isinstance(params, dict):
        raise ValueError(L("参数必须是 JSON 对象。", "The parameters must be a JSON object."))
    return params


def display_cell(value: Any, max_chars: int) -> Any:
    """A value as a table shows it: numbers and booleans as they are, anything nested as JSON text, every
    text cut at ``max_chars`` — whatever the value's type and depth, never an exception."""
    safe = bounded(value, chars=max_chars)
    if isinstance(safe, (dict, list)):
        text = json.dumps(safe, ensure_ascii=False)
        return text if len(text) <= max_chars else text[:max_chars] + "…"
    return safe


def result_frame(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], max_chars: int) -> pd.DataFrame:
    """Rows as a table any page can show: cells made safe, and a column that mixes types shown as text
    (Arrow, under the table, takes one type per column)."""
    cells = {c: [display_cell(row.get(c), max_chars) for row in rows] for c in columns}
    for column, values in cells.items():
        if len({type(v) for v in values if v is not None}) > 1:
            cells[column] = [None if v is None else str(v) for v in values]
    return pd.DataFrame(cells, columns=list(columns))
