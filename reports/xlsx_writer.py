"""The report's tables as an Excel workbook: one sheet per table, every row (the lists are not cut)."""

from __future__ import annotations

from typing import Any

from graph.exports import workbook_bytes
from reports import sections as s
from reports.context import ReportContext


def _sheet(table: s.Table) -> tuple[list[str], list[dict[str, Any]]]:
    """A table's columns and rows, and its note (what a column counts) as a last row under its first column."""
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    if table.note:
        rows.append({table.columns[0]: table.note})
    return table.columns, rows


def xlsx_bytes(ctx: ReportContext) -> bytes:
    summary = s.Table("总体情况", ["总体情况 Summary"], [[line] for line in s.summary_lines(ctx)])
    tables = [summary, s.stage_table(ctx), s.target_table(ctx), s.gap_table(ctx), *s.list_tables(ctx, limit=None)]
    changes = s.change_table(ctx)
    if changes is not None:
        tables.append(changes)
    tables.append(s.source_table(ctx))
    sheets = {t.title.split(" ")[0]: _sheet(t) for t in tables}
    if ctx.changes is not None and ctx.changes.changes:
        rows = ctx.changes.rows()
        sheets["变化明细"] = (list(rows[0]), rows)
    return workbook_bytes(sheets)
