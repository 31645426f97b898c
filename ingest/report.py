"""The ingest report: every problem with file, row, column, value and reason, and every row accounted for."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from graph.exports import safe_text


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


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)
    files: dict[str, FileAccount] = field(default_factory=dict)

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
        self.issues.append(Issue(level, file, row, column, value, reason))

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
        return [i for i in self.issues if i.level is Level.ERROR]

    @property
    def bounds_broken(self) -> list[FileAccount]:
        return [a for a in self.files.values() if not a.bounds_ok]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["level", "file", "row", "column", "value", "reason"])
        for issue in self.issues:
            writer.writerow(
                [  # every text that came from a file (its name, a header, a value) is shown, never run
                    issue.level.value,
                    safe_text(issue.file),
                    issue.row or "",
                    safe_text(issue.column or ""),
                    safe_text(issue.value or ""),
                    safe_text(issue.reason),
                ]
            )
        return out.getvalue()

    def write_csv(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_csv(), encoding="utf-8-sig")  # with BOM so Excel reads the Chinese right

    def summary(self) -> str:
        levels = Counter(i.level.value for i in self.issues)
        lines = [f"{len(self.files)} files; {levels.get('error', 0)} errors, {levels.get('warning', 0)} warnings"]
        for acc in self.files.values():
            flag = "" if acc.bounds_ok else "  ← row count outside the mapping's bounds"
            lines.append(
                f"  {acc.file} [{acc.source}]: read {acc.read}, loaded {acc.loaded}, rejected {acc.rejected}, "
                f"skipped {acc.skipped}{flag}"
            )
        return "\n".join(lines)
