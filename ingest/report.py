"""The ingest report: every problem with file, row, column, value and reason, and every row accounted for.

A hostile file can raise millions of problems (a firms' list of 79 MB whose every row is wrong raised 2.8 M): each
one goes into the report's text as it is found, a temporary file once past a few MB, and only the first
``HELD_PER_LEVEL`` of each level stay as objects, for the run's record and the pages. Held whole, 2.8 M problems
took about 1.1 GB, and their CSV text another 1.1 GB at once (bench/report_memory.py: peak 2,793 → 1,061 MB).
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import weakref
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from graph.exports import safe_text
from ingest.normalize import visible


class Level(StrEnum):
    ERROR = "error"  # the row (or file) was not loaded
    WARNING = "warning"  # loaded, but a value or a reference was dropped
    INFO = "info"


@dataclass(frozen=True)
class Issue:
    level: Level
    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def describe(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
        where += f", column {self.column}" if self.column else ""
        shown = "" if self.value is None else f" (value {self.value[:80]!r})"
        return f"{self.level.value}: {where}: {self.reason}{shown}"


@dataclass
class FileAccount:
    """How the rows of one file ended: loaded + rejected + skipped == read."""

    file: str
    source: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0
    sha256: str = ""
    bounds_ok: bool = True

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.rejected + self.skipped


HELD_PER_LEVEL = 100_000  # problems of one level kept as objects (about 400 bytes each); the text keeps every one
RECORDED_PER_LEVEL = 1_000  # problems of one level in the run's record in the graph (the data-quality page's tables)
SHOWN_VALUE = 1_000  # characters of a problem's value kept: a 100,000-character cell over 2,000 merged rows was 764 MB
_IN_MEMORY_BYTES = 8 << 20  # the report's text moves to a temporary file past this
# the file is read by people (Excel) as much as by tools: each header and level word Chinese first, its key after
_HEADER = ["级别 level", "文件 file", "行 row", "列 column", "值 value", "原因 reason"]
_LEVEL_WORDS = {Level.ERROR: "错误 error", Level.WARNING: "警告 warning", Level.INFO: "提示 info"}


def _spool() -> IO[str]:
    # a lone surrogate (a JSON file may hold one) is written escaped rather than stopping the run
    return tempfile.SpooledTemporaryFile(
        _IN_MEMORY_BYTES, mode="w+", encoding="utf-8", errors="backslashreplace", newline=""
    )


def shown_value(value: str | None) -> str | None:
    """The value as a report keeps it: its first ``SHOWN_VALUE`` characters, and its length where it is longer; a
    character a terminal or a viewer would obey (an escape sequence, a line break) as its escape, so that reading
    ``rejections.csv`` with ``cat`` or ``grep`` shows the value rather than obeys it."""
    if value is None:
        return value
    if len(value) <= SHOWN_VALUE:
        return visible(value)
    return f"{visible(value[:SHOWN_VALUE])}…（共 {len(value):,} 个字符 / {len(value):,} characters）"


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)  # the first HELD_PER_LEVEL of each level, in the order found
    files: dict[str, FileAccount] = field(default_factory=dict)
    counts: Counter[Level] = field(default_factory=Counter)  # every problem, by level
    file_errors: list[Issue] = field(default_factory=list)  # every error about a whole file (no row): a few a file
    _text: IO[str] = field(default_factory=_spool, repr=False, compare=False)
    _rows: Any = field(default=None, repr=False, compare=False)  # the csv writer over ``_text``

    def __post_init__(self) -> None:
        self._rows = csv.writer(self._text)
        weakref.finalize(self, self._text.close)  # the temporary file goes with the report

    def __getstate__(self) -> dict[str, Any]:
        """The report as another process receives it (ingest/collect_apart.py): its text, not its open file."""
        state = {name: value for name, value in self.__dict__.items() if name not in ("_text", "_rows")}
        self._text.flush()
        self._text.seek(0)
        try:
            state["text"] = self._text.read()
        finally:
            self._text.seek(0, io.SEEK_END)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        text = state.pop("text")
        self.__dict__.update(state)
        self._text = _spool()
        self._text.write(text)
        self.__post_init__()

    def add(
        self,
        level: Level,
        file: str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        issue = Issue(level, file, row, column, shown_value(value), reason)
        self.counts[level] += 1
        if self.counts[level] <= HELD_PER_LEVEL:
            self.issues.append(issue)
        if row is None and level is Level.ERROR:
            self.file_errors.append(issue)
        self._rows.writerow(_csv_row(issue))

    @property
    def total(self) -> int:
        """How many problems were found, those not held as objects included."""
        return sum(self.counts.values())

    def error(self, file: str, reason: str, **where: object) -> None:
        self.add(Level.ERROR, file, reason, **where)  # type: ignore[arg-type]

    def warning(self, file: str, reason: str, **where: object) -> None:
        self.add(Level.WARNING, file, reason, **where)  # type: ignore[arg-type]

    def account(self, file: str, source: str) -> FileAccount:
        """The row account of one source's reading of a file (two mappings may read one file)."""
        key = f"{file} [{source}]"
        if key not in self.files:
            self.files[key] = FileAccount(file=file, source=source)
        return self.files[key]

    @property
    def errors(self) -> list[Issue]:
        """The errors held as objects (``HELD_PER_LEVEL``); ``counts`` has them all."""
        return [i for i in self.issues if i.level is Level.ERROR]

    @property
    def bounds_broken(self) -> list[FileAccount]:
        return [a for a in self.files.values() if not a.bounds_ok]

    def to_csv(self) -> str:
        """Every problem as CSV text, at once: ``write_csv`` for a report of any size."""
        out = io.StringIO()
        self._copy_to(out)
        return out.getvalue()

    def write_csv(self, path: Path) -> None:
        """Every problem, streamed to the file: a report's size in memory stays bounded."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as out:  # with BOM so Excel reads the Chinese right
            self._copy_to(out)

    def first_of_each_level(self, count: int | None = None) -> list[Issue]:
        """The first ``count`` problems of each level (``RECORDED_PER_LEVEL``), in the order found."""
        count = RECORDED_PER_LEVEL if count is None else count
        taken: Counter[Level] = Counter()
        first = []
        for issue in self.issues:
            taken[issue.level] += 1
            if taken[issue.level] <= count:
                first.append(issue)
        return first

    def _copy_to(self, out: IO[str]) -> None:
        csv.writer(out).writerow(_HEADER)
        self._text.flush()
        self._text.seek(0)
        try:
            shutil.copyfileobj(self._text, out)
        finally:  # later problems are added after, also when the copy failed (a full disk)
            self._text.seek(0, io.SEEK_END)

    def summary(self) -> str:
        """The run's files and how their rows ended, Chinese first with English alongside (``ckg ingest`` prints it)."""
        files, errors, warnings = len(self.files), self.counts[Level.ERROR], self.counts[Level.WARNING]
        lines = [
            f"{files} 个文件；{errors} 个错误，{warnings} 个警告 / {files} file{'s' * (files != 1)}; "
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        ]
        for acc in self.files.values():
            flag = "" if acc.bounds_ok else "  ← 行数超出映射规定的范围 / row count outside the mapping's bounds"
            lines.append(
                f"  {acc.file} [{acc.source}]: 读入 read {acc.read}, 载入 loaded {acc.loaded}, "
                f"拒收 rejected {acc.rejected}, 跳过 skipped {acc.skipped}{flag}"
            )
        return "\n".join(lines)


def _csv_row(issue: Issue) -> list[str | int]:
    return [  # every text that came from a file (its name, a header, a value) is shown, never run nor obeyed
        _LEVEL_WORDS[issue.level],
        safe_text(visible(issue.file)),
        issue.row or "",
        safe_text(visible(issue.column or "")),
        safe_text(issue.value or ""),  # made visible when the issue was made (``shown_value``)
        safe_text(visible(issue.reason)),
    ]
