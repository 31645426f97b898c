"""The reviewed crosswalk tables under data/crosswalks/ (see its README): codes, names and keywords → clusters.

Each row names zero or more cluster codes; an empty ``clusters`` cell is a decision (a bank belongs to
no cluster), not a gap. Lookups return the row that matched, so a tie can say exactly why it exists.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from graph.ids import match_key
from ingest.reference_rows import Filled, reference_rows
from ingest.report import Report

CROSSWALK_DIR = "crosswalks"


@dataclass(frozen=True)
class Row:
    file: str  # data-folder-relative, for the evidence
    line: int
    key: str
    name: str
    clusters: tuple[str, ...]
    confidence: str

    @property
    def evidence(self) -> str:
        shown = self.key if self.name in ("", self.key) else f"{self.key} {self.name}"
        return f"{shown} ({self.file}:{self.line})"


def _rows(
    path: Path, data_dir: Path, columns: Sequence[str], report: Report | None, filled: Sequence[Filled]
) -> Iterator[dict[str, str]]:
    for line, row in reference_rows(path, data_dir, columns, report, filled):
        row["_line"] = str(line)
        row["_file"] = path.relative_to(data_dir).as_posix()
        yield row


def _row(raw: dict[str, str], key: str, name: str = "") -> Row:
    clusters = tuple(c.strip() for c in (raw.get("clusters") or "").split(";") if c.strip())
    return Row(raw["_file"], int(raw["_line"]), key, name, clusters, (raw.get("confidence") or "medium").strip())


@dataclass
class Crosswalks:
    listed: dict[tuple[str, str], Row]  # (scheme, code) → row; scheme tushare | sw2021
    gbt4754: dict[str, Row]
    programmes: dict[str, Row]
    keywords: list[Row]  # longest first
    disciplines: dict[tuple[str, str], Row]  # (scheme, match-key of name or code) → row
    # Keywords by the first two characters of their lower-case form, in ``keywords`` order, so that a text
    # is tried only against keywords that can occur in it (1,200 keywords × every entity was most of a run).
    _by_prefix: dict[str, list[tuple[int, str, Row]]] | None = field(default=None, init=False, repr=False)
    _single: list[tuple[int, str, Row]] = field(default_factory=list, init=False, repr=False)

    @classmethod
    def load(cls, data_dir: Path, report: Report | None = None) -> Crosswalks:
        """The crosswalks in the data folder; a table's problems go into ``report`` (ingest/reference_rows.py)."""
        folder = data_dir / CROSSWALK_DIR
        if not folder.is_dir():
            return cls({}, {}, {}, [], {})

        def rows(
            name: str, keys: tuple[str, ...], *others: str, filled: Sequence[Filled] = ()
        ) -> Iterator[dict[str, str]]:
            # every table says its clusters and confidence; a row without its keys is reported and not used
            return _rows(folder / name, data_dir, (*keys, *others, "clusters", "confidence"), report, filled or keys)

        listed = {
            (r["scheme"], r["code"]): _row(r, r["code"], r["name"])
            for r in rows("listed_industry.csv", ("scheme", "code"), "name")
        }
        gbt = {r["code"]: _row(r, r["code"], r["name"]) for r in rows("gbt4754.csv", ("code",), "name")}
        programmes = {r["programme"]: _row(r, r["programme"]) for r in rows("key_rd_programmes.csv", ("programme",))}
        keywords = sorted(
            (_row(r, r["keyword"].strip()) for r in rows("keywords.csv", ("keyword",))), key=lambda k: -len(k.key)
        )
        disciplines: dict[tuple[str, str], Row] = {}
        for r in rows("disciplines.csv", ("scheme", "code", "name"), filled=("scheme", ("code", "name"))):
            row = _row(r, r["code"] or r["name"], r["name"])
            for text in (r["code"], r["name"]):
                if text:
                    disciplines.setdefault((r["scheme"], match_key(text)), row)
        return cls(listed, gbt, programmes, keywords, disciplines)

    def gbt_code(self, code: str) -> Row | None:
        """The longest code prefix with a row."""
        for end in range(len(code), 0, -1):
            row = self.gbt4754.get(code[:end])
            if row is not None:
                return row
        return None

    def keyword_rows(self, text: str) -> list[Row]:
        """Keywords found in the text, longest first; a keyword inside a longer match does not count
        (食品安全 matches, 安全 inside it does not). Chinese keywords match as substrings, English ones
        as whole words, ignoring case."""
        found: list[Row] = []
        taken: list[tuple[int, int]] = []
        lowered = text.lower()
        for _, key, row in self._candidates(lowered):
            start = lowered.find(key)
            while start >= 0:
                end = start + len(key)
                whole = not key.isascii() or not (
                    (start > 0 and lowered[start - 1].isalnum()) or (end < len(lowered) and lowered[end].isalnum())
                )
                if whole and not any(a <= start and end <= b for a, b in taken):
                    taken.append((start, end))
                    found.append(row)
                    break
                start = lowered.find(key, start + 1)
        return found

    def _candidates(self, lowered: str) -> list[tuple[int, str, Row]]:
        """The keywords that occur somewhere in the text, in ``keywords`` order (the order decides ties)."""
        if self._by_prefix is None:
            self._by_prefix = {}
            for order, row in enumerate(self.keywords):
                key = row.key.lower()
                if len(key) < 2:
                    self._single.append((order, key, row))
                else:
                    self._by_prefix.setdefault(key[:2], []).append((order, key, row))
        hits = [entry for entry in self._single if entry[1] in lowered]
        for prefix in {lowered[i : i + 2] for i in range(len(lowered) - 1)}:
            hits.extend(entry for entry in self._by_prefix.get(prefix, ()) if entry[1] in lowered)
        hits.sort(key=lambda entry: entry[0])
        return hits
