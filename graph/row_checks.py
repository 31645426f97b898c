"""The checks every row passes before a store sees it: each value in its property's type, no property the ontology
lacks, one row per id (or pair of ends), every row with the same columns."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from graph.errors import SchemaError
from graph.schema import NodeClass, PropertySpec, Schema

Row = Mapping[str, Any]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "STRING": (str,),
    "INT64": (int,),
    "DOUBLE": (float, int),
    "BOOLEAN": (bool,),
}


def check_value(prop: PropertySpec, value: Any, where: str) -> Any:
    """Return the value in the store's type, or raise SchemaError saying what is wrong."""
    if value is None:
        return None
    base = prop.store_type.removesuffix("[]")
    allowed = _PY_TYPES[base]
    if prop.multi_valued:
        if not isinstance(value, (list, tuple)):
            raise SchemaError(f"{where}: {prop.name} must be a list, got {type(value).__name__}")
        items = list(value)
        for item in items:
            if not isinstance(item, allowed) or (base != "BOOLEAN" and isinstance(item, bool)):
                raise SchemaError(f"{where}: {prop.name} items must be {base}, got {item!r}")
        return items
    if base != "BOOLEAN" and isinstance(value, bool):
        raise SchemaError(f"{where}: {prop.name} must be {base}, got a boolean")
    if not isinstance(value, allowed):
        raise SchemaError(f"{where}: {prop.name} must be {base}, got {type(value).__name__} {value!r}")
    return float(value) if base == "DOUBLE" and isinstance(value, int) else value


# The exact Python type each store type takes without conversion (the fast path of the column checks, and of the
# tie rows made as columns: ingest/build.py).
EXACT_TYPES: dict[str, type] = {"STRING": str, "INT64": int, "DOUBLE": float, "BOOLEAN": bool}


def _check_column(
    prop: PropertySpec, rows: list[dict[str, Any]], origins: list[int], where: str, owned: set[int]
) -> None:
    """Check one column of the rows, converting where needed (int → float, a tuple → a list) in a copy of the
    row: ``owned`` holds the positions whose rows are this batch's own copies already."""
    name = prop.name
    exact = None if prop.multi_valued else EXACT_TYPES[prop.store_type]
    item = EXACT_TYPES[prop.store_type.removesuffix("[]")] if prop.multi_valued else None
    for position, row in enumerate(rows):
        value = row[name]
        if value is None or type(value) is exact:
            continue
        if type(value) is list and all(type(v) is item for v in value):
            continue  # a list already of the exact type (every row's source_refs): nothing to convert
        converted = check_value(prop, value, f"{where} row {origins[position]}")
        if converted is value:
            continue
        if position not in owned:
            rows[position] = dict(row)
            owned.add(position)
        rows[position][name] = converted


class _Columns:
    """The columns a batch of rows uses, in first-seen order. Rows of one batch mostly share their keys (the
    pipeline gives every row all of a class's properties), so a row whose keys equal the last row's is
    checked with one comparison in C instead of a loop over its keys."""

    def __init__(self, first: list[str], known: Collection[str], where: str) -> None:
        self.names = list(first)
        self._seen = set(first)
        self._known = known
        self._where = where
        self._last_keys: tuple[str, ...] | None = None
        self.uniform = True  # every row had the same keys

    def add(self, i: int, row: Row) -> None:
        keys = tuple(row)  # compared item by item, by identity first: faster than comparing key views
        if self._last_keys is not None and keys == self._last_keys:
            return
        if self._last_keys is not None:
            self.uniform = False
        self._last_keys = keys
        for name in row:
            if name not in self._seen:
                if name not in self._known:
                    unknown = sorted(set(row) - set(self._known) - self._seen)
                    raise SchemaError(f"{self._where} row {i}: properties not in the ontology: {unknown}")
                self._seen.add(name)
                self.names.append(name)


def prepare_node_rows(cls: NodeClass, rows: Sequence[Row]) -> tuple[list[str], list[dict[str, Any]]]:
    """Validate rows of one label; return the batch's columns and rows deduplicated by id (last wins)."""
    columns = _Columns(["id"], cls.property_names, cls.name)
    by_id: dict[str, tuple[int, Row]] = {}
    for i, row in enumerate(rows):
        node_id = row.get("id")
        if not isinstance(node_id, str) or not node_id:
            raise SchemaError(f"{cls.name} row {i}: id must be a non-empty string")
        columns.add(i, row)
        by_id[node_id] = (i, row)
    origins = [i for i, _ in by_id.values()]
    clean, owned = _with_every_column([row for _, row in by_id.values()], columns)
    for name in columns.names[1:]:
        _check_column(cls.get_property(name), clean, origins, cls.name, owned)
    return columns.names, clean


def prepare_rel_rows(schema: Schema, rows: Sequence[Row], where_prefix: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Validate relationship rows (``from_id``, ``to_id`` and properties); dedupe by endpoints (last wins)."""
    known = set(schema.relationship_property_names) | {"from_id", "to_id"}
    columns = _Columns(["from_id", "to_id"], known, f"{where_prefix} (relationship)")
    by_pair: dict[tuple[str, str], tuple[int, Row]] = {}
    for i, row in enumerate(rows):
        from_id, to_id = row.get("from_id"), row.get("to_id")
        if not isinstance(from_id, str) or not isinstance(to_id, str) or not from_id or not to_id:
            raise SchemaError(f"{where_prefix} row {i}: from_id and to_id must be non-empty strings")
        columns.add(i, row)
        by_pair[(from_id, to_id)] = (i, row)
    origins = [i for i, _ in by_pair.values()]
    clean, owned = _with_every_column([row for _, row in by_pair.values()], columns)
    for name in columns.names[2:]:
        _check_column(schema.relationship_property(name), clean, origins, where_prefix, owned)
    return columns.names[2:], clean


def _with_every_column(rows: list[Row], columns: _Columns) -> tuple[list[dict[str, Any]], set[int]]:
    """The rows, each with every column, and the positions of those that are copies. The caller's rows are never
    changed: where every row has every column (the pipeline's rows) they are used as they are, and copied only
    when a value needs converting (the column checks), which at a million rows spares a copy of every row."""
    if columns.uniform and rows and len(rows[0]) == len(columns.names):
        return [row if isinstance(row, dict) else dict(row) for row in rows], set()
    return [{c: row.get(c) for c in columns.names} for row in rows], set(range(len(rows)))
