"""Queries that start from one entity given by id, on the embedded store: a lookup in one table, not a scan of all.

LadybugDB keeps a primary-key index per node table, but ``MATCH (n) WHERE n.id = $id`` names no table, so it scans
every one (300 ms at a million nodes; 6 ms with the table named). The name index file knows each entity's class
(graph/name_index.py ``class_of``, only while it is in step with the graph), so the anchor of the query's first
clause gets its label. Anything else — Neo4j (its ``Entity`` label is the index), an id the index does not know, an
index out of step — runs the query as written, with the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graph import name_index
from graph.store import GraphStore, QueryResult

# `MATCH (n)…\nWHERE n.id = $p` and `MATCH (n {id: $p})…`: a node variable without a label, fixed by an id parameter
# (a clause at the start of a line, not an OPTIONAL MATCH; the WHERE holds nothing but the id test)
_WHERE_ANCHOR = re.compile(
    r"^MATCH \((?P<var>\w+)\)(?P<rest>[^\n]*)\nWHERE (?P=var)\.id = \$(?P<param>\w+)[ \t]*$", re.M
)
_INLINE_ANCHOR = re.compile(r"^MATCH \((?P<var>\w+) \{id: \$(?P<param>\w+)\}\)", re.M)


def labelled(store: GraphStore, body: str, params: Mapping[str, Any]) -> str:
    """The query with each id anchor labelled by its entity's class, where the store's name index knows it."""
    if store.backend != "embedded":
        return body
    classes: dict[str, str | None] = {}
    concrete = {cls.name for cls in store.schema.entity_classes}

    def label_for(param: str) -> str | None:
        if param not in classes:
            value = params.get(param)
            found = name_index.class_of(store, value) if isinstance(value, str) else None
            # pasted only as a class that holds facts: an abstract one (Entity) from a damaged index would fail
            classes[param] = found if found in concrete else None
        return classes[param]

    def where_anchor(m: re.Match[str]) -> str:
        label = label_for(m["param"])
        if label is None:
            return m[0]
        return f"MATCH ({m['var']}:{label}){m['rest']}\nWHERE {m['var']}.id = ${m['param']}"

    def inline_anchor(m: re.Match[str]) -> str:
        label = label_for(m["param"])
        return m[0] if label is None else f"MATCH ({m['var']}:{label} {{id: ${m['param']}}})"

    return _INLINE_ANCHOR.sub(inline_anchor, _WHERE_ANCHOR.sub(where_anchor, body))


def read(store: GraphStore, params: Mapping[str, Any], body: str, **read_options: Any) -> QueryResult:
    """A named query's answer through its labelled anchors (the catalogue's INDEXED hook)."""
    return store.read(labelled(store, body, params), params, **read_options)
