"""Targets: the notice's measures, departments and quantified 2025 targets, with the coverage checks."""

from __future__ import annotations

import streamlit as st

from app_pages.chrome import pick_one
from app_pages.common import L, data_table, page_header, plain, run_named
from app_pages.headers import frame
from app_pages.text_order import in_order

page_header("政策目标", "Targets")
st.markdown(
    L(
        "依据《关于加快构建广东省战略性新兴产业集群创新体系支撑产业集群高质量发展的通知》（粤科函高字〔2022〕895号）。",
        "From the notice 粤科函高字〔2022〕895号 on the innovation system of Guangdong's strategic industry clusters.",
    )
)

st.subheader(L("2025年量化目标", "Quantified 2025 targets"))
data_table(frame(run_named("policy_targets")), hide_index=True, width="stretch")

st.subheader(
    L("措施7：省级技术创新中心、制造业创新中心全覆盖", "Measure 7: every cluster with provincial innovation centres")
)
coverage = frame(run_named("measure7_center_coverage"))
data_table(coverage, hide_index=True, width="stretch")
for row in run_named("measure7_list_completeness"):
    named, stated = row["named_in_graph"], row["stated_total"]
    zh = f"{plain(row['name_zh'])}：图中已列名 {named} 家" + (f"，来源称共 {stated} 家" if stated else "") + "。"
    en = f"{plain(row['name_zh'])}: {named} named in the graph" + (f" of {stated} stated" if stated else "") + "."
    # the curator's note is kept as the source list words it (English)
    note = " " + L("备注（按来源原文）：", "Note: ") + plain(row["notes"]) if row["notes"] else ""
    st.caption(L(zh, en) + note)

st.subheader(
    L("措施12：国家高新区省级加速器全覆盖", "Measure 12: a provincial accelerator in every national high-tech zone")
)
data_table(frame(run_named("measure12_accelerator_coverage")), hide_index=True, width="stretch")
st.subheader(
    L("措施12：高水平大学省级大学科技园全覆盖", "Measure 12: a university science park at every high-level university")
)
data_table(frame(run_named("measure12_science_park_coverage")), hide_index=True, width="stretch")

st.subheader(L("各部门职责", "What each department answers for"))
departments = sorted({r["department"] for r in run_named("department_responsibilities")})
chosen = st.selectbox(
    L("部门", "Department"),
    ["", *departments],
    key="targets_department",
    format_func=lambda d: in_order(d) or L("全部", "all"),
    placeholder=pick_one(),
)
data_table(frame(run_named("department_responsibilities", {"department": chosen})), hide_index=True, width="stretch")

st.subheader(L("20项措施", "The 20 measures"))
data_table(frame(run_named("notice_measures")), hide_index=True, width="stretch")
