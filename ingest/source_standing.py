"""Whether a row rated ``high`` cites a source of recognised standing (``data/source_standing.yaml``).

A row's confidence is the curator's word; the ingest keeps it. But a ``high`` resting only on pages of unknown sites
(a news item copied onto a content farm) is a claim a reader cannot check, and the bundled tables held many. The
ingest says so, once per file, with the rows and the sites, so that a curator checks the sources or lowers the
rating. A data file cited by its path (``shared/data/raw/…``, ``owner/repo:path``) counts as recognised.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ingest.records import NodeRecord
from ingest.report import Report
from ingest.source_table import ReadError

STANDING_FILE = Path(__file__).resolve().parent.parent / "data" / "source_standing.yaml"
HIGH = "high"
_SHOWN = 10  # rows and sites named in the warning


@dataclass(frozen=True)
class SourceStanding:
    sites: frozenset[str]  # a host, standing for itself and its subdomains

    @classmethod
    def load(cls, path: Path = STANDING_FILE) -> SourceStanding:
        try:
            doc = yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ReadError(f"{path}: 无法读取 / cannot be read ({type(exc).__name__})") from None
        groups = list(doc.values()) if isinstance(doc, dict) else [None]
        sites: list[str] = []
        for group in groups:
            if not (isinstance(group, list) and all(isinstance(site, str) for site in group)):
                raise ReadError(f"{path}: 应为“类别 → 网站列表”的映射 / expected a mapping of a kind → a list of sites")
            sites.extend(site.strip().lower() for site in group)
        return cls(frozenset(sites))

    def recognised(self, reference: str) -> bool:
        """A page on one of the sites (or a subdomain), or a data file cited by its path."""
        if "://" not in reference:
            return "/" in reference
        host = (urlsplit(reference).hostname or "").lower()
        parts = host.split(".")
        return any(".".join(parts[i:]) in self.sites for i in range(len(parts)))


@functools.cache
def bundled() -> SourceStanding:
    return SourceStanding.load()


def references(cited: str) -> list[str]:
    """A row's cited sources: one cell may hold several, separated by ``;``, ``；`` or spaces."""
    return [part for part in re.split(r"[;；\s]+", cited) if part]


def check_high_ratings(
    records: Iterable[NodeRecord], file: str, report: Report, column: str | None, standing: SourceStanding
) -> None:
    """One warning for the file's rows rated high whose every cited source is of unknown standing."""
    rows: list[int] = []
    sites: Counter[str] = Counter()
    for record in records:
        provenance = record.provenance
        if (provenance.confidence or "").lower() != HIGH:
            continue
        cited = references(provenance.url or "")
        if any(standing.recognised(ref) for ref in cited):
            continue
        rows.append(provenance.row)
        sites.update({urlsplit(ref).hostname or ref for ref in cited} or {"—"})
    if not rows:
        return
    more = " …" if len(rows) > _SHOWN else ""
    rows_zh, rows_en = "、".join(map(str, rows[:_SHOWN])) + more, ", ".join(map(str, rows[:_SHOWN])) + more
    shown_sites = ", ".join(site for site, _ in sites.most_common(_SHOWN)) + (" …" if len(sites) > _SHOWN else "")
    report.warning(
        file,
        f"{len(rows)} 行标为高可信度，但所引来源中没有一个是公认的官方、交易所、百科或主流媒体网站或数据文件"
        f"（第 {rows_zh} 行；网站：{shown_sites}）：请核对来源或调低可信度，或把可信的网站加入 "
        f"data/source_standing.yaml / {len(rows)} rows are rated high, but none of the sources each cites is an "
        f"official, exchange, encyclopedia or press-of-record site, or a data file (rows {rows_en}; sites: "
        f"{shown_sites}): check the sources or lower the rating, or add a trusted site to data/source_standing.yaml",
        column=column,
    )
