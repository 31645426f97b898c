"""A chunk of a source's rows converted a column at a time: each property's cells, and each link's targets, once per
distinct text in the chunk.

A row whose cells all convert cleanly gets its values from the columns. A row with anything to report (a required
value missing, a value that does not convert, a cell that looks like a formula) is flagged: ``apply_mapping`` makes
it row by row, as before, so its report is word for word what it was. Cities, clusters, years and confidences
repeat on almost every row, and are converted once a chunk; a chunk's memo is let go with the chunk, so memory does
not grow with the file (bench/collect_steps.py times the gather).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from ingest.mapping import LinkRule, PropertyRule, SourceMapping
from ingest.normalize import clean_value, looks_like_formula, split_list
from ingest.readers import SourceRow
from ingest.records import TargetRef, target_ref
from ingest.values import CONVERTERS, ValueProblemError

CHUNK_ROWS = 8192  # rows converted together: a few MB of memo and columns, whatever the file's size

ABSENT: Any = object()  # an empty cell of an optional property: no value, nothing to report
_FLAGGED: Any = object()  # a cell with something to report: its row is made row by row


def chunks(rows: Iterable[SourceRow], size: int = CHUNK_ROWS) -> Iterator[list[SourceRow]]:
    """The rows in lists of ``size`` (the last one shorter)."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def property_columns(mapping: SourceMapping, rows: list[SourceRow]) -> list[tuple[Any, ...] | None]:
    """Each row's converted values, one per property rule in the mapping's order (``ABSENT`` for an empty optional
    cell), or None for a flagged row."""
    columns = [_property_column(rule, rows) for rule in mapping.properties]
    if not columns:
        return [() for _ in rows]
    values: list[tuple[Any, ...] | None] = list(zip(*columns, strict=True))
    if any(_FLAGGED in column for column in columns):
        values = [None if row_values is not None and _FLAGGED in row_values else row_values for row_values in values]
    return values


def _property_column(rule: PropertyRule, rows: list[SourceRow]) -> list[Any]:
    if rule.column is None:
        return [rule.value] * len(rows)
    column, memo = rule.column, {}
    cells = [row.values.get(column, "") for row in rows]
    for text in set(cells):
        memo[text] = _converted(rule, text)
    out = list(map(memo.__getitem__, cells))
    if rule.type == "list":  # each record its own list, as row by row: a list is not shared between records
        out = [value.copy() if isinstance(value, list) else value for value in out]
    return out


def _converted(rule: PropertyRule, raw: str) -> Any:
    """What ``mapping_apply._node_record`` makes of the cell when it has nothing to report; ``_FLAGGED`` when it
    would report something."""
    cleaned = clean_value(raw)
    if not cleaned:
        return _FLAGGED if rule.required else ABSENT
    if rule.type in ("text", "name"):  # what as_text gives: the cleaned text
        return _FLAGGED if looks_like_formula(raw.strip()) else cleaned
    try:
        return CONVERTERS[rule.type](raw, **rule.options)
    except ValueProblemError:
        return _FLAGGED


def link_targets(rule: LinkRule, rows: list[SourceRow]) -> list[tuple[TargetRef, ...]]:
    """Each row's targets for a link rule: its cell cleaned, split if the rule says so, the ignored texts left
    out."""
    cells = [row.values.get(rule.column, "") for row in rows]
    memo = {text: _targets(rule, text) for text in set(cells)}
    return list(map(memo.__getitem__, cells))


def _targets(rule: LinkRule, raw: str) -> tuple[TargetRef, ...]:
    text = clean_value(raw)
    if not text:
        return ()
    texts = split_list(text) if rule.split else [text]
    return tuple(target_ref(t, rule.resolver, rule.classes, rule.create) for t in texts if t not in rule.ignore)
