"""What an RDF export covers: the whole graph, one cluster's chain, or the entities a named query returns.

The graph layer exports the ids it is given; this module, which may run named queries, chooses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.exports import ExportError
from graph.rdf.export import ExportResult, export_rdf
from graph.store import GraphStore
from queries.catalog import get_query

SCOPES = ("all", "cluster", "query")


def scope_ids(
    store: GraphStore,
    scope: str,
    *,
    cluster: str | None = None,
    query: str | None = None,
    params: dict[str, Any] | None = None,
    sourced_only: bool = False,
) -> set[str] | None:
    """The node ids in a scope: None for the whole graph; a cluster's chain; the ids in a query's result."""
    if scope == "all":
        return None
    if scope == "cluster":
        chain = get_query("cluster_chain_graph").run_all(
            store, {"cluster": cluster or "E01", "sourced_only": sourced_only}
        )
        rows = chain.rows
        ids = {r["cluster_id"] for r in rows} | {r["from_id"] for r in rows} | {r["to_id"] for r in rows if r["to_id"]}
        found = {i for i in ids if i}
        if not found:  # an unknown cluster is a mistake to report, not an empty file to publish
            named = repr(cluster or "E01")
            raise ExportError(
                f"没有集群 {named} 的主体（请给出 E01 这样的代码或名称） / "
                f"no cluster {named} with entities (give a code such as E01 or a name)"
            )
        return found
    if scope == "query":
        if not query:
            raise ExportError("范围 query 须给出查询名（--query） / scope 'query' needs a query name (--query)")
        rows = get_query(query).run_all(store, params).rows
        found = {str(v) for r in rows for k, v in r.items() if (k == "id" or k.endswith("_id")) and v}
        if not found:
            given = params or {}
            raise ExportError(
                f"查询 {query!r}（参数 {given}）没有找到任何主体标识，无可导出 / "
                f"query {query!r} with {given} found no entity ids: nothing to export"
            )
        return found
    raise ExportError(
        f"未知的范围 {scope!r}（可选：{', '.join(SCOPES)}） / unknown scope {scope!r}: {', '.join(SCOPES)}"
    )


def export_scope(
    store: GraphStore,
    out: Path,
    *,
    scope: str = "all",
    cluster: str | None = None,
    query: str | None = None,
    params: dict[str, Any] | None = None,
    sourced_only: bool = False,
    **options: Any,
) -> ExportResult:
    """``graph.rdf.export.export_rdf`` over a scope; ``options`` are its own (fmt, base, issued)."""
    ids = scope_ids(store, scope, cluster=cluster, query=query, params=params, sourced_only=sourced_only)
    return export_rdf(store, out, ids=ids, sourced_only=sourced_only, **options)
