"""The tables the inference rules read beside the mapped sources (the crosswalks, the classification and discipline
lists): read as a source file is read (ingest/readers.py: the same header and field rules, a malformed line set
aside), with every problem in the run's report by file, row, column, value and reason, and the good rows used.

A rule's table that is missing is not a problem (a curator's data folder may lack the raw lists; the rule then
finds nothing). One that cannot be read, whose encoding could only be guessed (one stray byte in a UTF-8 file made
the detector read a whole crosswalk as Cyrillic), or that lacks a column the rule needs is an error and gives no
rows. A row that cannot be parsed is an error and is left out; a cell cut to its longest is a warning. Without a
report (benchmarks, a rule built alone) the problems are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from ingest.readers import ReadError, read_table
from ingest.report import Report
from ingest.source_table import SURE_ENCODINGS

log = logging.getLogger(__name__)


def reference_rows(
    path: Path, data_dir: Path, columns: Sequence[str], report: Report | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each well-formed row of the table at ``path`` with its row number (the header is row 1, as a spreadsheet
    shows it), its values by column; ``columns`` are those the rule needs."""
    if not path.exists():
        return
    label = path.relative_to(data_dir).as_posix() if path.is_relative_to(data_dir) else path.name
    try:
        table = read_table(path)
    except (ReadError, OSError) as exc:
        reason = str(exc).replace(str(path), label).removeprefix(f"{label}: ")
        reason = (
            f"规则用表无法读取，相关推断不会进行 / a rule's table cannot be read, its rule infers nothing: {reason}"
        )
        _problem(report, label, reason)
        return
    if table.encoding not in SURE_ENCODINGS:
        _problem(
            report,
            label,
            f"规则用表的编码无法确定（猜测为 {table.encoding}），请存为 UTF-8；相关推断不会进行 / a rule's table is "
            f"neither UTF-8 nor GB18030 (a guess says {table.encoding}: a stray byte?); save it as UTF-8. Its rule "
            "infers nothing",
        )
        return
    for note in table.notes:
        _problem(report, label, note, warning=True)
    missing = [column for column in columns if column not in table.header]
    if missing:
        _problem(
            report,
            label,
            f"规则用表缺少列 {', '.join(missing)}，相关推断不会进行 / a rule's table lacks the column(s) "
            f"{', '.join(missing)} (it has {', '.join(table.header)}): its rule infers nothing",
            column=missing[0],
        )
        return
    for number, column, value, reason in table.row_problems:
        if column is None:  # a line that could not be parsed: the reader left it out
            _problem(report, label, f"该行无法解析，已略过 / {reason}: the row is left out", row=number, value=value)
        else:  # a cell cut to its longest: the row is used
            cut = f"单元格过长，已截断 / {reason}"
            _problem(report, label, cut, warning=True, row=number, column=column, value=value)
    for row in table.rows:
        yield row.row, {key: "" if cell is None else str(cell) for key, cell in row.values.items()}


def _problem(report: Report | None, label: str, reason: str, *, warning: bool = False, **where: object) -> None:
    if report is None:
        log.warning("%s: %s %s", label, reason, where or "")
    elif warning:
        report.warning(label, reason, **where)
    else:
        report.error(label, reason, **where)
