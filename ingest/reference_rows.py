"""The tables the inference rules read beside the mapped sources (the crosswalks, the classification and discipline
lists): read as a source file is read (ingest/readers.py: its encoding found, a malformed line set aside), with
every problem in the run's report by file, row, column, value and reason, and the good rows used.

A rule's table that is missing is not a problem (a curator's data folder may lack the raw lists; the rule then
finds nothing); one that cannot be read, or lacks a column the rule needs, is an error and gives no rows; a row
that cannot be parsed is a warning and is left out. Without a report (benchmarks, a rule built alone) the
problems are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from ingest.readers import ReadError, read_table
from ingest.report import Report

log = logging.getLogger(__name__)


def reference_rows(
    path: Path, data_dir: Path, columns: Sequence[str], report: Report | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each well-formed row of the table at ``path`` with its row number (the header is row 1), its values by
    column; ``columns`` are those the rule needs."""
    if not path.exists():
        return
    label = path.relative_to(data_dir).as_posix() if path.is_relative_to(data_dir) else path.name
    try:
        table = read_table(path)
    except ReadError as exc:
        _problem(
            report,
            label,
            f"规则用表无法读取，相关推断不会进行 / a rule's table cannot be read, its rule infers nothing: {exc}",
        )
        return
    missing = [column for column in columns if column not in table.header]
    if missing:
        _problem(
            report,
            label,
            f"规则用表缺少列 {', '.join(missing)}，相关推断不会进行 / a rule's table lacks the column(s) "
            f"{', '.join(missing)}: its rule infers nothing",
        )
        return
    for number, column, value, reason in table.row_problems:
        _problem(report, label, f"{reason}; row left out", warning=True, row=number, column=column, value=value)
    for row in table.rows:
        yield row.row, {key: "" if cell is None else str(cell) for key, cell in row.values.items()}


def _problem(report: Report | None, label: str, reason: str, *, warning: bool = False, **where: object) -> None:
    if report is None:
        log.warning("%s: %s %s", label, reason, where or "")
    elif warning:
        report.warning(label, reason, **where)
    else:
        report.error(label, reason, **where)
