"""Declarative mappings: one YAML file per source says how its rows become nodes and relationships.

A mapping names the file, the expected row-count bounds, rows to skip (aggregates, other provinces),
the node class with its id rule and typed properties, the provenance columns, and the links to
resolve. ``load_mapping`` checks it against the mapping schema (ingest/mapping_schema.py) before any row is
read; ``apply_mapping`` checks every named column against the file's header, then turns the table into
records and reports every problem by row and column.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.ids import mint_key
from graph.schema import Schema
from ingest.geo import TO_WGS84
from ingest.mapping_schema import (
    RESOLVERS,
    KeyPath,
    MappingError,
    MappingIssue,
    MappingSpec,
    SkipSpec,
    check_mapping,
    did_you_mean,
    dotted,
    line_of,
)
from ingest.normalize import bracket_alias, clean_header, clean_value, looks_like_formula, split_list
from ingest.readers import SourceRow, Table
from ingest.records import NodeRecord, PendingLink, Provenance, TargetRef
from ingest.report import Level, Report
from ingest.values import CONVERTERS, ValueProblemError

__all__ = [
    "RESOLVERS",
    "MappingError",
    "MappingIssue",
    "SourceMapping",
    "apply_mapping",
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
                f"the file {data_file} has no column {ref.column!r}",
                did_you_mean(ref.column, header, "file's columns"),
            ),
        )
        for ref in column_refs(mapping)
        if ref.column not in present
    ]


def apply_mapping(
    mapping: SourceMapping, table: Table, file: str, report: Report
) -> tuple[list[NodeRecord], list[PendingLink]]:
    """Rows → node records and pending links; problems into the report; every row accounted for."""
    account = report.account(file, mapping.source)
    account.sha256 = table.sha256
    for row_no, column, value, reason in table.row_problems:
        report.error(file, reason, row=row_no, column=column, value=value)
        if column is None:
            account.read += 1
            account.rejected += 1
    missing = check_columns(mapping, table.header, file)
    if missing:  # a misspelt column would silently empty a property, or make a skip rule skip every row
        columns = sorted({ref.column for ref, _ in missing})
        report.error(file, f"the file lacks the column(s) {', '.join(columns)} that the mapping {mapping.source} needs")
        for ref, issue in missing:
            report.error(file, issue.describe(), column=ref.column)
        account.read += len(table.rows)
        account.rejected += len(table.rows)
        account.bounds_ok = False
        return [], []
    nodes: list[NodeRecord] = []
    links: list[PendingLink] = []
    skipped: dict[SkipRule, list[int]] = {}
    first_with_id: dict[str, NodeRecord] = {}
    for row in table.rows:
        account.read += 1
        skip = next((s for s in mapping.skips if s.matches(row)), None)
        if skip is not None:
            account.skipped += 1
            skipped.setdefault(skip, []).append(row.row)
            continue
        record = _node_record(mapping, row, file, report)
        if record is None:
            account.rejected += 1
            continue
        account.loaded += 1
        earlier = first_with_id.setdefault(record.id, record)
        if earlier is not record and earlier.props != record.props:
            differing = sorted(
                k for k in set(earlier.props) | set(record.props) if earlier.props.get(k) != record.props.get(k)
            )
            report.warning(
                file,
                f"same key as row {earlier.provenance.row} with different values "
                f"({', '.join(differing)}); the earlier row's values are kept",
                row=row.row,
                column=mapping.id_value or ",".join(mapping.id_key),
                value=record.id,
            )
        nodes.append(record)
        links.extend(_pending_links(mapping, record, row))
    for skip, rows in skipped.items():
        shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
        report.add(Level.INFO, file, f"{len(rows)} rows skipped: {skip.reason} (rows {shown})", column=skip.column)
    _check_bounds(mapping, table, file, report)
    return nodes, links


def _check_bounds(mapping: SourceMapping, table: Table, file: str, report: Report) -> None:
    """Rows read must fit rows.min–max (a truncated or wrong file); rows loaded must fit min_loaded–max_loaded."""
    account = report.account(file, mapping.source)
    count = len(table.rows) + sum(1 for p in table.row_problems if p[1] is None)
    if count < mapping.min_rows or (mapping.max_rows is not None and count > mapping.max_rows):
        account.bounds_ok = False
        report.error(
            file,
            f"{count} rows, outside the expected {mapping.min_rows}–{mapping.max_rows} (a truncated or wrong file?)",
        )
    loaded = account.loaded
    if loaded < mapping.min_loaded or (mapping.max_loaded is not None and loaded > mapping.max_loaded):
        account.bounds_ok = False
        upper = "" if mapping.max_loaded is None else str(mapping.max_loaded)
        report.error(
            file,
            f"{loaded} rows loaded ({account.skipped} skipped, {account.rejected} rejected), outside the expected "
            f"{mapping.min_loaded}–{upper} (a skip rule that matches every row, or a wrong file?)",
        )


def _node_record(mapping: SourceMapping, row: SourceRow, file: str, report: Report) -> NodeRecord | None:
    props: dict[str, Any] = {}
    for rule in mapping.properties:
        if rule.column is None:
            props[rule.name] = rule.value
            continue
        raw = row.values.get(rule.column, "")
        if not clean_value(raw):
            if rule.required:
                report.error(
                    file, f"required value missing for {rule.name}", row=row.row, column=rule.column, value=raw
                )
                return None
            continue
        if looks_like_formula(raw.strip()) and rule.type in ("text", "name"):
            report.warning(
                file,
                "value starts like a spreadsheet formula; kept as plain text",
                row=row.row,
                column=rule.column,
                value=raw,
            )
        try:
            props[rule.name] = CONVERTERS[rule.type](raw, **rule.options)
        except ValueProblemError as exc:
            if rule.required:
                report.error(file, f"{rule.name}: {exc}", row=row.row, column=rule.column, value=raw)
                return None
            report.warning(file, f"{rule.name}: {exc}; value left out", row=row.row, column=rule.column, value=raw)
    if mapping.datum and props.get("latitude") is not None and props.get("longitude") is not None:
        lon, lat = TO_WGS84[mapping.datum](props["longitude"], props["latitude"])
        props["longitude"], props["latitude"] = round(lon, 6), round(lat, 6)
    key = None
    if mapping.id_value and props.get(mapping.id_value) is not None:
        key = str(props[mapping.id_value])
    elif mapping.id_key:
        parts = [str(props.get(p, "")) for p in mapping.id_key]
        key = mint_key(*parts) if any(parts) else None
    if not key:
        report.error(
            file, "no value to identify the row by", row=row.row, column=mapping.id_value or ",".join(mapping.id_key)
        )
        return None
    aliases = [clean_value(a) for col in mapping.alias_columns for a in split_list(row.values.get(col, ""))]
    if mapping.bracket_alias_from:
        alias = bracket_alias(str(props.get(mapping.bracket_alias_from, "")))
        if alias:
            aliases.append(alias)
    if aliases:
        props["aliases"] = sorted(set(aliases) | set(props.get("aliases") or []))
    provenance = Provenance(
        source=mapping.source,
        file=file,
        row=row.row,
        url=clean_value(row.values.get(mapping.provenance.get("url", ""), "")) or mapping.provenance.get("url_value"),
        confidence=clean_value(row.values.get(mapping.provenance.get("confidence", ""), ""))
        or mapping.provenance.get("confidence_value"),
    )
    names = tuple(n for n in [props.get("name_zh"), props.get("name_en"), *aliases] if isinstance(n, str) and n)
    return NodeRecord(
        label=mapping.node_class,
        id=f"{mapping.id_prefix}/{key}",
        props=props,
        provenance=provenance,
        names=names,
        priority=mapping.priority,
        merge_by_name=mapping.merge_by_name,
        prop_priority=tuple((r.name, r.priority) for r in mapping.properties if r.priority is not None),
    )


@functools.lru_cache(maxsize=1 << 16)  # the same few cities, clusters and hosts on most rows
def _target(text: str, resolver: str, classes: tuple[str, ...], create: bool) -> TargetRef:
    return TargetRef(text=text, resolver=resolver, classes=classes, create=create)


def _pending_links(mapping: SourceMapping, record: NodeRecord, row: SourceRow) -> list[PendingLink]:
    out: list[PendingLink] = []
    for rule in mapping.links:
        raw = clean_value(row.values.get(rule.column, ""))
        if not raw:
            continue
        texts = split_list(raw) if rule.split else [raw]
        for text in texts:
            if text in rule.ignore:
                continue
            out.append(
                PendingLink(
                    rel_type=rule.type,
                    from_label=record.label,
                    from_id=record.id,
                    target=_target(text, rule.resolver, rule.classes, rule.create),
                    provenance=record.provenance,
                    column=rule.column,
                    inbound=rule.inbound,
                    required=rule.required,
                    props={"role": rule.role} if rule.role else {},
                )
            )
    return out
