"""What the console shows around a query (its display only; how a query runs is the store's business): the schema
beside the editor, node values as columns, engine errors as a plain sentence with a hint, and a query saved as
a ``.cypher`` file with its catalogue header."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st
import yaml

from app_pages.common import L, schema, stage_name
from graph.digest import BOOKKEEPING_LABELS
from graph.errors import said_in_both
from graph.schema import NodeClass

NODE_KEYS = ("_label", "id", "name_zh", "name_en", "chain_stage")


def schema_panel() -> None:
    """Labels with their properties, relationship types with their stage: what a query can name."""
    # One markdown element per list, not one per label: the browser builds each element on every page load, and
    # 90 of them cost about 0.3 s of the 1.5 s of CPU the browser spent loading this page (measured in Chromium).
    current = schema()
    # closed: its 40 labels pushed the Run button and the answer 4,000 px down the page
    with st.expander(L("图模式：标签与属性", "Schema: labels and properties")):
        st.caption(
            L(
                "IngestRun、Tally、Edition 是图的记账节点（导入记录、计数、版本），不是主体："
                "统计主体时请写明标签，如 MATCH (n:Enterprise)。",
                "IngestRun, Tally and Edition are the graph's bookkeeping (runs, counts, editions), not entities: "
                "name a label when counting entities, as in MATCH (n:Enterprise).",
            )
        )
        lines = []
        for name, cls in sorted(current.classes.items()):
            props = _props(cls)  # a class with bookkeeping properties only gets no empty grey line
            grey = f"  \n  :gray[{props}]" if props else ""
            kept = L("（记账）", " (bookkeeping)") if name in BOOKKEEPING_LABELS else ""
            lines.append(f"- **{name}**{kept} · {L(cls.labels.zh, cls.labels.en)}{grey}")
        st.markdown("\n".join(lines))
    with st.expander(L("关系类型（及环节）", "Relationship types (and stages)")):
        st.markdown("\n".join(f"- `{name}` · {L(rel.labels.zh, rel.labels.en)} · "
                               f"{stage_name(rel.stage) if rel.stage else L('结构', 'structural')}"
                               for name, rel in sorted(current.relationships.items())))  # fmt: skip


def _props(cls: NodeClass) -> str:
    """A label's properties a query can name (the bookkeeping ones left out)."""
    return ", ".join(sorted(p.name for p in cls.properties if p.name not in ("claims_json", "record_hash")))


def _is_node(value: Any) -> bool:
    return isinstance(value, Mapping) and "_label" in value and "id" in value


