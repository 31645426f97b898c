"""Applying a loaded mapping to a table: each row becomes a node record and pending links.

``apply_mapping`` first checks every column the mapping names against the file's header (nothing of a file
that lacks one is loaded), then converts the rows' cells a chunk of columns at a time (``mapping_columns``; a
row with a problem cell row by row), mints each row's id, and reports every problem by row and column; every
row is accounted for as loaded, skipped or rejected, and the counts are checked against the mapping's row
bounds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from graph.errors import said_in_both
from graph.ids import match_key, mint_key
from ingest.geo import TO_WGS84
from ingest.mapping import LinkRule, SkipRule, SourceMapping, check_columns
from ingest.mapping_columns import ABSENT, chunks, link_targets, property_columns
from ingest.normalize import bracket_names, clean_value, looks_like_formula, split_list
from ingest.readers import SourceRow, Table
from ingest.records import NO_PROPS, LinkKind, NodeRecord, PendingLink, Provenance, link_kind
from ingest.report import Level, Report
from ingest.values import CONVERTERS, ValueProblemError


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
        report.error(
            file,
            f"文件缺少映射 {mapping.source} 所需的列 {'、'.join(columns)} / "
            f"the file lacks the column(s) {', '.join(columns)} that the mapping {mapping.source} needs",
        )
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
    shape = _RecordShape.of(mapping)
    for read in chunks(table.rows):
        account.read += len(read)
        chunk = _unskipped(mapping, read, skipped) if mapping.skips else read
        values = property_columns(mapping, chunk)
        targets = [(kind, link_targets(rule, chunk)) for rule, kind in shape.link_kinds]
        for index, row in enumerate(chunk):
            row_values = values[index]
            if row_values is None:  # something to report: made row by row, as it always was
                record = _node_record(mapping, shape, row, file, report)
            else:
                props = {
                    name: value for name, value in zip(shape.names, row_values, strict=True) if value is not ABSENT
                }
                record = _finished(mapping, shape, row, props, file, report)
            if record is None:
                account.rejected += 1
                continue
            account.loaded += 1
            earlier = first_with_id.setdefault(record.id, record)
            if earlier is not record and earlier.props != record.props:
                _report_same_key(mapping, earlier, record, row, file, report)
            nodes.append(record)
            for kind, rows_targets in targets:
                for target in rows_targets[index]:  # most rows have one target a rule, or none: no generator each
                    links.append(PendingLink(kind, record.id, target, record.provenance))
    if mapping.bracket_alias_from:
        nodes = _with_bracket_names(nodes, mapping.bracket_alias_from)
    account.skipped += sum(map(len, skipped.values()))
    for skip, rows in skipped.items():
        shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
        # a mapping writes its reason "中文 / English" (docs/MAPPINGS.md), or in one language for both sides
        zh, en = said_in_both(skip.reason) or (skip.reason, skip.reason)
        report.add(
            Level.INFO,
            file,
            f"跳过 {len(rows)} 行：{zh}（第 {shown} 行） / {len(rows)} rows skipped: {en} (rows {shown})",
            column=skip.column,
        )
    _check_bounds(mapping, table, file, report)
    return nodes, links


def _unskipped(mapping: SourceMapping, rows: list[SourceRow], skipped: dict[SkipRule, list[int]]) -> list[SourceRow]:
    """The rows no skip rule matches; each skipped row's number noted under the first rule that matches it."""
    kept = []
    for row in rows:
        skip = next((s for s in mapping.skips if s.matches(row)), None)
        if skip is None:
            kept.append(row)
        else:
            skipped.setdefault(skip, []).append(row.row)
    return kept


def _report_same_key(
    mapping: SourceMapping, earlier: NodeRecord, record: NodeRecord, row: SourceRow, file: str, report: Report
) -> None:
    differing = sorted(k for k in set(earlier.props) | set(record.props) if earlier.props.get(k) != record.props.get(k))
    report.warning(
        file,
        f"与第 {earlier.provenance.row} 行的标识相同而取值不同（{'、'.join(differing)}），保留前一行的取值 / "
        f"same key as row {earlier.provenance.row} with different values "
        f"({', '.join(differing)}); the earlier row's values are kept",
        row=row.row,
        column=mapping.id_value or ",".join(mapping.id_key),
        value=record.id,
    )


def _check_bounds(mapping: SourceMapping, table: Table, file: str, report: Report) -> None:
    """Rows read must fit rows.min–max (a truncated or wrong file); rows loaded must fit min_loaded–max_loaded."""
    account = report.account(file, mapping.source)
    count = len(table.rows) + sum(1 for p in table.row_problems if p[1] is None)
    if count < mapping.min_rows or (mapping.max_rows is not None and count > mapping.max_rows):
        account.bounds_ok = False
        report.error(
            file,
            f"{count} 行，不在预期的 {mapping.min_rows}–{mapping.max_rows} 之内（文件被截断或有误？） / "
            f"{count} rows, outside the expected {mapping.min_rows}–{mapping.max_rows} (a truncated or wrong file?)",
        )
    loaded = account.loaded
    if loaded < mapping.min_loaded or (mapping.max_loaded is not None and loaded > mapping.max_loaded):
        account.bounds_ok = False
        upper = "" if mapping.max_loaded is None else str(mapping.max_loaded)
        report.error(
            file,
            f"载入 {loaded} 行（跳过 {account.skipped}、拒收 {account.rejected}），"
            f"不在预期的 {mapping.min_loaded}–{upper}"
            "之内（跳过规则匹配了每一行，或文件有误？） / "
            f"{loaded} rows loaded ({account.skipped} skipped, {account.rejected} rejected), outside the expected "
            f"{mapping.min_loaded}–{upper} (a skip rule that matches every row, or a wrong file?)",
        )


