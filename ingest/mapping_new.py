"""A starting mapping for a curator's file, guessed from its header and sample values (``ckg mapping new``).

The guesses are conservative: a column becomes a property, link or provenance column only when most of its
sampled values look the part (统一社会信用代码 with a valid check character, years, dates, URLs, Guangdong's
city names, the 20 clusters' names) or its header names an ontology property (``成立年份``, ``notes``). Every
other column is listed as a comment. The text written always passes ``ckg mapping check``; the curator
still reads it line by line.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from graph.ids import uscc_problem
from graph.schema import NodeClass, Schema, camel_to_snake
from ingest.mapping_schema import MappingError, did_you_mean, mappable_properties
from ingest.normalize import clean_header, clean_value, split_list
from ingest.readers import ReadError, read_table
from ingest.values import ValueProblemError, as_date, as_year

log = logging.getLogger(__name__)

SAMPLE = 200  # rows looked at per column
MOST = 0.6  # the share of sampled values that must fit a guess
NAME_HEADERS = ("名称", "name", "单位", "机构", "企业", "公司", "实验室", "中心")
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Guess:
    column: str
    line: str  # the YAML line (a property entry, a link item, a provenance key) or a comment
    kind: str  # "property", "link", "provenance" or "comment"
    key: str = ""  # the property, relationship or provenance key it fills


@dataclass(frozen=True)
class Gazetteer:
    """Names that mark a column as places or clusters: from the bundled facts (data/facts)."""

    cities: frozenset[str]
    clusters: frozenset[str]

    @classmethod
    def bundled(cls, data_dir: Path) -> Gazetteer:
        def names(file: str, columns: Sequence[str]) -> frozenset[str]:
            try:
                table = read_table(data_dir / "facts" / file)
            except ReadError:
                log.warning("没有用来识别名称的 %s / no %s to recognise names by", file, file)
                return frozenset()
            return frozenset(clean_value(r.values.get(c, "")) for r in table.rows for c in columns) - {""}

        cities = names("cities.csv", ("name_zh", "name_en"))
        return cls(cities=cities | {c.removesuffix("市") for c in cities}, clusters=names("clusters.csv", ("name_zh",)))


def _share(values: Sequence[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _converts(convert: Callable[[str], object]) -> Callable[[str], bool]:
    def test(text: str) -> bool:
        try:
            convert(text)
        except ValueProblemError:
            return False
        return True

    return test


def _names(known: frozenset[str]) -> Callable[[str], bool]:
    """A known name, or the start of one (``汽车`` for ``汽车产业``)."""
    return lambda text: text in known or (len(text) >= 2 and any(name.startswith(text) for name in known))


def _is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def _q(text: str) -> str:
    """A YAML scalar that reads back as the same text (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _typed_property(cls: NodeClass, datatype: str, header: str) -> str | None:
    """The class's property of this XSD type whose name or label is closest to the header."""
    candidates = [p for p in cls.properties if p.datatype == XSD + datatype]
    for prop in candidates:
        if prop.labels.zh in header or header in (prop.name, prop.labels.zh):
            return prop.name
    founded = [p.name for p in candidates if "founded" in p.name]
    if founded and re.search("成立|设立|founded|established", header):
        return founded[0]
    return candidates[0].name if candidates else None


def guess_column(column: str, values: list[str], cls: NodeClass, schema: Schema, places: Gazetteer) -> Guess:
    """What one column most likely is, from its header and sampled values."""
    parts = [p for v in values for p in split_list(v)]
    labels = {p.labels.zh: p.name for p in cls.properties} | {p.name: p.name for p in cls.properties}
    own = mappable_properties(cls)
    prop = labels.get(column) if labels.get(column) in own else None
    if _share(values, lambda v: v.startswith(("http://", "https://"))) >= MOST:
        return Guess(column, f"url: {_q(column)}", "provenance", "url")
    if column in ("confidence", "置信度", "可信度"):
        return Guess(column, f"confidence: {_q(column)}", "provenance", "confidence")
    if "uscc" in own and _share(values, lambda v: uscc_problem(v.upper().replace(" ", "")) is None) >= MOST:
        return Guess(column, f"uscc: {{column: {_q(column)}, type: uscc}}", "property", "uscc")
    cluster_rel = "IN_CLUSTER" if cls.name in schema.relationships["IN_CLUSTER"].domain else "SERVES_CLUSTER"
    for rel, resolver, names in (("LOCATED_IN", "place", places.cities), (cluster_rel, "cluster", places.clusters)):
        if cls.name in schema.relationships[rel].domain and _share(parts, _names(names)) >= MOST:
            split = ", split: true" if len(parts) > len(values) else ""
            return Guess(column, f"- {{type: {rel}, column: {_q(column)}, to: {resolver}{split}}}", "link", rel)
    year = _typed_property(cls, "gYear", column)
    if year and re.fullmatch(r"\d{4}年?", values[0] if values else "") and _share(values, _converts(as_year)) >= MOST:
        return Guess(column, f"{year}: {{column: {_q(column)}, type: year}}", "property", year)
    date = _typed_property(cls, "date", column)
    if date and _share(values, _converts(as_date)) >= MOST:
        return Guess(column, f"{date}: {{column: {_q(column)}, type: date}}", "property", date)
    if prop is None and any(word in column for word in NAME_HEADERS):
        prop = "name_zh" if _share(values, _is_chinese) >= MOST else "name_en"
    if prop in ("name_zh", "name_en"):
        required = ", type: name, required: true" if prop == "name_zh" else ""
        return Guess(column, f"{prop}: {{column: {_q(column)}{required}}}", "property", prop)
    if prop is not None:
        return Guess(column, f"{prop}: {{column: {_q(column)}}}", "property", prop)
    shown = ", ".join(values[:3])[:80]
    return Guess(
        column,
        f"# {column}（如 {shown}）：未映射，可映射到一个属性或略去 / "
        f"{column} (e.g. {shown}): not mapped; map it to a property or leave it out",
        "comment",
    )


def _dedupe(guesses: list[Guess], table_columns: list[str], samples: dict[str, list[str]]) -> list[Guess]:
    """One column per property, link type column and provenance key: later ones become comments."""
    seen: set[tuple[str, str]] = set()
    out: list[Guess] = []
    for guess in guesses:
        key = (guess.kind, guess.key if guess.kind != "link" else guess.column)
        taken = guess.kind != "comment" and key in seen
        seen.add(key)
        out.append(
            Guess(
                guess.column,
                f"# {guess.column}：也像 {guess.key}，已映射 / also {guess.key}, already mapped",
                "comment",
            )
            if taken
            else guess
        )
    if not any(g.key == "name_zh" for g in out) and table_columns:  # every node needs a name to be found by
        first = next((c for c in table_columns if _share(samples[c], _is_chinese) >= MOST), table_columns[0])
        line = f"name_zh: {{column: {_q(first)}, type: name, required: true}}"
        out = [Guess(first, line, "property", "name_zh") if g.column == first else g for g in out]
    return out


def guess_mapping(data_file: Path, schema: Schema, class_name: str = "Enterprise", sheet: str | None = None) -> str:
    """The text of a starting mapping for ``data_file``; MappingError for an unknown class, ReadError for a data file
    that cannot be read (the command line names the data file, not the mapping, as what is wrong)."""
    names = [c.name for c in schema.node_classes]
    if class_name not in names:
        raise MappingError(
            f"未知的类 {class_name!r} / unknown class {class_name!r}; {did_you_mean(class_name, names, 'classes')}"
        )
    table = read_table(data_file, sheet=sheet)
    cls = schema.node_class(class_name)
    first = list(itertools.islice(table.rows, SAMPLE))
    samples = {c: [v for r in first if (v := clean_value(r.values.get(c, "")))] for c in table.header}
    places = Gazetteer.bundled(Path(__file__).resolve().parent.parent / "data")
    guesses = _dedupe([guess_column(c, samples[c], cls, schema, places) for c in table.header], table.header, samples)
    return _render(data_file, cls, schema, guesses, len(table.rows))


def _render(data_file: Path, cls: NodeClass, schema: Schema, guesses: list[Guess], rows: int) -> str:
    props = [g for g in guesses if g.kind in ("property", "comment")]
    links = [g for g in guesses if g.kind == "link"]
    provenance = ", ".join(g.line for g in guesses if g.kind == "provenance")
    key = "value: uscc, key: name_zh" if any(g.key == "uscc" for g in guesses) else "key: name_zh"
    reachable = [f"{r.name} → {'/'.join(r.range)}" for r in schema.relationships.values() if cls.name in r.domain]
    lines = [
        f"# {data_file.name} 的初始映射，由 `ckg mapping new` 据其 {rows} 行猜出 / "
        f"A starting mapping for {data_file.name}, guessed by `ckg mapping new` from its {rows} rows.",
        "# 请逐行核对，然后 / Read every line, then: ckg mapping check THIS.yaml --data " + data_file.name,
        "# 映射语言见 / The mapping language: docs/MAPPINGS.md.",
        "# 类 / Classes (node.class): " + ", ".join(c.name for c in schema.node_classes if c.name != "IngestRun"),
        f"# {cls.name} 的属性 / Properties of {cls.name} (node.properties): " + ", ".join(mappable_properties(cls)),
        f"# {cls.name} 发出的关系 / Relationships from {cls.name} (links): " + "; ".join(reachable),
        f"source: {_q(clean_header(data_file.stem))}",
        f"description: {_q(data_file.stem)}",
        f"file: {_q(data_file.name)}",
        f"# 行数范围据本文件的 {rows} 行猜出，被截断的文件会低于 min / "
        f"bounds guessed from this file's {rows} rows: a truncated file falls below min",
        f"rows: {{min: {max(1, rows * 8 // 10)}, max: {max(rows * 2, rows + 10)}}}",
        "node:",
        f"  class: {cls.name}",
        f"  id: {{prefix: {camel_to_snake(cls.name)}, {key}}}",
        "  properties:",
        *(f"    {g.line}" for g in props),
        f"provenance: {{{provenance}}}" if provenance else "# provenance: {url_value: <名单的网页 / the list's page>}",
    ]
    if links:
        lines += ["links:", *(f"  {g.line}" for g in links)]
    return "\n".join(lines) + "\n"
