"""Declarative mappings: one YAML file per source says how its rows become nodes and relationships.

A mapping names the file, the expected row-count bounds, rows to skip (aggregates, other provinces),
the node class with its id rule and typed properties, the provenance columns, and the links to
resolve. ``apply_mapping`` turns a table into records and reports every problem by row and column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph.errors import ClusterKGError
from graph.ids import mint_key
from graph.schema import Schema
from ingest.geo import TO_WGS84
from ingest.normalize import bracket_alias, clean_header, clean_value, looks_like_formula, split_list
from ingest.readers import SourceRow, Table
from ingest.records import NodeRecord, PendingLink, Provenance, TargetRef
from ingest.report import Level, Report
from ingest.values import CONVERTERS, ValueProblemError

RESOLVERS = ("place", "cluster", "organization", "id", "category")


class MappingError(ClusterKGError):
    """A mapping file is malformed or does not fit the ontology."""


@dataclass(frozen=True)
class PropertyRule:
    name: str
    column: str | None
    type: str = "text"
    required: bool = False
    value: Any = None  # a constant instead of a column
    options: dict[str, Any] = field(default_factory=dict)


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
class Mapping:
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


def load_mapping(path: Path, schema: Schema) -> Mapping:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    try:
        mapping = _build(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise MappingError(f"{path}: malformed mapping ({type(exc).__name__}: {exc})") from exc
    _check_against_schema(mapping, schema, path)
    return mapping


def _build(doc: dict[str, Any]) -> Mapping:
    node = doc["node"]
    id_rule = node["id"]
    props = tuple(
        PropertyRule(
            name=name,
            column=clean_header(spec["column"]) if spec.get("column") else None,
            type=spec.get("type", "text"),
            required=bool(spec.get("required", False)),
            value=spec.get("value"),
            options={k: v for k, v in spec.items() if k not in ("column", "type", "required", "value")},
        )
        for name, spec in node["properties"].items()
    )
    links = tuple(
        LinkRule(
            type=link["type"],
            column=clean_header(link["column"]),
            resolver=link["to"],
            classes=tuple(link.get("classes", ())),
            split=bool(link.get("split", False)),
            inbound=link.get("direction", "out") == "in",
            required=bool(link.get("required", False)),
            create=bool(link.get("create", False)),
            role=link.get("role"),
            ignore=tuple(link.get("ignore", ())),
        )
        for link in doc.get("links", [])
    )
    skips = tuple(_skip_rule(rule) for rule in doc.get("skip", []))
    rows = doc.get("rows", {})
    key = id_rule.get("key", ())
    return Mapping(
        source=doc["source"],
        file=doc["file"],
        node_class=node["class"],
        id_prefix=id_rule["prefix"],
        id_key=tuple([key] if isinstance(key, str) else key),
        id_value=id_rule.get("value"),
        properties=props,
        links=links,
        skips=skips,
        min_rows=int(rows.get("min", 0)),
        max_rows=rows.get("max"),
        priority=int(node.get("priority", 50)),
        merge_by_name=bool(node.get("merge_by_name", True)),
        alias_columns=tuple(node.get("aliases", {}).get("columns", ())),
        bracket_alias_from=node.get("aliases", {}).get("from_brackets"),
        provenance=dict(doc.get("provenance", {})),
        sheet=doc.get("sheet"),
        datum=node.get("datum"),
        description=doc.get("description", ""),
    )


def _skip_rule(rule: dict[str, Any]) -> SkipRule:
    return SkipRule(
        column=clean_header(rule["column"]),
        reason=rule["reason"],
        contains=rule.get("contains"),
        equals=rule.get("equals"),
        not_equals=rule.get("not_equals"),
        not_in=tuple(rule["not_in"]) if "not_in" in rule else None,
        not_startswith=rule.get("not_startswith"),
    )


def _check_against_schema(mapping: Mapping, schema: Schema, path: Path) -> None:
    try:
        cls = schema.node_class(mapping.node_class)
    except ClusterKGError as exc:
        raise MappingError(f"{path}: {exc}") from exc
    for rule in mapping.properties:
        if rule.name not in cls.property_names:
            raise MappingError(f"{path}: {cls.name} has no property {rule.name!r} in the ontology")
        if rule.type not in CONVERTERS:
            raise MappingError(f"{path}: property {rule.name}: unknown type {rule.type!r}")
    if mapping.datum is not None and mapping.datum not in TO_WGS84:
        raise MappingError(f"{path}: node.datum must be one of {', '.join(TO_WGS84)}")
    if not mapping.id_key and not mapping.id_value:
        raise MappingError(f"{path}: node.id needs a key (properties to mint from) or a value")
    for link in mapping.links:
        if link.type not in schema.relationships:
            raise MappingError(f"{path}: unknown relationship type {link.type!r}")
        if link.resolver not in RESOLVERS:
            raise MappingError(f"{path}: link {link.type}: unknown resolver {link.resolver!r}")
        rel = schema.relationships[link.type]
        own_side = rel.range if link.inbound else rel.domain
        if mapping.node_class not in own_side:
            raise MappingError(f"{path}: {link.type} cannot have {mapping.node_class} at that end")


def apply_mapping(
    mapping: Mapping, table: Table, file: str, report: Report
) -> tuple[list[NodeRecord], list[PendingLink]]:
    """Rows → node records and pending links; problems into the report; every row accounted for."""
    account = report.account(file, mapping.source)
    account.sha256 = table.sha256
    for row_no, column, value, reason in table.row_problems:
        report.error(file, reason, row=row_no, column=column, value=value)
        if column is None:
            account.read += 1
            account.rejected += 1
    wanted = {r.column for r in mapping.properties if r.column} | {link.column for link in mapping.links}
    missing = sorted(wanted - set(table.header))
    if missing:
        report.error(file, f"the file lacks the column(s) {', '.join(missing)} that the mapping {mapping.source} needs")
        account.read += len(table.rows)
        account.rejected += len(table.rows)
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
    count = len(table.rows) + sum(1 for p in table.row_problems if p[1] is None)
    if count < mapping.min_rows or (mapping.max_rows is not None and count > mapping.max_rows):
        account.bounds_ok = False
        report.error(
            file,
            f"{count} rows, outside the expected {mapping.min_rows}–{mapping.max_rows} (a truncated or wrong file?)",
        )
    return nodes, links


def _node_record(mapping: Mapping, row: SourceRow, file: str, report: Report) -> NodeRecord | None:
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
    )


@functools.lru_cache(maxsize=1 << 16)  # the same few cities, clusters and hosts on most rows
def _target(text: str, resolver: str, classes: tuple[str, ...], create: bool) -> TargetRef:
    return TargetRef(text=text, resolver=resolver, classes=classes, create=create)


def _pending_links(mapping: Mapping, record: NodeRecord, row: SourceRow) -> list[PendingLink]:
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