def _node_record(
    mapping: SourceMapping, shape: _RecordShape, row: SourceRow, file: str, report: Report
) -> NodeRecord | None:
    """The row's record made a cell at a time, each problem reported as it is met; None for a row refused."""
    props: dict[str, Any] = {}
    for rule in mapping.properties:
        if rule.column is None:
            props[rule.name] = rule.value
            continue
        raw = row.values.get(rule.column, "")
        if not clean_value(raw):
            if rule.required:
                report.error(
                    file,
                    f"缺少必填值 {rule.name} / required value missing for {rule.name}",
                    row=row.row,
                    column=rule.column,
                    value=raw,
                )
                return None
            continue
        if looks_like_formula(raw.strip()) and rule.type in ("text", "name"):
            report.warning(
                file,
                "取值以电子表格公式的样子开头，按纯文本保留 / "
                "value starts like a spreadsheet formula; kept as plain text",
                row=row.row,
                column=rule.column,
                value=raw,
            )
        try:
            props[rule.name] = CONVERTERS[rule.type](raw, **rule.options)
        except ValueProblemError as exc:
            if rule.required:
                reason = f"{rule.name}：{exc.zh} / {rule.name}: {exc.en}"
                report.error(file, reason, row=row.row, column=rule.column, value=raw)
                return None
            reason = f"{rule.name}：{exc.zh}，该值未用 / {rule.name}: {exc.en}; value left out"
            report.warning(file, reason, row=row.row, column=rule.column, value=raw)
    return _finished(mapping, shape, row, props, file, report)


def _finished(
    mapping: SourceMapping, shape: _RecordShape, row: SourceRow, props: dict[str, Any], file: str, report: Report
) -> NodeRecord | None:
    """The record of a row whose properties are converted: its coordinates, id, aliases, provenance and names."""
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
            file,
            "没有可用来标识该行的值 / no value to identify the row by",
            row=row.row,
            column=mapping.id_value or ",".join(mapping.id_key),
        )
        return None
    aliases = [clean_value(a) for col in mapping.alias_columns for a in split_list(row.values.get(col, ""))]
    if aliases:
        props["aliases"] = sorted(set(aliases) | set(props.get("aliases") or []))
    provenance = Provenance(
        source=mapping.source,
        file=file,
        row=row.row,
        url=clean_value(row.values.get(shape.url_column, "")) or shape.url_value,
        confidence=clean_value(row.values.get(shape.confidence_column, "")) or shape.confidence_value,
    )
    names = tuple([n for n in (props.get("name_zh"), props.get("name_en"), *aliases) if isinstance(n, str) and n])
    return NodeRecord(
        label=mapping.node_class,
        id=f"{mapping.id_prefix}/{key}",
        props=props,
        provenance=provenance,
        names=names,
        priority=mapping.priority,
        merge_by_name=mapping.merge_by_name,
        prop_priority=shape.prop_priority,
    )


@dataclass(frozen=True)
class _RecordShape:
    """What every record of a mapping shares, worked out once for the file rather than for each row."""

    names: tuple[str, ...]  # the property rules' names, in the mapping's order
    prop_priority: tuple[tuple[str, int], ...]
    url_column: str
    url_value: str | None
    confidence_column: str
    confidence_value: str | None
    link_kinds: tuple[tuple[LinkRule, LinkKind], ...]

    @classmethod
    def of(cls, mapping: SourceMapping) -> _RecordShape:
        return cls(
            names=tuple(rule.name for rule in mapping.properties),
            prop_priority=tuple((r.name, r.priority) for r in mapping.properties if r.priority is not None),
            url_column=mapping.provenance.get("url", ""),
            url_value=mapping.provenance.get("url_value"),
            confidence_column=mapping.provenance.get("confidence", ""),
            confidence_value=mapping.provenance.get("confidence_value"),
            link_kinds=tuple(_link_kinds(mapping)),
        )


def _with_bracket_names(records: list[NodeRecord], prop: str) -> list[NodeRecord]:
    """The records with the names their ``prop`` writes in a trailing bracket (``normalize.bracket_names``) among
    their aliases. A name that two of the file's entities give is neither's: it names what they share, not either
    (``招商银行股份有限公司`` of its Shenzhen and Guangzhou branches, ``一期`` of two phases)."""
    found = [bracket_names(str(r.props.get(prop, ""))) for r in records]
    holders: dict[str, set[str]] = defaultdict(set)
    for record, names in zip(records, found, strict=True):
        for name in names:
            holders[match_key(name)].add(record.id)
    out = []
    for record, names in zip(records, found, strict=True):
        own = [name for name in names if len(holders[match_key(name)]) == 1]
        if not own:
            out.append(record)
            continue
        aliases = sorted(set(own) | set(record.props.get("aliases") or []))
        added = tuple(name for name in own if name not in record.names)
        out.append(replace(record, props={**record.props, "aliases": aliases}, names=record.names + added))
    return out


def _link_kinds(mapping: SourceMapping) -> list[tuple[LinkRule, LinkKind]]:
    """Each link rule with what its ties have in common, made once for the file rather than for each tie."""
    return [
        (
            rule,
            link_kind(
                rule.type,
                mapping.node_class,
                rule.column,
                rule.inbound,
                rule.required,
                {"role": rule.role} if rule.role else NO_PROPS,
            ),
        )
        for rule in mapping.links
    ]
