"""The words for the values the data and the runs use (a confidence, a lab's level, a run's status, a flag), Chinese
with English: the app's tables and the yearly report show these instead of the stored value."""

from __future__ import annotations

from typing import Any

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
    "derived": ("推导", "derived"),
    "unverified": ("未核实", "unverified"),
    "completed": ("已完成", "completed"),
    "running": ("进行中", "running"),
    "interrupted": ("已中断", "interrupted"),
    # a facility's status, as the sources give it
    "operational": ("运行中", "operational"),
    "under_construction": ("在建", "under construction"),
    "completing_construction": ("即将建成", "completing construction"),
    "planned": ("规划中", "planned"),
    "pillar": ("支柱产业集群", "pillar"),
    "emerging": ("新兴产业集群", "emerging"),
    # a lab's, an institute's or a centre's level, as the sources give it
    "national_lab": ("国家实验室", "national lab"),
    "state_key_lab": ("国家重点实验室", "state key lab"),
    "provincial_lab": ("省实验室", "provincial lab"),
    "provincial_lab_branch": ("省实验室分中心", "provincial lab branch"),
    "provincial_key_lab": ("省重点实验室", "provincial key lab"),
    "municipal_lab": ("市级实验室", "municipal lab"),
    "gba_joint_lab": ("粤港澳联合实验室", "GBA joint lab"),
    "national": ("国家级", "national"),
    "national (branch)": ("国家级（分支）", "national (branch)"),
    "national_local_joint": ("国家地方联合", "national–local joint"),
    "provincial": ("省级", "provincial"),
}

# A level's words that are common words elsewhere ("city" is also a column's name in a problem report): in a level's
# column only (``LEVEL_COLUMN``).
LEVEL_WORDS: dict[str, tuple[str, str]] = {
    **WORDS,
    "city": ("市级", "city"),
    "municipal": ("市级", "municipal"),
    "not stated": ("未说明", "not stated"),
}
LEVEL_COLUMN = "level"


def in_both(value: Any, words: dict[str, tuple[str, str]] = WORDS) -> Any:
    """A known value as "中文 English"; any other value as it is (a level a source words its own way stays)."""
    pair = words.get(value) if isinstance(value, str) else None
    return f"{pair[0]} {pair[1]}" if pair else value