def node_columns(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """A column holding nodes becomes columns of their label, id and names (``c.name_zh`` …) instead of JSON text."""
    node_cols = {c for c in columns if any(_is_node(r.get(c)) for r in rows[:200])}
    out_cols: list[str] = []
    for column in columns:
        out_cols.extend([f"{column}.{k}" for k in NODE_KEYS] if column in node_cols else [column])
    out_rows = []
    for row in rows:
        flat: dict[str, Any] = {}
        for column in columns:
            value = row.get(column)
            if column in node_cols:
                for k in NODE_KEYS:
                    flat[f"{column}.{k}"] = value.get(k) if isinstance(value, Mapping) else None
            else:
                flat[column] = value
        out_rows.append(flat)
    return out_cols, out_rows


def _label_of(variable: str, cypher: str) -> str | None:
    match = re.search(rf"\(\s*{re.escape(variable)}\s*:\s*`?(\w+)`?", cypher)
    return match.group(1) if match else None


def explain(message: str, cypher: str) -> str:
    """An engine's error as a plain sentence in the reader's language, with what to try; the original after it."""
    if not cypher.strip() or re.search(r"Query is empty|Cannot parse empty query", message):
        return L("查询是空的：请写一条 Cypher 语句。", "The query is empty: write one Cypher statement.")
    current = schema()
    halves = said_in_both(message)  # ours "中文 / English", the engine's words after the English
    original = L(*halves) if halves else message  # shown after the explanation, in the reader's language
    prop = re.search(r"Cannot find property (\w+) for (\w+)", message)
    if prop:
        label = _label_of(prop.group(2), cypher)
        known = sorted(p.name for p in current.classes[label].properties) if label in current.classes else []
        hint = ", ".join(known[:30]) if known else ""
        return (
            L(
                f"{prop.group(2)} 没有属性 {prop.group(1)}。" + (f"{label} 的属性有：{hint}。" if hint else ""),
                f"{prop.group(2)} has no property {prop.group(1)}."
                + (f" The properties of {label}: {hint}." if hint else ""),
            )
            + f"\n({original})"
        )
    table = re.search(r"Table (\w+) does not exist", message)
    if table:
        labels = ", ".join(sorted(current.classes))
        rels = ", ".join(sorted(current.relationships))
        return (
            L(
                f"图中没有标签或关系类型 {table.group(1)}。标签：{labels}；关系：{rels}。",
                f"The graph has no label or relationship type {table.group(1)}. "
                f"Labels: {labels}; relationships: {rels}.",
            )
            + f"\n({original})"
        )
    if re.search(r"Buffer manager|out of memory|MemoryPool|memory limit|Unable to allocate|bad_alloc", message, re.I):
        return (
            L(
                "查询用尽了内存。请加上 LIMIT，或缩短路径长度（如 [*1..3]），或先用 WHERE 缩小起点。",
                "The query ran out of memory. Add a LIMIT, use a shorter path (such as [*1..3]), or narrow the "
                "starting nodes with WHERE first.",
            )
            + f"\n({original})"
        )
    if re.search(r"Parser exception|SyntaxError|Invalid input", message):
        return (
            L(
                "查询语法有误：请检查括号、引号和关键字（位置见括号中数据库的原话）。",
                "The query has a syntax error: check brackets, quotes and keywords (where: in the database's own "
                "words, in brackets).",
            )
            + f"\n({original})"
        )
    missing = re.search(r"Parameter (\w+) not found|Expected parameter\(s\): (\w+(?:, \w+)*)", message)
    if missing:  # LadybugDB names the first it misses, Neo4j every one
        names = (missing.group(1) or missing.group(2)).split(", ")
        listed_zh, listed_en = "、".join(f"${n}" for n in names), ", ".join(f"${n}" for n in names)
        example = "{" + ", ".join(f'"{n}": …' for n in names) + "}"
        return (
            L(
                f"查询用到了参数 {listed_zh}，但“参数（JSON）”中没有：请加上，如 {example}。",
                f"The query uses the parameter(s) {listed_en}, which the parameters (JSON) lack: add them, as in "
                f"{example}.",
            )
            + f"\n({original})"
        )
    if re.search(r"timeout|timed out|interrupted", message, re.I):
        return (
            L("查询超时。请加上 LIMIT 或缩小范围。", "The query took too long. Add a LIMIT or narrow it.")
            + f"\n({original})"
        )
    if re.search(r"write operations in a read-only database", message, re.I):
        return (
            L(
                "控制台是只读的：查询不能新建、修改或删除数据。",
                "The console is read-only: a query cannot create, change or delete data.",
            )
            + f"\n({original})"
        )
    return original


def query_file_text(name: str, title: str, cypher: str, params: Mapping[str, Any]) -> str:
    """A ``.cypher`` file with the catalogue's header (queries/catalog.py), ready to drop under queries/."""
    header = {
        "name": name,
        "title": {"zh": title, "en": title},
        "description": f"Saved from the console: {title}",
        "stage": "explore",
        "kind": "table",
    }
    if params:
        header["params"] = {
            k: {"type": "int" if isinstance(v, int) and not isinstance(v, bool) else "string", "default": v}
            for k, v in params.items()
        }
    lines = yaml.safe_dump(header, allow_unicode=True, sort_keys=False).splitlines()
    return "\n".join(f"// {line}" for line in lines) + "\n" + cypher.strip() + "\n"


def save_button(cypher: str, params: Mapping[str, Any]) -> None:
    with st.expander(L("另存为命名查询（.cypher 文件）", "Save as a named query (.cypher file)")):
        name = st.text_input(
            L("名称（小写字母、数字、下划线）", "Name (lowercase letters, digits, _)"), key="console_save_name"
        )
        title = st.text_input(L("标题", "Title"), key="console_save_title")
        valid = bool(re.fullmatch(r"[a-z][a-z0-9_]{2,60}", name or ""))
        if name and not valid:
            st.warning(L("名称不合规则。", "The name does not follow the rule."))
        st.download_button(
            L(
                "下载 .cypher（放入 queries/ 即成为命名查询）",
                "Download the .cypher (put it under queries/ to name it)",
            ),
            data=query_file_text(name, title or name, cypher, params).encode("utf-8") if valid else b"",
            file_name=f"{name or 'query'}.cypher",
            mime="text/plain",
            disabled=not valid,
            key="console_save",
            on_click="ignore",
        )
