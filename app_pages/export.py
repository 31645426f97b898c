"""Export: RDF of the whole graph or a cluster's chain for other agencies, and CSV of any named query's result."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app_pages import share
from app_pages.chrome import pick_from, pick_one
from app_pages.common import L, cluster_options, page_header, plain, run_named, store
from app_pages.headers import header
from graph.exports import csv_text
from graph.rdf.export import FORMATS
from queries.catalog import Param, catalog
from queries.scopes import export_scope

# a parameter's type in a reader's words (the query headers' types)
TYPE_WORDS = {"string": "文本", "int": "整数", "float": "小数", "bool": "true 或 false", "list": "列表"}


def _help(param: Param) -> str | None:
    """A parameter's help in the reader's languages; one in one language only (a saved query's) as it is."""
    both = param.help_in_both
    return L(*both) if both else (param.help or None)


page_header("导出", "Export")
st.subheader(L("RDF 导出", "RDF export"))
st.caption(
    L(
        "标准词表（W3C ORG、schema.org、SKOS、PROV-O、DCAT、GeoSPARQL），符合 shapes.ttl，附 DCAT/PROV 元数据。",
        "Standard vocabularies (W3C ORG, schema.org, SKOS, PROV-O, DCAT, GeoSPARQL), valid against shapes.ttl, "
        "with DCAT/PROV metadata.",
    )
)
formats = {
    "turtle": "Turtle (.ttl)",
    "jsonld-compact": "JSON-LD (.jsonld)",
    "ntriples": "N-Triples (.nt)",
    "rdfxml": "RDF/XML (.rdf)",
    "trig": "TriG (.trig)",
    "nquads": "N-Quads (.nq)",
}
fmt = pick_from(L("格式", "Format"), formats, "export_rdf_format")
clusters = {"all": L("整个图", "the whole graph"), **cluster_options()}
share.seed("export_rdf_scope", "scope", "all", clusters)  # a link can name the cluster to export
scope = pick_from(L("范围", "Scope"), clusters, "export_rdf_scope")
sourced_only = st.toggle(
    L("只导出来源陈述的关联（不含规则推断）", "Sourced ties only (leave out ties inferred by rules)"),
    key="export_rdf_sourced_only",
)
if fmt == "jsonld-compact" and scope == "all":
    st.caption(L("整个图的 JSON-LD 以流式展开形式导出。", "The whole graph's JSON-LD is streamed in expanded form."))
if st.button(L("生成 RDF 文件", "Make the RDF file"), key="export_rdf_make"):
    actual = "jsonld" if fmt == "jsonld-compact" and scope == "all" else fmt
    suffix = FORMATS["jsonld" if actual.startswith("jsonld") else actual][1]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"clusterkg-{scope}{suffix}"
        result = export_scope(
            store(),
            out,
            fmt=actual,
            scope="all" if scope == "all" else "cluster",
            cluster=None if scope == "all" else scope,
            sourced_only=sourced_only,
        )
        st.session_state["export_rdf_file"] = (out.name, out.read_bytes(), result.triples)
if "export_rdf_file" in st.session_state:
    name, data, triples = st.session_state["export_rdf_file"]
    st.write(L(f"{triples:,} 个三元组 · {len(data):,} 字节", f"{triples:,} triples · {len(data):,} bytes"))
    st.download_button(
        L("下载 ", "Download ") + plain(name), data=data, file_name=name, key="export_rdf_download", on_click="ignore"
    )

st.subheader(L("命名查询结果（CSV）", "A named query's result (CSV)"))
queries = catalog()
name = st.selectbox(
    L("查询", "Query"),
    sorted(queries),
    key="export_query",
    format_func=lambda n: f"{n} — {queries[n].title_zh} / {queries[n].title_en}",
    placeholder=pick_one(),
)
query = queries[name]
given = {}
for param in query.params:
    default = "" if param.default is None else str(param.default)
    given[param.name] = st.text_input(
        L(f"参数 {param.name}（{TYPE_WORDS.get(param.type, param.type)}）", f"parameter {param.name} ({param.type})"),
        value=default,
        key=f"export_{name}_{param.name}",
        help=_help(param),
    )
rows = (
    run_named(name, {k: v for k, v in given.items() if v != ""})
    if all(given[p.name] or not p.required for p in query.params)
    else []
)
columns = list(rows[0]) if rows else []
st.write(L(f"{len(rows)} 行", f"{len(rows)} rows"))
shown = {c: header(c) for c in columns}  # the reader's headers, Chinese first; the values as the data holds them
st.download_button(
    L("下载 CSV", "Download CSV"),
    data=csv_text(list(shown.values()), [{shown[c]: v for c, v in row.items()} for row in rows]).encode("utf-8-sig"),
    file_name=f"{name}.csv",
    mime="text/csv",
    key="export_csv",
    on_click="ignore",
)
