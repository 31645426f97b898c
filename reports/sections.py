"""The report's text and tables, once for every format: headings, the one-minute summary, the tables with
Chinese-first bilingual headers. The writers only lay them out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.schema import default_schema
from graph.value_words import LEVEL_COLUMN, LEVEL_WORDS, in_both
from queries.analytics import STAGE_ZH
from reports.context import LIST_TITLES, ReportContext

STAGE_EN = {
    "basic_research": "basic research",
    "technology_breakthrough": "technology breakthrough",
    "achievement_transfer": "achievement transfer",
    "scitech_finance": "sci-tech finance",
    "talent_support": "talent support",
    "industry": "industry",
}
HEADINGS = (
    ("一、总体情况", "Summary"),
    ("二、创新链各环节主体", "Entities per chain stage"),
    ("三、量化目标与覆盖检查", "Quantified targets and coverage checks"),
    ("四、补链清单", "Gaps to fill (补链)"),
    ("五、三单（关键技术、重点产品、研发机构）", "The three lists"),
    ("六、与上一版本相比的变化", "Changes since the previous edition"),
    ("附录：数据来源", "Appendix: sources"),
)
MAX_LIST_ROWS = 200  # per list in the Word and HTML files; the Excel file has every row


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


def stage_label(key: str) -> str:
    return f"{STAGE_ZH.get(key, key)} {STAGE_EN.get(key, key)}"


def summary_lines(ctx: ReportContext) -> list[str]:
    """What a director reads in one minute."""
    total = sum(s.entities for s in ctx.stages)
    sourced = sum(s.sourced for s in ctx.stages)
    edition = "当前数据 current data" if ctx.edition == "current" else f"版本 edition {ctx.edition}"
    lines = [f"数据截至：{edition}（生成于 generated {ctx.generated_at}）。"]
    if ctx.scope == "city":
        names = "、".join(f"{c['name_zh']}（{c['code']}）" for c in ctx.clusters) or "无 none"
        lines.append(f"本市主体所在产业集群 {len(ctx.clusters)} 个 clusters present: {names}。")
    # the score as a percentage, as the chain page gives it
    counted = sum(ctx.chain.stage_counts.values())
    whose = ("集群成员", "cluster members") if ctx.scope == "city" else ("主体", "entities")
    lines.append(
        f"创新链五环节共有{whose[0]} {total} 个（来源陈述 sourced {sourced}，规则推断 inferred {total - sourced}）"
        f" {whose[1]} across the five stages; 完整度 completeness score {ctx.chain.score:.0%}"
        f"（计入主体 {counted} 个 over {counted} entities，见表1 see table 1）。"
    )
    gaps = ctx.gaps()
    lines.append(
        "尚缺环节与链接 still missing: " + ("；".join(f"{zh} {en}" for zh, en in gaps) if gaps else "无 none") + "。"
    )
    if ctx.changes is None:
        lines.append("变化：无可比较的早期版本 no earlier edition to compare with。")
    else:
        t = ctx.changes.totals()
        lines.append(
            f"自版本 {ctx.changes.old} 以来 since edition {ctx.changes.old}: 主体 entities "
            f"+{t['entity']['added']} / ~{t['entity']['changed']} / -{t['entity']['removed']}，关联 ties "
            f"+{t['tie']['added']} / ~{t['tie']['changed']} / -{t['tie']['removed']}"
            "（新增/修改/删除 added/changed/removed）。"
        )
    return lines


def stage_table(ctx: ReportContext) -> Table:
    """Each stage's entities: those the report lists (a city's: its clusters' members in it), and those the
    completeness score and the gaps count (a city's: every entity of the stage in it, a member or not). A city's
    report said "sci-tech finance 0" beside a score and gaps that counted the city's funds: both are given."""
    counted = ctx.chain.stage_counts
    rows = [[stage_label(s.stage), s.entities, s.sourced, s.inferred, counted.get(s.stage, 0)] for s in ctx.stages]
    members = "集群成员 Cluster members" if ctx.scope == "city" else "主体 Entities"
    return Table(
        "表1 各环节主体数 Entities per stage",
        ["环节 Stage", members, "来源陈述 Sourced", "规则推断 Inferred", "计入完整度 Counted for completeness"],
        rows,
        "“计入完整度”是完整度得分与补链清单所计的主体"
        + ("：本市该环节的全部主体，无论是否属于某个集群。" if ctx.scope == "city" else "。")
        + " 'Counted for completeness' is what the completeness score and the gaps count"
        + (": every entity of the stage in the city, a cluster member or not." if ctx.scope == "city" else "."),
    )


def target_table(ctx: ReportContext) -> Table:
    rows = [
        [t.measure, t.metric, t.target, t.deadline or "—", t.part, f"{t.status_zh} {t.status_en}"] for t in ctx.targets
    ]
    return Table(
        "表2 量化目标与覆盖检查 Targets and coverage checks",
        ["措施 Measure", "指标 Metric", "目标 Target", "年限 Year", "本范围 This scope", "状态 Status"],
        rows,
        "“无数据”表示图中没有可统计的数据，不是 0 %。 'No data' means the graph holds nothing to count, not 0 %.",
    )


def gap_table(ctx: ReportContext) -> Table:
    return Table(
        "表3 补链清单 Gaps to fill",
        ["序号 No.", "缺口 Gap"],
        [[i + 1, f"{zh} {en}"] for i, (zh, en) in enumerate(ctx.gaps())],
    )


_LIST_COLUMNS = {
    "key_technologies": [("technology", "技术 Technology"), ("from_entity", "来自 From"), ("from_class", "类型 Class")],
    "key_products": [
        ("enterprise", "企业 Enterprise"),
        ("product", "产品 Product"),
        ("listed_industry", "行业 Industry"),
    ],
    "rd_institutions": [
        ("institution", "机构 Institution"),
        ("class", "类型 Class"),
        ("level", "级别 Level"),
        ("city", "城市 City"),
    ],
}


def list_tables(ctx: ReportContext, *, limit: int | None = MAX_LIST_ROWS) -> list[Table]:
    tables = []
    for n, (key, (zh, en)) in enumerate(LIST_TITLES.items(), start=4):
        spec = _LIST_COLUMNS[key]
        if ctx.scope == "city":
            spec = [("cluster", "集群 Cluster"), *spec]
        rows = ctx.lists.get(key, [])
        shown = rows if limit is None else rows[:limit]
        note = (
            f"仅列前 {limit} 行（共 {len(rows)} 行，完整清单见 Excel）。 First {limit} of {len(rows)} rows."
            if len(shown) < len(rows)
            else ""
        )
        cells = [[_cell(k, r.get(k)) for k, _ in spec] for r in shown]
        tables.append(Table(f"表{n} {zh} {en}", [h for _, h in spec], cells, note))
    return tables


_CLASS_KEYS = frozenset({"class", "from_class"})  # a list's columns that hold an ontology class's name


def _cell(key: str, value: Any) -> Any:
    """A list's cell as a reader sees it: a class by its names, a level in both languages, a missing one a dash."""
    if not value:
        return "—"
    if key in _CLASS_KEYS:
        cls = default_schema().classes.get(str(value))
        return f"{cls.labels.zh} {cls.labels.en}" if cls is not None else value
    return in_both(value, LEVEL_WORDS) if key == LEVEL_COLUMN else value


def change_table(ctx: ReportContext) -> Table | None:
    if ctx.changes is None:
        return None
    by_stage = ctx.changes.by("stage")
    cols = ["entity added", "entity changed", "entity removed", "tie added", "tie changed", "tie removed"]
    rows = [[stage_label(stage), *[counts.get(c, 0) for c in cols]] for stage, counts in by_stage.items()]
    return Table(
        f"表7 自 {ctx.changes.old} 以来的变化 Changes since {ctx.changes.old}",
        ["环节 Stage", "主体新增 +", "主体修改 ~", "主体删除 -", "关联新增 +", "关联修改 ~", "关联删除 -"],
        rows,
    )


def source_table(ctx: ReportContext) -> Table:
    return Table(
        "附表 数据来源 Sources",
        ["文件 File", "网址 URL", "可信度 Confidence", "主体数 Entities"],
        [[r["file"], r["url"] or "—", in_both(r["confidence"]) or "—", r["entities"]] for r in ctx.sources],
    )
