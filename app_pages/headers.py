"""Every table a reader sees, in Chinese with English: column headers, stage keys and status words translated.

Query columns stay snake_case (they are the data's names, shared with the CLI and CSV); only what a page
shows is translated here. A column without a translation is shown as ``列 column: name`` rather than raw,
and tests/test_app.py fails on a snake_case header, so a new query column gets its words here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from app_pages.common import STAGE_KEYS, L, stage_name

COLUMNS: dict[str, tuple[str, str]] = {
    "accelerators": ("加速器数", "accelerators"),
    "accelerators_named": ("已列名加速器", "accelerators named"),
    "admin_code": ("行政区划代码", "admin code"),
    "basis": ("依据", "basis"),
    "bounds_ok": ("行数在范围内", "row count within bounds"),
    "changes": ("变更", "changes"),
    "cited_source": ("引用来源", "cited source"),
    "city": ("城市", "city"),
    "class": ("类别", "class"),
    "cluster": ("集群", "cluster"),
    "cluster_en": ("集群（英文）", "cluster (English)"),
    "cluster_zh": ("集群（中文）", "cluster (Chinese)"),
    "clusters": ("所属集群", "clusters"),
    "code": ("代码", "code"),
    "codes": ("集群代码", "cluster codes"),
    "column": ("列", "column"),
    "complete": ("名单完整", "list complete"),
    "confidence": ("置信度", "confidence"),
    "deadline": ("期限", "deadline"),
    "department": ("部门", "department"),
    "departments": ("责任部门", "departments"),
    "direction": ("方向", "direction"),
    "distance": ("跳数", "hops"),
    "district_code": ("县区代码", "district code"),
    "with_coordinates": ("有坐标", "with coordinates"),
    "document": ("文件", "document"),
    "ended_at": ("结束时间", "ended at"),
    "enterprise": ("企业", "enterprise"),
    "enterprises": ("企业数", "enterprises"),
    "entities": ("主体数", "entities"),
    "evidence": ("依据", "evidence"),
    "examples": ("示例", "examples"),
    "file": ("文件", "file"),
    "from_class": ("来源类别", "from class"),
    "from_entity": ("来源主体", "from entity"),
    "from_stage": ("起点环节", "from stage"),
    "funds_wan_cny": ("经费（万元）", "funds (10k CNY)"),
    "host": ("依托单位", "host"),
    "host_class": ("依托单位类别", "host class"),
    "id": ("标识", "id"),
    "institution": ("机构", "institution"),
    "kind": ("类型", "kind"),
    "latitude": ("纬度", "latitude"),
    "lead_department": ("牵头部门", "lead department"),
    "lead_institution": ("牵头单位", "lead institution"),
    "level": ("级别", "level"),
    "links": ("联系数", "links"),
    "list": ("名单", "list"),
    "list_note": ("名单说明", "list note"),
    "listed_industry": ("上市行业", "listed industry"),
    "loaded": ("已载入", "loaded"),
    "longitude": ("经度", "longitude"),
    "manufacturing_centres": ("制造业创新中心数", "manufacturing centres"),
    "manufacturing_list_stated_total": ("来源称制造业中心总数", "manufacturing centres stated"),
    "manufacturing_status": ("制造业创新中心覆盖", "manufacturing centre coverage"),
    "match_confidence": ("匹配置信度", "match confidence"),
    "match_rule": ("匹配规则", "match rule"),
    "measure": ("措施", "measure"),
    "metric": ("指标", "metric"),
    "name_en": ("英文名称", "English name"),
    "name_zh": ("中文名称", "Chinese name"),
    "named_in_graph": ("图中已列名", "named in the graph"),
    "nodes": ("节点数", "nodes"),
    "notes": ("备注", "notes"),
    "orphans": ("孤立节点数", "orphans"),
    "other_class": ("邻居类别", "neighbour class"),
    "other_name": ("邻居", "neighbour"),
    "parks": ("科技园数", "parks"),
    "parks_named": ("已列名科技园", "parks named"),
    "parks_stated_total": ("来源称科技园总数", "parks stated"),
    "product": ("重点产品", "key product"),
    "programme": ("计划", "programme"),
    "project_no": ("项目编号", "project number"),
    "read": ("读取行数", "rows read"),
    "reason": ("原因", "reason"),
    "referenced_in": ("引用于", "referenced in"),
    "rejected": ("拒绝", "rejected"),
    "relationship": ("关系", "relationship"),
    "role": ("职责", "role"),
    "roles": ("企业称号", "roles"),
    "row": ("行", "row"),
    "rule": ("规则", "rule"),
    "scope": ("范围", "scope"),
    "section": ("章节", "section"),
    "serving_entities": ("服务主体数", "serving entities"),
    "sha256": ("文件摘要", "SHA-256"),
    "skipped": ("跳过", "skipped"),
    "source": ("来源", "source"),
    "source_file": ("来源文件", "source file"),
    "source_refs": ("全部来源记录", "all source records"),
    "source_row": ("来源行号", "source row"),
    "sourced": ("其中来源陈述", "of which sourced"),
    "stage": ("环节", "stage"),
    "stated_total": ("来源称总数", "total stated"),
    "status": ("状态", "status"),
    "stock_code": ("股票代码", "stock code"),
    "target_metric": ("目标指标", "target metric"),
    "target_value": ("目标值", "target value"),
    "technology": ("关键技术", "key technology"),
    "technology_centres": ("技术创新中心数", "technology centres"),
    "technology_list_note": ("技术中心名单说明", "technology centre list note"),
    "technology_status": ("技术创新中心覆盖", "technology centre coverage"),
    "text": ("内容", "text"),
    "tie": ("关联方式", "tie"),
    "title": ("标题", "title"),
    "to_class": ("终点类别", "to class"),
    "to_stage": ("终点环节", "to stage"),
    "unit": ("单位", "unit"),
    "university": ("高校", "university"),
    "value": ("值", "value"),
    "without_cited_url": ("缺引用网址", "without a cited URL"),
    "without_file": ("缺来源文件", "without a source file"),
    "year": ("年份", "year"),
    "zone": ("高新区", "high-tech zone"),
}
WORDS: dict[str, tuple[str, str]] = {
    "unknown: list incomplete": ("未知：名单不全", "unknown: list incomplete"),
    "covered": ("已覆盖", "covered"),
    "not covered": ("未覆盖", "not covered"),
    "has an accelerator (level as sourced)": ("有加速器（级别按来源）", "has an accelerator (level as sourced)"),
    "sourced": ("来源陈述", "sourced"),
    "inferred": ("规则推断", "inferred"),
    "high": ("高", "high"),
    "medium": ("中", "medium"),
    "low": ("低", "low"),
    "synthetic": ("合成", "synthetic"),
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "info": ("提示", "info"),
    "in": ("指入", "in"),
    "out": ("指出", "out"),
    "ok": ("成功", "ok"),
    "failed": ("失败", "failed"),
    "True": ("是", "yes"),
    "False": ("否", "no"),
}
STAGE_COLUMNS = frozenset({"stage", "from_stage", "to_stage"})


def header(column: str) -> str:
    zh, en = COLUMNS.get(column, ("列", column.replace("_", " ")))
    return L(zh, en)


def word(value: Any) -> Any:
    """A status word or flag in the reader's language; any other value unchanged."""
    key = str(value) if isinstance(value, (str, bool)) else None
    if key is not None and key in WORDS:
        return L(*WORDS[key])
    return value


