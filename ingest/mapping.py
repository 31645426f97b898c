"""Declarative mappings: one YAML file per source says how its rows become nodes and relationships.

A mapping names the file, the expected row-count bounds, rows to skip (aggregates, other provinces),
the node class with its id rule and typed properties, the provenance columns, and the links to
resolve. ``load_mapping`` checks it against the mapping schema (ingest/mapping_schema.py, checked by
ingest/mapping_checks.py) before any row is read and turns it into a ``SourceMapping``; ``check_columns``
checks every column it names against a file's header. ingest/mapping_apply.py turns a table into records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.schema import Schema
from ingest.mapping_checks import check_mapping
from ingest.mapping_schema import (
    RESOLVERS,
    KeyPath,
    MappingError,
    MappingIssue,
    MappingSpec,
    SkipSpec,
    did_you_mean,
    dotted,
    line_of,
)
from ingest.normalize import clean_header, clean_value
from ingest.readers import SourceRow

__all__ = [
    "RESOLVERS",
    "MappingError",
    "MappingIssue",
    "SourceMapping",
    "check_columns",
    "load_mapping",
]


@dataclass(frozen=True)
class PropertyRule:
    name: str
    column: str | None
    type: str = "text"
    required: bool = False
    value: Any = None  # a constant instead of a column
    options: dict[str, Any] = field(default_factory=dict)
    priority: int | None = None  # this source's precedence for this property only; lower wins


@dataclass(frozen=True)
class SkipRule:
    """Rows that are not entities of this source (aggregates, other provinces): counted as skipped."""

    column: str
    reason: str
    contains: str | None = None
    equals: str | None = None
    not_equals: str | None = None
    not_in: tuple[str, ...] | None = None
    not_startswith: str | None = None

    def matches(self, row: SourceRow) -> bool:
        value = clean_value(row.values.get(self.column, ""))
        return (
            (self.contains is not None and self.contains in value)
            or (self.equals is not None and value == self.equals)
            or (self.not_equals is not None and value != self.not_equals)
            or (self.not_in is not None and value not in self.not_in)
            or (self.not_startswith is not None and not value.startswith(self.not_startswith))
        )


@dataclass(frozen=True)
class LinkRule:
    type: str
    column: str
    resolver: str
    classes: tuple[str, ...] = ()
    split: bool = False
    inbound: bool = False
    required: bool = False
    create: bool = False
    role: str | None = None
    ignore: tuple[str, ...] = ()  # cell values that state no relationship (e.g. the province itself)


@dataclass(frozen=True)
class SourceMapping:
    source: str
    file: str
    node_class: str
    id_prefix: str
    id_key: tuple[str, ...]  # properties whose values make the minted key
    id_value: str | None  # a property used as the key as it is (admin codes, USCC)
    properties: tuple[PropertyRule, ...]
    links: tuple[LinkRule, ...] = ()
    skips: tuple[SkipRule, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    priority: int = 50
    merge_by_name: bool = True
    alias_columns: tuple[str, ...] = ()
    bracket_alias_from: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    datum: str | None = None  # the source's coordinate datum: gcj02 or bd09 → stored as WGS-84
    description: str = ""
    # Rows that must (may) load after skips and rejections: a skip rule that skips every row breaks min_loaded.
    min_loaded: int = 0
    max_loaded: int | None = None
    path: str = ""  # the mapping file, for messages
    key_lines: dict[KeyPath, int] = field(default_factory=dict, compare=False, repr=False)  # key path → YAML line


def load_mapping(path: Path, schema: Schema) -> SourceMapping:
    """The mapping in ``path``, checked against the mapping schema and the ontology; MappingError lists every
    problem with its line. Nothing here reads the data file: columns are checked by ``apply_mapping``."""
    spec, lines = check_mapping(path, schema)
    return _build(spec, str(path), lines)


def _build(spec: MappingSpec, path: str, lines: dict[KeyPath, int]) -> SourceMapping:
    node, rows = spec.node, spec.rows
    props = tuple(
        PropertyRule(
            name=name,
            column=clean_header(prop.column) if prop.column else None,
            type=prop.type,
            required=prop.required,
            value=prop.value,
            options=dict(prop.options),
            priority=prop.priority,
        )
        for name, prop in node.properties.items()
    )
    links = tuple(
        LinkRule(
            type=link.type,
            column=clean_header(link.column),
            resolver=link.to,
            classes=tuple(link.classes),
            split=link.split,
            inbound=link.direction == "in",
            required=link.required,
            create=link.create,
            role=link.role,
            ignore=tuple(link.ignore),
        )
        for link in spec.links
    )
    provenance = spec.provenance.model_dump(exclude_none=True)
    for key in ("url", "confidence"):  # columns compare as the reader's headers do
        if key in provenance:
            provenance[key] = clean_header(provenance[key])
    return SourceMapping(
        source=spec.source,
        file=spec.file,
        node_class=node.class_,
        id_prefix=node.id.prefix,
        id_key=tuple(node.id.key),
        id_value=node.id.value,
        properties=props,
        links=links,
        skips=tuple(_skip_rule(rule) for rule in spec.skip),
        min_rows=rows.min,
        max_rows=rows.max,
        priority=node.priority,
        merge_by_name=node.merge_by_name,
        alias_columns=tuple(clean_header(c) for c in node.aliases.columns),
        bracket_alias_from=node.aliases.from_brackets,
        provenance=provenance,
        sheet=spec.sheet,
        datum=node.datum,
        description=spec.description,
        # a file expected to have rows must load at least one, unless the mapping says otherwise
        min_loaded=rows.min_loaded if rows.min_loaded is not None else int(rows.min > 0),
        max_loaded=rows.max_loaded,
        path=path,
        key_lines=lines,
    )


def _skip_rule(rule: SkipSpec) -> SkipRule:
    return SkipRule(
        column=clean_header(rule.column),
        reason=rule.reason,
        contains=rule.contains,
        equals=rule.equals,
        not_equals=rule.not_equals,
        not_in=tuple(rule.not_in) if rule.not_in is not None else None,
        not_startswith=rule.not_startswith,
    )


@dataclass(frozen=True)
class ColumnRef:
    column: str  # as the reader's header names it (clean_header)
    key: KeyPath  # where the mapping names it


def column_refs(mapping: SourceMapping) -> Iterator[ColumnRef]:
    """Every column the mapping reads, with the key that names it."""
    for rule in mapping.properties:
        if rule.column:
            yield ColumnRef(rule.column, ("node", "properties", rule.name, "column"))
    for i, skip in enumerate(mapping.skips):
        yield ColumnRef(skip.column, ("skip", i, "column"))
    for i, link in enumerate(mapping.links):
        yield ColumnRef(link.column, ("links", i, "column"))
    for key in ("url", "confidence"):
        if mapping.provenance.get(key):
            yield ColumnRef(mapping.provenance[key], ("provenance", key))
    for i, column in enumerate(mapping.alias_columns):
        yield ColumnRef(column, ("node", "aliases", "columns", i))


def check_columns(mapping: SourceMapping, header: list[str], data_file: str) -> list[tuple[ColumnRef, MappingIssue]]:
    """Each column the mapping names that the file's header lacks, as an issue with the closest real header."""
    present = set(header)
    return [
        (
            ref,
            MappingIssue(
                mapping.path or mapping.source,
                line_of(mapping.key_lines, ref.key),
                dotted(ref.key),
                f"文件 {data_file} 没有列 {ref.column!r} / the file {data_file} has no column {ref.column!r}",
                did_you_mean(ref.column, header, "file's columns"),
            ),
        )
        for ref in column_refs(mapping)
        if ref.column not in present
    ]
