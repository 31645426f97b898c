"""The tables the inference rules read beside the mapped sources (the crosswalks, the classification and discipline
lists): read as a source file is read (ingest/readers.py: the same header and field rules, a malformed line set
aside), with every problem named by file, row, column, value and reason, and the good rows used.

A rule's table that is missing is not a problem (a curator's data folder may lack the raw lists; the rule then
finds nothing). One that is there but cannot be read, whose encoding could only be guessed (one stray byte in a
UTF-8 file made the detector read a whole crosswalk as Cyrillic), or that lacks a column the rule needs stops the
run before it writes (``RuleTableError``): going on would drop every tie the rule inferred before, which no one asked
for. A row that cannot be parsed is an error in the run's report and is left out, as a source's row is; a cell cut
to its longest is a warning. Without a report (benchmarks, a rule built alone) row problems are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from graph.errors import ClusterKGError, apart, said_in_both
from ingest.readers import ReadError, read_table
from ingest.report import Report
from ingest.source_table import SURE_ENCODINGS

log = logging.getLogger(__name__)


Filled = str | tuple[str, ...]  # a column that must hold a value, or columns of which one must


class RuleTableError(ClusterKGError):
    """A table an inference rule needs is there but cannot be used: the run stops before it writes."""


def reference_rows(
    path: Path, data_dir: Path, columns: Sequence[str], report: Report | None, filled: Sequence[Filled] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each well-formed row of the table at ``path`` with its row number (the header is row 1, as a spreadsheet
    shows it), its values by column; ``columns`` are those the rule needs. A row with an empty cell in a ``filled``
    column (a key the rule looks it up by: an empty stock code was read as 000000), or with every cell of a
    ``filled`` tuple empty (a row found by its code or by its name), is a warning and is not used."""
    if not path.exists():
        return
    label = path.relative_to(data_dir).as_posix() if path.is_relative_to(data_dir) else path.name
    try:
        table = read_table(path)
    except (ReadError, OSError) as exc:
        zh, en = apart(str(exc).replace(str(path), label).removeprefix(f"{label}: "))
        raise RuleTableError(refused(label, f"无法读取{f'（{zh}）' if zh else ''}", f"cannot be read: {en}")) from exc
    if table.encoding not in SURE_ENCODINGS:
        raise RuleTableError(
            refused(
                label,
                f"编码无法确定（猜测为 {table.encoding}），请另存为 UTF-8",
                f"is neither UTF-8 nor GB18030 (a guess says {table.encoding}: a stray byte?); save it as UTF-8",
            )
        )
    for note in table.notes:
        rule_problem(report, label, note, warning=True)
    missing = [column for column in columns if column not in table.header]
    if missing:
        names, present = ", ".join(missing), ", ".join(table.header)
        raise RuleTableError(refused(label, f"缺少列 {names}", f"lacks the column(s) {names} (it has {present})"))
    for number, column, value, reason in table.row_problems:
        if column is None:  # a line that could not be parsed: the reader left it out
            rule_problem(
                report, label, f"该行无法解析，已略过 / {reason}: the row is left out", row=number, value=value
            )
        else:  # a cell cut to its longest: the row is used
            cut = f"单元格过长，已截断 / {reason}"
            rule_problem(report, label, cut, warning=True, row=number, column=column, value=value)
    for row in table.rows:
        values = {key: "" if cell is None else str(cell) for key, cell in row.values.items()}
        empty = next((need for need in map(_columns, filled) if not any(values[c].strip() for c in need)), None)
        if empty is not None:
            said = f"{' and '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty"
            unused = f"单元格为空，该行未用 / {said}: the row is not used"
            rule_problem(report, label, unused, warning=True, row=row.row, column=",".join(empty), value="")
            continue
        yield row.row, values


def _columns(need: Filled) -> tuple[str, ...]:
    return (need,) if isinstance(need, str) else need


def rule_problem(report: Report | None, label: str, reason: str, *, warning: bool = False, **where: object) -> None:
    """A problem with a rule's table: into the run's report, or logged where there is none (a rule built alone)."""
    if report is None:
        zh, en = said_in_both(reason) or (reason, reason)
        place = where or ""
        log.warning("推断规则用表 %s：%s %s / rule table %s: %s %s", *(label, zh, place, label, en, place))
    elif warning:
        report.warning(label, reason, **where)
    else:
        report.error(label, reason, **where)


def refused(label: str, zh: str, en: str) -> str:
    """Why a run stops for a rule's table: nothing was written, and what to do."""
    return (
        f"推断规则用表 {label} {zh}：本次导入已停止，图未改动；修好该文件后再运行 / the rule table {label} {en}: the "
        "run stopped before writing, and the graph is unchanged; mend the file and run again"
    )
