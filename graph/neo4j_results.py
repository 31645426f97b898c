"""What the Neo4j driver answers, as plain Python: nodes, relationships and paths as dicts, and the server's
refusals in words a user can act on. Shared by the store's reads (graph/neo4j_store.py) and the console
(graph/neo4j_console.py)."""

from __future__ import annotations

from typing import Any

from neo4j.exceptions import Neo4jError
from neo4j.graph import Node, Path, Relationship

from graph.neo4j_entity import class_label


def plain_error(exc: Neo4jError) -> str:
    code = exc.code or ""
    if code.endswith("AccessMode"):
        return "数据库拒绝写入：这里的查询只读 / the database refused a write: queries here run read-only"
    if "TransactionTimedOut" in code or "Timeout" in code:
        return "查询超过时间上限，已停止 / the query ran past its time limit and was stopped (timeout)"
    if "MemoryPoolOutOfMemory" in code:
        return (
            "查询所需的内存超过单个查询的上限，已停止（db.memory.transaction.max） / "
            "the query needed more memory than one query may use and was stopped (db.memory.transaction.max)"
        )
    return f"{code}: {exc.message}"


PLAIN = frozenset({str, int, float, bool, type(None)})


def to_python(value: Any, depth: int = 10_000) -> Any:
    """Nodes, relationships and paths as dicts; nesting beyond ``depth`` as "…" (no RecursionError)."""
    if type(value) in PLAIN:  # most values: no conversion, and no five type tests per value
        return value
    if depth <= 0 and isinstance(value, (Node, Relationship, Path, list, dict)):
        return "…"
    inner = depth - 1
    if isinstance(value, Node):
        return {"_label": class_label(value.labels), **{k: to_python(v, inner) for k, v in value.items()}}
    if isinstance(value, Relationship):
        return {"_type": value.type, **{k: to_python(v, inner) for k, v in value.items()}}
    if isinstance(value, Path):
        return {
            "nodes": [to_python(n, inner) for n in value.nodes],
            "relationships": [to_python(r, inner) for r in value.relationships],
        }
    if isinstance(value, list):
        return [to_python(v, inner) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v, inner) for k, v in value.items()}
    return value
