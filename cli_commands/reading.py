"""Reading the graph: ``ckg query``, ``cypher``, ``counts`` and ``analyze``."""

from __future__ import annotations

import argparse
import json
import sys

from cli_commands.common import (
    Subcommands,
    UsageError,
    add_store_options,
    both,
    key_values,
    print_table,
    store_settings,
)
from graph.factory import open_store


def add_query(sub: Subcommands) -> None:
    query = sub.add_parser(
        "query",
        help=both("运行命名查询（ckg query --list 列出全部）", "run a named query (ckg query --list shows them)"),
    )
    add_store_options(query)
    query.add_argument("name", nargs="?", help=both("查询名", "the query's name"))
    query.add_argument(
        "--param", "-p", action="append", metavar="K=V", help=both("一个参数，可重复", "a parameter, repeatable")
    )
    query.add_argument(
        "--format", choices=["table", "csv", "json"], default="table", help=both("输出格式", "the output's format")
    )
    query.add_argument("--list", action="store_true", help=both("列出命名查询", "list the named queries"))
    query.set_defaults(func=cmd_query)


def cmd_query(args: argparse.Namespace) -> int:
    import csv

    from queries.catalog import QueryError, catalog, get_query
    from queries.known_names import described, unknown_names

    if args.list or not args.name:
        for query in catalog().values():
            signature = ", ".join(
                f"{p.name}:{p.type}" + (f"={p.default}" if p.default not in (None, "") else "") for p in query.params
            )
            print(
                f"{query.name:34} {query.kind:6} {query.title_zh} / {query.title_en}"
                + (f"  ({signature})" if signature else "")
            )
        return 0
    query = get_query(args.name)
    given = key_values(args.param, "--param")
    params = query.bind(given)  # a wrong parameter fails here, before any store is opened
    settings = store_settings(args)
    with open_store(settings, read_only=True) as store:
        result = query.run(store, params, timeout_s=settings.query_timeout_s, row_cap=settings.row_cap)
        unknown = unknown_names(store, params, look_up=not result.rows)  # nothing there, or a name the graph lacks?
    if unknown:
        raise QueryError(described(query.name, unknown))
    if args.format == "json":
        print(
            json.dumps(
                {
                    "query": query.name,
                    "params": params,
                    "columns": result.columns,
                    "rows": result.rows,
                    "truncated": result.truncated,
                },
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
    elif args.format == "csv":
        from graph.exports import safe_cell

        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([safe_cell(row.get(c)) for c in result.columns])
    else:
        print_table(result.columns, result.rows)
    if result.truncated:
        print(f"（{both(f'只显示前 {settings.row_cap} 行', f'cut at {settings.row_cap} rows')}）", file=sys.stderr)
    return 0


def add_cypher(sub: Subcommands) -> None:
    cypher = sub.add_parser(
        "cypher",
        help=both(
            "运行只读 Cypher 查询，防护与应用的控制台相同",
            "run a read-only Cypher query, guarded as in the app's console",
        ),
    )
    cypher.add_argument("cypher", help=both("查询文本", "the query text"))
    cypher.add_argument("--params", default="{}", help=both("参数，JSON 对象", "parameters as a JSON object"))
    cypher.add_argument(
        "--format", choices=["table", "json"], default="table", help=both("输出格式", "the output's format")
    )
    add_store_options(cypher)
    cypher.set_defaults(func=cmd_cypher)


def cmd_cypher(args: argparse.Namespace) -> int:
    """A query typed by hand, through the console's own path (``read_untrusted``): read-only, bounded, guarded."""
    from graph.errors import BilingualRejectionError
    from graph.store import UntrustedLimits

    try:
        params = json.loads(args.params or "{}")
    except ValueError as exc:
        print(f"ckg cypher: {both('--params 不是 JSON', '--params is not JSON')}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(params, dict):
        print(f"ckg cypher: {both('--params 须为 JSON 对象', '--params must be a JSON object')}", file=sys.stderr)
        return 2
    settings = store_settings(args)
    with open_store(settings, read_only=True) as store:
        problem = store.untrusted_problem()
        if problem is not None:  # fail closed, as the console does
            print(f"ckg cypher: {both(*problem)}", file=sys.stderr)
            return 2
        try:
            result = store.read_untrusted(args.cypher, params, UntrustedLimits.from_settings(settings))
        except BilingualRejectionError as exc:
            print(f"ckg cypher: {both(exc.zh, exc.en)}", file=sys.stderr)
            return 2
    if args.format == "json":
        print(json.dumps({"columns": result.columns, "rows": result.rows}, ensure_ascii=False, indent=2, default=str))
    else:
        print_table(result.columns, result.rows)
    if result.truncated:
        cap, size = settings.row_cap, settings.result_max_bytes
        print(f"（{both(f'只显示前 {cap} 行或 {size} 字节', f'cut at {cap} rows or {size} bytes')}）", file=sys.stderr)
    return 0


def add_counts(sub: Subcommands) -> None:
    counts = sub.add_parser(
        "counts", help=both("存储中各类的节点数与关系数", "nodes and relationships per class in the store")
    )
    add_store_options(counts)
    counts.set_defaults(func=cmd_counts)


def cmd_counts(args: argparse.Namespace) -> int:
    with open_store(store_settings(args), read_only=True) as store:
        nodes = {k: v for k, v in store.node_counts().items() if v}
        rels = {k: v for k, v in store.relationship_counts().items() if v}
    print(json.dumps({"store": store.backend, "nodes": nodes, "relationships": rels}, ensure_ascii=False, indent=2))
    return 0


def add_analyze(sub: Subcommands) -> None:
    analyze = sub.add_parser(
        "analyze",
        help=both(
            "创新链分析：完整度、中介、社群、假设移除",
            "chain analytics: completeness, brokers, communities, what-if",
        ),
    )
    add_store_options(analyze)
    analyze.add_argument(
        "what",
        choices=["completeness", "brokers", "communities", "what-if"],
        help=both("哪种分析", "which analysis"),
    )
    analyze.add_argument(
        "--by",
        choices=["cluster", "city"],
        default="cluster",
        help=both("完整度按集群或城市", "completeness by cluster or city"),
    )
    analyze.add_argument(
        "--sourced-only",
        action="store_true",
        help=both("只用来源陈述的关系（不含推断的）", "only ties a source states (leave out inferred ones)"),
    )
    analyze.add_argument("--entity", help=both("用于 what-if：实体标识", "for what-if: the entity's id"))
    analyze.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    from queries import analytics

    with open_store(store_settings(args), read_only=True) as store:
        eco = analytics.Ecosystem.pull(store, sourced_only=args.sourced_only)
        if args.what == "completeness":
            by = analytics.cluster_completeness if args.by == "cluster" else analytics.city_completeness
            results = by(store, eco)
            # the count of stated ties beside each stage's count (the same when --sourced-only)
            sourced = {c.scope: c for c in by(store, analytics.Ecosystem.pull(store, sourced_only=True))}
            rows = [
                {
                    "scope": c.scope,
                    **{
                        f"{analytics.STAGE_ZH[s]} (来源 sourced)": (
                            f"{c.stage_counts[s]} ({sourced[c.scope].stage_counts[s]})"
                        )
                        for s in analytics.STAGES
                    },
                    "score": c.score,
                    "explanation": both(c.explanation_zh, c.explanation),
                }
                for c in results
            ]
            print_table(list(rows[0]) if rows else [], rows, whole=["explanation"])
        elif args.what == "brokers":
            rows = [b.__dict__ for b in analytics.brokers(eco)]
            print_table(["id", "name", "betweenness", "clusters", "explanation"], rows, whole=["explanation"])
        elif args.what == "communities":
            rows = [{"clusters": list(c), "entities": n} for c, n in analytics.communities(eco)]
            print_table(["clusters", "entities"], rows)
        else:
            if not args.entity:
                print(
                    f"ckg analyze: {both('what-if 须配 --entity 标识', 'what-if needs --entity ID')}", file=sys.stderr
                )
                return 2
            if args.entity not in eco.stage:
                raise UsageError(
                    both(
                        f"任何集群的创新链中都没有实体 {args.entity!r}（标识形如 lab/…）",
                        f"no entity {args.entity!r} in any cluster's chain (ids look like lab/…)",
                    )
                )
            losses = analytics.stage_losses_if_removed(eco, args.entity)
            rows = [
                {
                    "cluster": c,
                    "stage": s,
                    "explanation": both(
                        f"{args.entity} 是 {c} 在 {s} 环节唯一的主体", f"{args.entity} is the only {s} entity of {c}"
                    ),
                }
                for c, s in losses
            ]
            print_table(["cluster", "stage", "explanation"], rows, whole=["explanation"])
    return 0
