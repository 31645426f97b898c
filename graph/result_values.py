"""A query's answer made safe to show and to send as JSON: each value bounded in nesting, items and length, the rows
cut at a byte size. The console's two paths share it: the embedded store's sandboxed child (graph/sandbox.py) and
the Neo4j console (graph/neo4j_console.py); the app bounds a value it shows the same way."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

MAX_DEPTH, MAX_ITEMS, MAX_CHARS = 12, 1000, 10_000  # one value: nesting, list/map items, string length


def bounded(value: Any, *, depth: int = MAX_DEPTH, items: int = MAX_ITEMS, chars: int = MAX_CHARS) -> Any:
    """A JSON-able copy of a result value that any page can show: nesting cut at ``depth``, lists and maps at
    ``items`` entries, strings at ``chars``; values of other types (dates, points, bytes) as their text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no NaN or infinity
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)  # beyond int64 no table column takes it
    if isinstance(value, str):
        return value if len(value) <= chars else value[:chars] + f"…(+{len(value) - chars})"
    if type(value) in (list, tuple) or isinstance(value, Mapping):  # not tuple kinds: Neo4j's points, durations
        if depth <= 0:
            return "…"
        kw = {"depth": depth - 1, "items": items, "chars": chars}
        if isinstance(value, Mapping):
            pairs = list(itertools.islice(value.items(), items))
            out: Any = {str(k)[:chars]: bounded(v, **kw) for k, v in pairs}
            if len(value) > items:
                out["…"] = f"+{len(value) - items}"
            return out
        out = [bounded(v, **kw) for v in itertools.islice(value, items)]
        return [*out, f"…(+{len(value) - items})"] if len(value) > items else out
    return bounded(str(value), depth=depth, items=items, chars=chars)


def bounded_rows(
    rows: Iterable[Mapping[str, Any]], max_bytes: int, *, chars: int = MAX_CHARS
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Rows with bounded values, and their JSON texts, stopping before ``max_bytes``; True if rows were cut."""
    kept: list[dict[str, Any]] = []
    texts: list[str] = []
    size = 0
    for row in rows:
        safe = {str(k): bounded(v, chars=chars) for k, v in row.items()}
        text = json.dumps(safe, ensure_ascii=False)
        size += len(text.encode()) + 1
        if size > max_bytes:
            return kept, texts, True
        kept.append(safe)
        texts.append(text)
    return kept, texts, False
