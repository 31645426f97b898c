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
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingest.mapping import LinkRule, PropertyRule, SourceMapping
from ingest.normalize import clean_value, looks_like_formula, split_list
from ingest.readers import SourceRow
from ingest.records import TargetRef, target_ref
from ingest.values import CONVERTERS, ValueProblemError

CHUNK_ROWS = 8192  # rows converted together
CHUNK_CHARS = 8 << 20  # at most about this many characters of cells a chunk (a row more): tens of MB, whatever the file

# What ``clean_value`` changes (tests/test_mapping_columns.py checks every code point): a control character, a bidi
# control (graph/ids.py REORDERING), a full-width Latin letter or digit, and white space (str.isspace) other than one
# space between two other characters. And what ``looks_like_formula`` flags: a first character of =, +, - or @.
_CHANGED = (
    r"\x{0}-\x{20}\x{7f}-\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202a}-\x{202f}\x{205f}\x{2066}-\x{2069}"
    r"\x{3000}\x{ff10}-\x{ff19}\x{ff21}-\x{ff3a}\x{ff41}-\x{ff5a}"
)
AS_WRITTEN = f"^[^=+\\-@{_CHANGED}][^{_CHANGED}]*(?: [^{_CHANGED}]+)*$"

ABSENT: Any = object()  # an empty cell of an optional property: no value, nothing to report
_FLAGGED: Any = object()  # a cell with something to report: its row is made row by row


def chunks(rows: Iterable[SourceRow], size: int = CHUNK_ROWS, chars: int = CHUNK_CHARS) -> Iterator[list[SourceRow]]:
    """The rows in lists of ``size``, or fewer where their cells hold ``chars`` characters before that (a file of
    100,000-character cells is taken a few rows at a time, not 8,192 of them at once)."""
    chunk: list[SourceRow] = []
    held = 0
    for row in rows:
        chunk.append(row)
        held += sum(map(len, row.values.values()))
        if len(chunk) == size or held >= chars:
            yield chunk
            chunk, held = [], 0
    if chunk:
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
    column = rule.column
    cells = [row.values.get(column, "") for row in rows]
    as_written = written_as_kept(cells) if rule.type in ("text", "name") else None
    if as_written is not None:  # a text kept as written is its own value: only the others converted
        memo = {text: _converted(rule, text) for text, kept in zip(cells, as_written, strict=True) if not kept}
        return [text if kept else memo[text] for text, kept in zip(cells, as_written, strict=True)]
    memo = {text: _converted(rule, text) for text in set(cells)}
    out = list(map(memo.__getitem__, cells))
    if rule.type == "list":  # each record its own list, as row by row: a list is not shared between records
        out = [value.copy() if isinstance(value, list) else value for value in out]
    return out


def written_as_kept(cells: list[str]) -> list[bool] | None:
    """For each cell, whether a text property keeps it as written: ``clean_value`` leaves it as it is and it does not
    look like a formula. Found over the whole column by Arrow's regular expressions, in C++; None where the column
    cannot be an Arrow string (a lone surrogate), whose cells are then converted one by one."""
    try:
        array = pa.array(cells, type=pa.large_string())
    except (pa.ArrowException, UnicodeError):
        return None
    return pc.match_substring_regex(array, AS_WRITTEN).to_pylist()  # type: ignore[no-any-return]


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
