"""Whether a row rated ``high`` cites a source of recognised standing (``data/source_standing.yaml``).

A row's confidence is the curator's word; the ingest keeps it. But a ``high`` resting only on pages of unknown sites
(a news item copied onto a content farm) is a claim a reader cannot check, and the bundled tables held many. The
ingest says so, once per file and mapping, with the rows and the sites, so that a curator checks the sources or lowers
the rating. A bundled data file cited by its path (``shared/data/raw/…``, ``owner/repo:path``) counts as recognised.
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
_SHOWN_CHARS = 60  # of a site's name
# A host name, as the file lists them (and its subdomains); or a host and a path, for a part of a site that hosts
# anyone's pages (``github.com/huhuaping/techme``: a repository, not the whole of GitHub)
_SITE = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^\s/]+)*")
# A data file by its path: the bundled raw data, or a repository's file (owner/repo:path)
_DATA_FILE = re.compile(r"(?:shared/)?(?:data/)?raw/\S+|[\w.-]+/[\w.-]+:\S+")
_SEPARATORS = re.compile(r"[;；、，\s]+")  # not ",": a cited URL may hold one


@dataclass(frozen=True)
class SourceStanding:
    sites: frozenset[str]  # a host, standing for itself and its subdomains
    parts: frozenset[tuple[str, str]] = frozenset()  # a host and a path: the pages under that path on that host

    @classmethod
    def load(cls, path: Path = STANDING_FILE) -> SourceStanding:
        try:
            doc = yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"（第 {mark.line + 1} 行）" if mark is not None else ""
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ReadError(f"{path}: YAML 格式有误{line} / malformed YAML{where}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ReadError(f"{path}: 无法读取 / cannot be read ({type(exc).__name__})") from None
        if not isinstance(doc, dict):
            raise ReadError(f"{path}: 应为“类别 → 网站列表”的映射 / expected a mapping of a kind → a list of sites")
        sites: set[str] = set()
        parts: set[tuple[str, str]] = set()
        for kind, group in doc.items():
            for site in group or []:  # a kind whose every site is commented out is empty
                if not (isinstance(site, str) and _SITE.fullmatch(site.strip().lower())):
                    raise ReadError(
                        f"{path}: {kind} 中的 {site!r} 不是网站的主机名（如 gov.cn，或 github.com/所有者/仓库） / "
                        f"{site!r} in {kind} is not a site's host name (as gov.cn, or github.com/owner/repo)"
                    )
                host, _, under = site.strip().lower().partition("/")
                if under:
                    parts.add((host, f"/{under}"))
                else:
                    sites.add(host)
        return cls(frozenset(sites), frozenset(parts))

    @functools.cached_property
    def _depth(self) -> int:
        """The most labels a listed site has: a host is matched on its last labels only."""
        return max((site.count(".") + 1 for site in self.sites), default=0)

    def recognised(self, reference: str) -> bool:
        """A page on one of the sites (or a subdomain), or a bundled data file cited by its path."""
        if "://" not in reference and _DATA_FILE.fullmatch(reference):
            return True
        host = host_of(reference)
        if host is None:
            return False
        if self.parts:
            page = _path_of(reference).lower()
            if any(host == site and (page == under or page.startswith(f"{under}/")) for site, under in self.parts):
                return True
        labels = host.split(".")[-self._depth :] if self._depth else []
        return any(".".join(labels[i:]) in self.sites for i in range(len(labels)))


def host_of(reference: str) -> str | None:
    """The host a cited reference names (``www.gov.cn/x`` without its scheme too), lower-cased, without a trailing
    dot; None where it names none or cannot be read (a full-width slash in the host, a broken IPv6 address)."""
    try:
        host = urlsplit(_with_scheme(reference)).hostname
    except ValueError:
        return None
    return (host.rstrip(".") or None) if host else None


def _path_of(reference: str) -> str:
    try:
        return urlsplit(_with_scheme(reference)).path.rstrip("/")
    except ValueError:
        return ""


def _with_scheme(reference: str) -> str:
    return reference if "://" in reference else f"http://{reference}"


@functools.cache
def bundled_standing() -> SourceStanding | None:
    """The bundled list; None where a curator's edit broke it (the check is then skipped, and the run says so)."""
    try:
        return SourceStanding.load()
    except ReadError:
        return None


def references(cited: str) -> list[str]:
    """A row's cited sources: one cell may hold several, separated by ``;``, ``；``, ``、``, ``，`` or spaces."""
    return [part for part in _SEPARATORS.split(cited) if part]


def check_high_ratings(
    records: Iterable[NodeRecord], file: str, report: Report, column: str | None, standing: SourceStanding | None
) -> None:
    """One warning for the rows rated high (of this file, as one mapping reads it) whose every cited source is of
    unknown standing; one in the run that the check could not be made, where the list could not be read."""
    if standing is None:  # said once a run, of the list's own file
        unread = (
            "来源公认程度清单无法读取，未检查标为高可信度的行所引来源 / the list of sources of recognised standing "
            "cannot be read: the sources of rows rated high were not checked"
        )
        if not any(issue.reason == unread for issue in report.issues):
            report.warning(f"data/{STANDING_FILE.name}", unread)
        return
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
        sites.update({(host_of(ref) or ref)[:_SHOWN_CHARS] for ref in cited} or {"—"})
    if not rows:
        return
    more = " …" if len(rows) > _SHOWN else ""
    rows_zh, rows_en = "、".join(map(str, rows[:_SHOWN])) + more, ", ".join(map(str, rows[:_SHOWN])) + more
    shown_sites = ", ".join(site for site, _ in sites.most_common(_SHOWN)) + (" …" if len(sites) > _SHOWN else "")
    counted_en = "1 row is" if len(rows) == 1 else f"{len(rows)} rows are"
    report.warning(
        file,
        f"{len(rows)} 行标为高可信度，但所引来源中没有一个是公认的官方、交易所、百科或主流媒体网站或数据文件"
        f"（第 {rows_zh} 行；网站：{shown_sites}）：请核对来源或调低可信度，或把可信的网站加入 "
        f"data/source_standing.yaml / {counted_en} rated high, but none of the sources each cites is an official, "
        f"exchange, encyclopedia or press-of-record site, or a data file (rows {rows_en}; sites: {shown_sites}): "
        "check the sources or lower the rating, or add a trusted site to data/source_standing.yaml",
        column=column,
    )
