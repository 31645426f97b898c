"""Rows as Arrow tables, typed by the schema: how the ingest hands a label's or a relationship type's rows to a store.

A row held as a Python dict costs about ten times its values (a dict, a string object per value); the same rows in
Arrow columns cost their values. At a million nodes that is gigabytes (docs/SCALE.md), so the pipeline keeps its
rows in these tables from the moment it makes them to the store's ``COPY``.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.errors import SchemaError
from graph.schema import NodeClass, Schema

ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "STRING[]": pa.list_(pa.string()),
}
# A relationship table's two ends, before its properties.
REL_ENDS = ("from_id", "to_id")


def node_schema(cls: NodeClass) -> pa.Schema:
    """Every property of the class, in the schema's order (the order a ``COPY`` into its table takes)."""
    return pa.schema([pa.field(p.name, ARROW_TYPES[p.store_type]) for p in cls.properties])


def relationship_schema(schema: Schema) -> pa.Schema:
    """The two ends' ids, then every relationship property."""
    props = [pa.field(p.name, ARROW_TYPES[p.store_type]) for p in schema.relationship_properties]
    return pa.schema([pa.field(end, pa.string()) for end in REL_ENDS] + props)


def conform(table: pa.Table, expected: pa.Schema, keys: tuple[str, ...], where: str) -> pa.Table:
    """The table's columns in the expected types and order (a column it lacks stays absent: a ``MERGE`` leaves that
    property as it was). It takes what a batch of dicts takes (graph/row_checks.py: ``check_value``) and no more: each
    column of the property's kind (any width of integer for an integer, an integer or a float for a float), no
    null inside a list, every key column present, a non-empty string in every row, each row's keys unique.
    Raises SchemaError for anything else."""
    names = set(table.column_names)
    unknown = sorted(names - set(expected.names))
    if unknown:
        raise SchemaError(f"{where}: unknown column(s) {', '.join(unknown)}")
    rows = int(table.num_rows)
    present = [field for field in expected if field.name in names]
    columns = []
    for field in present:
        column = table[field.name]
        if not _same_kind(column.type, field.type):
            raise SchemaError(f"{where}: column {field.name} must be {field.type}, not {column.type}")
        if pa.types.is_list(field.type) and rows and pc.list_flatten(column).null_count:
            raise SchemaError(f"{where}: column {field.name} holds a null inside a list")
        # an integer for a float converts as Python's float() does (check_value), losing digits past 2**53
        columns.append(column.cast(field.type, safe=not pa.types.is_floating(field.type)))
    conformed = pa.table(columns, schema=pa.schema(present))
    for key in keys:
        if key not in names or conformed[key].null_count or (rows and pc.any(pc.equal(conformed[key], "")).as_py()):
            raise SchemaError(f"{where}: every row needs a {key}, a non-empty string")
    if rows and _distinct(conformed, keys) != rows:
        raise SchemaError(f"{where}: rows repeat a {' and '.join(keys)}")
    return conformed


def _same_kind(actual: pa.DataType, expected: pa.DataType) -> bool:
    if actual == expected or pa.types.is_null(actual):
        return True
    if pa.types.is_string(expected):
        return bool(pa.types.is_large_string(actual))
    if pa.types.is_integer(expected):
        return bool(pa.types.is_integer(actual))
    if pa.types.is_floating(expected):
        return bool(pa.types.is_integer(actual) or pa.types.is_floating(actual))
    if pa.types.is_list(expected):
        is_list = pa.types.is_list(actual) or pa.types.is_large_list(actual)
        return bool(is_list and _same_kind(actual.value_type, expected.value_type))
    return False


def _distinct(table: pa.Table, keys: tuple[str, ...]) -> int:
    if len(keys) == 1:
        return int(pc.count_distinct(table[keys[0]]).as_py())
    return int(table.group_by(list(keys)).aggregate([]).num_rows)


# A stored tie table's extra column: true for a row with a stored value that is not of its column's type (a
# property retyped by hand on Neo4j, which types nothing). That value is read as absent; the row differs from any
# run's row, so the run writes it again whole, and it is never taken for a tie written before ties kept their
# sources (ingest/tie_diff.py).
UNFIT = "__unfit"
# The Python type of each Arrow type's values as a store hands them over (bool is not an int here, nor an int a
# float: a value Arrow would convert is a value the store holds in another type).
_EXACT = {pa.string(): str, pa.int64(): int, pa.float64(): float, pa.bool_(): bool}


def as_typed(table: pa.Table, expected: pa.Schema) -> pa.Table:
    """The table's columns in the expected order and types (a store's answer: a string may come back as a large
    string, a column of nulls untyped)."""
    return pa.table([table[field.name].cast(field.type) for field in expected], schema=expected)


def tie_table_of_rows(rows: list[dict[str, Any]], expected: pa.Schema) -> pa.Table:
    """Ties read from a store as dicts, as a table of the expected schema (a key a row lacks: null), column by
    column. Ends are read as text. A value not of its column's exact type is left out and its row marked in an
    ``UNFIT`` column, added only when some row is."""
    unfit = [False] * len(rows)
    columns = []
    for field in expected:
        values = [row.get(field.name) for row in rows]
        if field.name in REL_ENDS:
            values = [None if v is None else str(v) for v in values]
        columns.append(_fitted(values, field.type, unfit))
    table = pa.table(columns, schema=expected)
    return table.append_column(UNFIT, pa.array(unfit, pa.bool_())) if any(unfit) else table


def _fitted(values: list[Any], kind: pa.DataType, unfit: list[bool]) -> pa.Array:
    """The values as an array of the type, those not of its exact type (or that Arrow refuses) as nulls, their
    rows marked in ``unfit``."""
    for position, value in enumerate(values):
        if value is not None and not _fits(value, kind):
            values[position], unfit[position] = None, True
    try:
        return pa.array(values, kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeEncodeError):
        pass
    for position, value in enumerate(values):  # a lone surrogate, an int past 64 bits: one at a time
        try:
            pa.array([value], kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeEncodeError):
            values[position], unfit[position] = None, True
    return pa.array(values, kind)


def _fits(value: Any, kind: pa.DataType) -> bool:
    if pa.types.is_list(kind):
        item = _EXACT[kind.value_type]
        return type(value) is list and all(type(v) is item for v in value)
    return type(value) is _EXACT[kind]
