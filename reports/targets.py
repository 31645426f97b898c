"""A city's or a cluster's part in the notice's quantified targets (measures 7, 12, 18, 20).

Each row names the target as ``policy_targets`` states it and the part the coverage checks
(``measure7_center_coverage``, ``measure12_*``) give for the scope. Where the graph holds nothing to count —
skilled workers, standards, a city without a national high-tech zone in the graph — the part is ``None`` and
the report prints "无数据 no data", never 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reports.context import Queries

NO_DATA = ("无数据", "no data")
STATUS = {
    "covered": ("已覆盖", "covered"),
    "has an accelerator (level as sourced)": ("已有加速器", "has an accelerator"),
    "gap": ("缺口", "gap"),
    "unknown: list incomplete": ("未知（名单不完整）", "unknown: list incomplete"),
    "unknown: no list loaded": ("未知（未载入名单）", "unknown: no list loaded"),
    "unknown: no list of provincial accelerators loaded": ("未知（未载入名单）", "unknown: no list loaded"),
}


@dataclass(frozen=True)
class TargetRow:
    measure: int
    metric: str  # as the notice states it (policy_targets)
    target: str  # value and unit, e.g. "100 %"
    deadline: int | None
    covered: int | None  # the scope's count that meets the target; None: no data
    of: int | None  # out of how many in the scope
    status_zh: str
    status_en: str
    query: str  # the named query the part comes from ('' when there is none)
    counted: str = ""  # what the count counts, where the scope's name would mislead (a city's clusters, province-wide)

    @property
    def part(self) -> str:
        if self.covered is None or self.of is None:
            return f"{NO_DATA[0]} {NO_DATA[1]}"
        return f"{self.covered} / {self.of}" + (f"（{self.counted}）" if self.counted else "")


def _targets(q: Queries) -> dict[str, dict[str, Any]]:
    return {str(r["metric"]): r for r in q.rows("policy_targets")}


def _target_text(row: dict[str, Any] | None) -> tuple[str, int | None]:
    if row is None:
        return "—", None
    value = row["value"]
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown} {row['unit'] or ''}".strip(), row["deadline"]


def _status(statuses: list[str], covered: int, of: int) -> tuple[str, str]:
    """One status for a set of rows: all covered; some gaps; else unknown where a list is incomplete."""
    if of == 0:
        return NO_DATA
    if covered == of:
        return STATUS["covered"]
    if any(s == "gap" for s in statuses):
        return STATUS["gap"]
    unknown = [s for s in statuses if s.startswith("unknown")]
    return STATUS.get(unknown[0], STATUS["unknown: list incomplete"]) if unknown else STATUS["gap"]


def _row(
    targets: dict[str, dict[str, Any]], measure: int, metric: str, covered: int | None, of: int | None,
    statuses: list[str], query: str, why_none: tuple[str, str] = NO_DATA,
) -> TargetRow:  # fmt: skip
    text, deadline = _target_text(targets.get(metric))
    zh, en = _status(statuses, covered or 0, of or 0) if covered is not None and of else why_none
    return TargetRow(measure, metric, text, deadline, covered if of else None, of or None, zh, en, query)


def _measure7(q: Queries, targets: dict[str, dict[str, Any]], codes: list[str], counted: str = "") -> list[TargetRow]:
    rows = [r for r in q.rows("measure7_center_coverage") if r["code"] in codes]
    out = []
    for kind, metric in (
        ("manufacturing", "产业集群省级制造业创新中心覆盖"),
        ("technology", "产业集群省级技术创新中心覆盖"),
    ):
        covered = sum(1 for r in rows if r[f"{kind}_centres"])
        statuses = [str(r[f"{kind}_status"]) for r in rows]
        row = _row(targets, 7, metric, covered, len(rows), statuses, "measure7_center_coverage")
        out.append(replace(row, counted=counted) if row.covered is not None else row)
    return out


def _skills_and_standards(targets: dict[str, dict[str, Any]]) -> list[TargetRow]:
    why = ("无数据（图中无统计）", "no data: the graph holds no counts for it")
    return [
        _row(targets, measure, metric, None, None, [], "", why)
        for measure, metric in ((18, "高技能人才"), (20, "主导或参与的国际标准"), (20, "国家标准"))
    ]


def city_targets(q: Queries, city: str, codes: list[str], named: set[str]) -> list[TargetRow]:
    """``named``: the names borne by an entity located in the city or one of its districts (names_in_city)."""
    targets = _targets(q)
    zones = [r for r in q.rows("measure12_accelerator_coverage") if r["city"] == city]
    unis = [r for r in q.rows("measure12_science_park_coverage") if r["university"] in named]
    # a cluster's centre counts wherever in the province it is: the city's 13 / 20 read as its own centres
    province_wide = "本市所在的集群，中心在全省 the city's clusters, their centres anywhere in the province"
    return [
        *_measure7(q, targets, codes, province_wide),
        _row(
            targets, 12, "国家高新区省级加速器覆盖率", sum(1 for r in zones if r["accelerators"]), len(zones),
            [str(r["status"]) for r in zones], "measure12_accelerator_coverage",
            ("无数据（图中无本市国家高新区）", "no data: no national high-tech zone of the city in the graph"),
        ),
        _row(
            targets, 12, "在粤高水平大学省级大学科技园覆盖率", sum(1 for r in unis if r["parks"]), len(unis),
            [str(r["status"]) for r in unis], "measure12_science_park_coverage",
            ("无数据（图中无本市高水平大学）", "no data: no high-level university of the city in the graph"),
        ),
        *_skills_and_standards(targets),
    ]  # fmt: skip


def cluster_targets(q: Queries, code: str) -> list[TargetRow]:
    targets = _targets(q)
    per_place = ("不按集群统计", "not counted per cluster")
    return [
        *_measure7(q, targets, [code]),
        _row(targets, 12, "国家高新区省级加速器覆盖率", None, None, [], "", per_place),
        _row(targets, 12, "在粤高水平大学省级大学科技园覆盖率", None, None, [], "", per_place),
        *_skills_and_standards(targets),
    ]
