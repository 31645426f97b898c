"""Data quality: the last ingest report (row accounts, rejected rows and reasons, unresolved references)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app_pages.common import L, data_table, page_header, run_named, when
from app_pages.headers import class_words, frame, translate, word
from ingest.report import RECORDED_PER_LEVEL

page_header("数据质量", "Data quality")
runs = run_named("dq_last_ingest")
if not runs:
    st.info(L("没有导入记录。", "No ingest run recorded."))
    st.stop()
run = runs[0]
st.write(L("最近一次导入：", "Last ingest: ") + f"{when(run['ended_at'])} · {word(run['status'])} · `{run['id']}`")
files = pd.DataFrame(json.loads(run["files"] or "[]"))
st.subheader(L("各文件的行数核对", "Every row accounted for, per file"))
data_table(translate(files), hide_index=True, width="stretch")
issues = pd.DataFrame(json.loads(run["report"] or "[]"))
found = json.loads(run["counts"] or "{}").get("issues", {})  # every problem, by level (runs since 2026-12-07)
if sum(found.values()) > len(issues):
    total = f"{sum(found.values()):,}"
    st.caption(
        L(
            f"共发现 {total} 个问题；本次导入的记录只保存每一级别的前 {RECORDED_PER_LEVEL:,} 个。"
            "全部问题见 ckg ingest 写出的 rejections.csv（build/ingest-report/）。",
            f"{total} problems were found; the run's record keeps the first {RECORDED_PER_LEVEL:,} of each level. "
            "The rejections.csv that ckg ingest writes (build/ingest-report/) lists every one.",
        )
    )
if not issues.empty:
    st.subheader(L("被拒绝的行与原因", "Rejected rows and reasons"))
    data_table(translate(issues[issues["level"] == "error"]), hide_index=True, width="stretch")
    st.subheader(L("未解析的引用", "Unresolved references"))
    unresolved = issues[issues["reason"].str.contains("unresolved reference|unknown|outside Guangdong", regex=True)]
    data_table(translate(unresolved), hide_index=True, width="stretch")
    st.subheader(L("其他警告", "Other warnings"))
    data_table(
        translate(issues[(issues["level"] == "warning") & ~issues.index.isin(unresolved.index)]),
        hide_index=True,
        width="stretch",
    )
st.subheader(L("质量检查", "Checks"))
for name, zh, en in [
    ("dq_orphans", "孤立节点", "Orphans"),
    ("dq_low_confidence", "低置信度", "Low confidence"),
    ("dq_without_source", "缺少来源", "Without a source"),
]:
    st.markdown("**" + L(zh, en) + "**")
    data_table(frame(class_words(run_named(name))), hide_index=True, width="stretch")
