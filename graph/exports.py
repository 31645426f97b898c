"""Safe exports: cells a spreadsheet would run as a formula are shown as text; files land whole or not at all.

``safe_cell`` / ``safe_text`` neutralise formula starts in CSV and Excel cells (the query CSV, the lists
workbook, the rejection report). ``check_target`` refuses an export path that is the live database (or
beside it, or inside it) or an existing file without ``force``; ``atomic_path`` writes to a temporary
file in the same folder and renames it into place only when the writer has finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from graph.errors import ClusterKGError

# Characters a spreadsheet reads as the start of a formula (OWASP CSV injection), with their full-width
# forms: Excel and WPS fold ＝＋－＠ to their ASCII twins when a CSV is opened with an East Asian locale.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class ExportError(ClusterKGError):
    """An export cannot be written where or as asked (the live database, an existing file, an empty scope)."""


def safe_text(text: str) -> str:
    """Text that starts like a formula, behind a leading apostrophe (shown, never run)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_cell(value: Any) -> Any:
    """Lists and maps as JSON; text that starts like a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return safe_text(value)
    return value


def check_target(out: Path, *, protected: Iterable[Path] = (), force: bool = False) -> Path:
    """The resolved export path, refused if it would touch a protected path (a database file, its WAL and
    other side files, or anything inside it when it is a folder), is a folder, or exists without ``force``."""
    target = out.expanduser().resolve()
    for guarded in protected:
        live = guarded.expanduser().resolve()
        beside = target.parent == live.parent and target.name.startswith(live.name + ".")
        if target == live or live in target.parents or beside:
            raise ExportError(
                f"{out}：不会覆盖 {guarded} 处的数据库，请换一个文件 / "
                f"{out}: refusing to write over the database at {guarded}; choose another file"
            )
    if target.is_dir():
        raise ExportError(f"{out}：是文件夹，请给出文件名 / {out}: is a folder; give a file name")
    if target.exists() and not force:
        raise ExportError(f"{out}：已存在，可加 --force 替换 / {out}: already exists; pass --force to replace it")
    return target


@contextlib.contextmanager
def atomic_path(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out`` to write to; renamed onto ``out`` when the block ends without error,
    deleted otherwise, so an interrupted export never leaves a truncated file under the real name."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        temp.chmod(0o644)  # mkstemp's 0600 would hide a file meant to be published
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)


def workbook_bytes(sheets: dict[str, tuple[list[str], list[dict[str, Any]]]]) -> bytes:
    """An .xlsx with one sheet per entry (name → columns and rows); every cell passed through ``safe_cell``."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    if workbook.active is not None:
        workbook.remove(workbook.active)
    for title, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(columns)
        for row in rows:
            sheet.append([safe_cell(row.get(c)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()