def cell_writer() -> Callable[[str, Any], Any]:
    """A cell in the reader's language (a stage's name, a status word or flag; lists joined), with the words looked
    up once: a table writes every cell (5,000 rows of a dozen columns), and each look-up reads the session."""
    words = {key: L(*pair) for key, pair in WORDS.items()}
    stages = {key: stage_name(key) for key in (*STAGE_KEYS, "industry")}

    def write(column: str, value: Any) -> Any:
        if column in STAGE_COLUMNS and isinstance(value, str) and value in stages:
            return stages[value]
        if isinstance(value, list):
            return "；".join(str(v) for v in value)
        key = str(value) if isinstance(value, (str, bool)) else None
        return words[key] if key is not None and key in words else value

    return write


def frame(
    rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None, drop: Iterable[str] = ()
) -> pd.DataFrame:
    """Rows as a table for a reader: headers and words translated, lists joined, ``drop`` columns left out."""
    dropped = set(drop)
    names = [c for c in (list(columns) if columns is not None else list(rows[0]) if rows else []) if c not in dropped]
    write = cell_writer()
    data = {header(c): [write(c, row.get(c)) for row in rows] for c in names}
    return pd.DataFrame(data, columns=[header(c) for c in names])


def translate(table: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame already built elsewhere (from JSON), with its headers and words translated."""
    out = table.copy()
    write = cell_writer()
    for column in out.columns:
        out[column] = [write(str(column), v) for v in out[column]]
    return out.rename(columns={c: header(str(c)) for c in out.columns})


def class_words(rows: Sequence[Mapping[str, Any]], column: str = "class") -> list[dict[str, Any]]:
    """Rows with their class names in the reader's language (``Laboratory`` → 实验室 Laboratory)."""
    from app_pages.common import class_label

    shown: dict[Any, Any] = {}  # each class's words looked up once (a lookup reads the session's language)
    out = []
    for row in rows:
        value = row.get(column)
        if value not in shown:
            try:
                shown[value] = class_label(str(value)) if value else value
            except KeyError:
                shown[value] = value
        out.append({**row, column: shown[value]})
    return out


def key_products(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The key-product list as a reader needs it: no Product list is loaded yet, so ``product`` falls back to the
    enterprise's listed industry, and ``basis`` says which one the cell holds (or that nothing is sourced)."""
    out = []
    for row in rows:
        product, industry = row.get("product"), row.get("listed_industry")
        basis = "product" if product else "listed_industry" if industry else "none"
        out.append({**row, "product": product or industry, "basis": BASIS[basis]})
    return out


BASIS = {
    "product": "产品名单 product list",
    "listed_industry": "上市行业（近似）listed industry (nearest hint)",
    "none": "无来源 not sourced",
}
