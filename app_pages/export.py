"""Export: CSV of any named query's result; RDF for other agencies once the RDF export lands."""

from __future__ import annotations

import streamlit as st

from app_pages.common import L, page_header, run_named
from graph.exports import csv_text
from queries.catalog import catalog

page_header("导出", "Export")
st.subheader("RDF")
st.info(
    L(
        "RDF 导出（Turtle、JSON-LD、N-Triples 等，带 DCAT/PROV 元数据并通过 SHACL 校验）尚未完成，见 RDF 导出任务。",
        "RDF export (Turtle, JSON-LD, N-Triples …, with DCAT/PROV metadata, SHACL-valid) has not landed yet: "
        "see the RDF issue.",
    )
)

st.subheader(L("命名查询结果（CSV）", "A named query's result (CSV)"))
queries = catalog()
name = st.selectbox(
    L("查询", "Query"),
    sorted(queries),
    key="export_query",
    format_func=lambda n: f"{n} — {queries[n].title_zh} / {queries[n].title_en}",
)
query = queries[name]
given = {}
for param in query.params:
    default = "" if param.default is None else str(param.default)
    given[param.name] = st.text_input(
        f"{param.name} ({param.type})", value=default, key=f"export_{name}_{param.name}", help=param.help
    )
rows = (
    run_named(name, {k: v for k, v in given.items() if v != ""})
    if all(given[p.name] or not p.required for p in query.params)
    else []
)
columns = list(rows[0]) if rows else []
st.write(L(f"{len(rows)} 行", f"{len(rows)} rows"))
st.download_button(
    "CSV", data=csv_text(columns, rows).encode("utf-8-sig"), file_name=f"{name}.csv", mime="text/csv", key="export_csv"
)
