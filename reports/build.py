"""Make reports: open the graph as of an edition once, share its query answers, attach the changes since an
earlier edition, and write the format asked for."""

from __future__ import annotations

import hashlib
import logging
import re
from contextlib import ExitStack
from types import TracebackType

from graph.editions import CURRENT, edition_store, get_edition, list_editions
from graph.store import GraphStore
from reports.context import Queries, ReportContext, city_context, cluster_context
from reports.diff import EditionDiff, diff_editions

log = logging.getLogger(__name__)
FORMATS = ("docx", "html", "xlsx")
AUTO = "auto"


def previous_edition(store: GraphStore, edition: str) -> str | None:
    """The edition before ``edition`` (the latest one for the current graph), or None."""
    names = [e.name for e in list_editions(store)]
    if edition == CURRENT:
        return names[-1] if names else None
    index = names.index(edition) if edition in names else 0
    return names[index - 1] if index > 0 else None


class Reporter:
    """Reports of one edition (``current``: the graph as it is), compared with ``since`` (``auto``: the
    edition before it; None: no comparison). Use as a context manager."""

    def __init__(self, store: GraphStore, edition: str = CURRENT, since: str | None = AUTO) -> None:
        self.store = store
        self.edition = edition
        if edition != CURRENT:
            get_edition(store, edition)  # an unknown edition fails here, before any work
        self.since = previous_edition(store, edition) if since == AUTO else since
        if self.since not in (None, CURRENT):
            get_edition(store, self.since)
        self._stack = ExitStack()
        self._queries: Queries | None = None
        self._diff: EditionDiff | None = None

    def __enter__(self) -> Reporter:
        reading = self.store
        if self.edition != CURRENT:
            reading = self._stack.enter_context(edition_store(self.store, self.edition))
        self._queries = Queries(reading)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stack.close()

    @property
    def queries(self) -> Queries:
        if self._queries is None:
            raise RuntimeError("use Reporter as a context manager")
        return self._queries

    def diff(self) -> EditionDiff | None:
        if self.since is None:
            return None
        if self._diff is None:
            self._diff = diff_editions(self.store, self.since, self.edition)
        return self._diff

    def cities(self) -> list[str]:
        return list(self.queries.cities())

    def context(self, scope: str, key: str) -> ReportContext:
        if scope == "city":
            ctx = city_context(self.queries, key, edition=self.edition, since=self.since)
        else:
            ctx = cluster_context(self.queries, key, edition=self.edition, since=self.since)
        changes = self.diff()
        if changes is not None:
            ctx.changes = changes.scoped(city=ctx.key) if scope == "city" else changes.scoped(cluster=ctx.key)
        return ctx


def render(ctx: ReportContext, fmt: str, *, charts: bool = True) -> bytes:
    """The report as a file's bytes: docx (GB/T 9704 layout), html (self-contained) or xlsx (the tables)."""
    if fmt == "docx":
        from reports.docx_writer import docx_bytes

        return docx_bytes(ctx, charts=charts)
    if fmt == "html":
        from reports.html_writer import html_bytes

        return html_bytes(ctx, charts=charts)
    if fmt == "xlsx":
        from reports.xlsx_writer import xlsx_bytes

        return xlsx_bytes(ctx)
    raise ValueError(
        f"没有报告格式 {fmt!r}；可选：{'、'.join(FORMATS)} / unknown report format {fmt!r}: {', '.join(FORMATS)}"
    )


def file_name(ctx: ReportContext, fmt: str) -> str:
    """The report's file name: one name in a folder, whatever its city's or cluster's name holds."""
    return f"创新体系执行情况_{_file_part(ctx.key)}_{ctx.edition}.{fmt}"


_FILE_PART_MAX = 96  # bytes of a key kept in a file name (a name's whole is at most 255 bytes)
# What a file name may not hold, or a shell or another system would read otherwise: a path's separators, a drive's
# colon, Windows' reserved marks, white space and controls, the bidi controls (a file named "a\u202efdp.exe" lists
# as "aexe.pdf"), and ``~``, which marks a name changed here
_NOT_IN_A_NAME = re.compile(r'[/\\:*?"<>|~\s\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]')


def _file_part(key: str) -> str:
    """A city's or a cluster's name as part of a file name, each character it may not hold made ``_``. A name that
    loses one, or is cut (at 96 bytes), gets ``~`` and its digest's first 8 digits, which no name kept as it is can
    end with: two names stay two files. A city named ``../../x`` wrote its report outside the folder asked for."""
    part = _NOT_IN_A_NAME.sub("_", key.encode("utf-8", "replace").decode())  # a lone surrogate: "?", then "_"
    part = part.encode()[:_FILE_PART_MAX].decode("utf-8", "ignore")
    if part == key:
        return part
    return f"{part}~{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
