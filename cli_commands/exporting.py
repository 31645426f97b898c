"""Writing files from the graph or for it: ``ckg export`` (RDF) and ``ckg synth`` (a synthetic data folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli_commands.common import Subcommands, UsageError, add_store_options, both, key_values, store_settings
from graph.errors import said_in_both
from graph.factory import open_store


def add_export(sub: Subcommands) -> None:
    export = sub.add_parser(
        "export",
        help=both(
            "导出 RDF：Turtle、N-Triples、RDF/XML、TriG、N-Quads、JSON-LD",
            "RDF export: Turtle, N-Triples, RDF/XML, TriG, N-Quads, JSON-LD",
        ),
    )
    add_store_options(export)
    export.add_argument(
        "--format",
        default="turtle",
        choices=["turtle", "ntriples", "rdfxml", "trig", "nquads", "jsonld", "jsonld-compact"],
        help=both("RDF 格式", "the RDF format"),
    )
    export.add_argument(
        "--sourced-only",
        action="store_true",
        help=both(
            "不含归属规则推断的关系（只含来源陈述的）", "leave out the ties attribution rules inferred (sources only)"
        ),
    )
    export.add_argument(
        "--scope",
        default="all",
        choices=["all", "cluster", "query"],
        help=both("导出范围：全图、一个集群、一个查询的结果", "what to export: all, a cluster, a query's result"),
    )
    export.add_argument(
        "--cluster", help=both("用于 --scope cluster：集群代码或名称", "for --scope cluster: a cluster code or name")
    )
    export.add_argument(
        "--query",
        help=both(
            "用于 --scope query：以其结果中的标识为范围的命名查询",
            "for --scope query: a named query whose result's ids make the scope",
        ),
    )
    export.add_argument(
        "--param", "-p", action="append", metavar="K=V", help=both("查询参数", "the query's parameters")
    )
    export.add_argument(
        "--out",
        required=True,
        help=both(
            "要写出的文件（绝不是数据库本身；见 --force）", "the file to write (never the database; see --force)"
        ),
    )
    export.add_argument("--force", action="store_true", help=both("--out 已存在时替换它", "replace --out if it exists"))
    export.add_argument(
        "--base",
        help=both(
            "节点的基础 IRI（默认 https://w3id.org/clusterkg/id/）",
            "base IRI of the nodes (default https://w3id.org/clusterkg/id/)",
        ),
    )
    export.add_argument(
        "--validate",
        action="store_true",
        help=both("按 shapes.ttl（SHACL）校验导出", "check the export against shapes.ttl (SHACL)"),
    )
    export.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from graph.exports import check_target
    from graph.ids import DEFAULT_BASE_IRI
    from graph.rdf.validate import validate_export
    from queries.scopes import export_scope

    params = key_values(args.param, "--param")
    if args.cluster and args.scope != "cluster":
        raise UsageError(both("--cluster 须配 --scope cluster", "--cluster goes with --scope cluster"))
    if args.query and args.scope != "query":
        raise UsageError(both("--query 须配 --scope query", "--query goes with --scope query"))
    settings = store_settings(args)
    # never the live database (an export once truncated it), never an existing file unless --force
    out = check_target(Path(args.out), protected=[settings.embedded_path], force=args.force)
    with open_store(settings, read_only=True) as store:
        result = export_scope(
            store,
            out,
            fmt=args.format,
            scope=args.scope,
            cluster=args.cluster,
            query=args.query,
            params=params,
            base=args.base or DEFAULT_BASE_IRI,
            sourced_only=args.sourced_only,
        )
    print(
        both(
            f"{result.triples} 个三元组（{result.nodes} 个节点、{result.relationships} 条关系），"
            f"{result.byte_size} 字节",
            f"{result.triples} triples ({result.nodes} nodes, {result.relationships} relationships), "
            f"{result.byte_size} bytes",
        )
        + f", sha256 {result.sha256}"
    )
    print(
        both(
            f"已写出 {result.path} 及其 DCAT 目录 {result.catalog_path}",
            f"wrote {result.path} and its DCAT catalogue {result.catalog_path}",
        )
    )
    if args.validate:
        validation = validate_export(result.path)
        verdict = both("符合", "conforms") if validation.conforms else both("不符合", "does not conform")
        print(f"SHACL: {verdict} ({validation.violations} {both('处违规', 'violations')})")
        if not validation.conforms:
            print(validation.report[:5000], file=sys.stderr)
            return 1
    return 0


def add_synth(sub: Subcommands) -> None:
    synth = sub.add_parser(
        "synth",
        help=both(
            "写出合成数据文件夹（随附数据的格式），用于规模测试",
            "write a synthetic data folder (bundled formats) for scale tests",
        ),
    )
    synth.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help=both(
            "1 约等于随附数据，150 约一百万个节点，最大 1000",
            "1 ≈ the bundled data; 150 ≈ a million nodes; at most 1000",
        ),
    )
    synth.add_argument("--seed", type=int, default=42, help=both("随机种子", "the random seed"))
    synth.add_argument(
        "--out",
        required=True,
        help=both(
            "要写出的文件夹（会被替换；绝不是随附的 data/）", "the folder to write (replaced; never the bundled data/)"
        ),
    )
    synth.set_defaults(func=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    from ingest.synth import write_synthetic

    try:
        manifest = write_synthetic(Path(args.out), args.scale, seed=args.seed)
    except ValueError as exc:
        halves = said_in_both(str(exc))
        said = (
            f"参数有误：{halves[0]} / A value is wrong: {halves[1]}"
            if halves
            else f"{both('参数有误', 'A value is wrong')}: {exc}"
        )
        print(f"ckg synth: {said}", file=sys.stderr)
        return 2
    total = sum(manifest["rows"].values())
    print(
        both(
            f"合成数据文件夹 {args.out}（规模 {args.scale:g}，种子 {args.seed}）：{total} 行",
            f"synthetic data folder {args.out} (scale {args.scale:g}, seed {args.seed}): {total} synthetic rows",
        )
    )
    print(f"{both('载入方法', 'load it with')}: ckg ingest --data-dir {args.out} [--store neo4j]")
    return 0
