"""Applying a loaded mapping to a table: each row becomes a node record and pending links.

``apply_mapping`` first checks every column the mapping names against the file's header (nothing of a file
that lacks one is loaded), then converts each row's cells, mints its id, and reports every problem by row
and column; every row is accounted for as loaded, skipped or rejected, and the counts are checked against
the mapping's row bounds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from graph.errors import said_in_both
from graph.ids import match_key, mint_key
from ingest.geo import TO_WGS84
from ingest.mapping import LinkRule, SkipRule, SourceMapping, check_columns
from ingest.normalize import bracket_names, clean_value, looks_like_formula, split_list
from ingest.readers import SourceRow, Table
from ingest.records import NO_PROPS, LinkKind, NodeRecord, PendingLink, Provenance, link_kind, target_ref
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
    kinds = _link_kinds(mapping)
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
                f"与第 {earlier.provenance.row} 行的标识相同而取值不同（{'、'.join(differing)}），保留前一行的取值 / "
                f"same key as row {earlier.provenance.row} with different values "
                f"({', '.join(differing)}); the earlier row's values are kept",
                row=row.row,
                column=mapping.id_value or ",".join(mapping.id_key),
                value=record.id,
            )
        nodes.append(record)
        links.extend(_pending_links(kinds, record, row))
    if mapping.bracket_alias_from:
        nodes = _with_bracket_names(nodes, mapping.bracket_alias_from)
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


def _pending_links(kinds: list[tuple[LinkRule, LinkKind]], record: NodeRecord, row: SourceRow) -> list[PendingLink]:
    out: list[PendingLink] = []
    for rule, kind in kinds:
        raw = clean_value(row.values.get(rule.column, ""))
        if not raw:
            continue
        texts = split_list(raw) if rule.split else [raw]
        for text in texts:
            if text in rule.ignore:
                continue
            target = target_ref(text, rule.resolver, rule.classes, rule.create)
            out.append(PendingLink(kind, record.id, target, record.provenance))
    return out
