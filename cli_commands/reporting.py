"""Editions of the graph and the yearly reports that compare them: ``ckg edition`` and ``ckg report``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli_commands.common import Subcommands, UsageError, add_store_options, both, counted, print_table, store_settings
from graph.factory import open_store
from graph.settings import Settings


def add_edition(sub: Subcommands) -> None:
    edition = sub.add_parser(
        "edition",
        help=both(
            "版本：图的有名称、有日期、可比较的状态", "editions: named, dated states of the graph you can compare"
        ),
    )
    add_store_options(edition)
    edition.add_argument(
        "action", choices=["create", "list", "diff", "delete", "query"], help=both("对版本做什么", "what to do")
    )
    edition.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=both(
            "create/delete 版本名；diff 旧 新；query 版本名 查询名",
            "create/delete NAME; diff OLD NEW; query NAME QUERY",
        ),
    )
    edition.add_argument(
        "--note", help=both("用于 create：随版本保存的说明", "for create: a note kept with the edition")
    )
    edition.add_argument(
        "--replace",
        action="store_true",
        help=both("用于 create：替换同名版本", "for create: replace an edition of that name"),
    )
    edition.add_argument(
        "--format",
        choices=["table", "json"],
        default="table",
        help=both("用于 diff：输出格式", "for diff: the output's format"),
    )
    edition.add_argument(
        "--param", "-p", action="append", metavar="K=V", help=both("用于 query：一个参数", "for query: a parameter")
    )
    edition.set_defaults(func=cmd_edition)


def cmd_edition(args: argparse.Namespace) -> int:
    from graph import editions

    settings = store_settings(args)
    if args.action == "list":
        with open_store(settings, read_only=True) as store:
            found = editions.list_editions(store)
        if not found:
            print(both("还没有版本（ckg edition create 版本名）", "no editions yet (ckg edition create NAME)"))
        for e in found:
            sizes = both(
                f"{e.nodes} 个节点、{e.relationships} 条关系、{e.size_bytes} 字节",
                f"{e.nodes} nodes, {e.relationships} relationships, {e.size_bytes} bytes",
            )
            print(f"{e.name:16} {e.created_at}  {sizes}")
        return 0
    if not args.names:
        raise UsageError(
            both(f"ckg edition {args.action} 须给出版本名", f"ckg edition {args.action} needs an edition name")
        )
    if args.action == "create":
        with open_store(settings) as store:
            info = editions.create_edition(store, args.names[0], note=args.note or "", replace=args.replace)
        print(
            f"{both('版本', 'edition')} {info.name}: "
            + both(
                f"{info.nodes} 个节点、{info.relationships} 条关系、{info.size_bytes} 字节",
                f"{info.nodes} nodes, {info.relationships} relationships, {info.size_bytes} bytes",
            )
        )
        return 0
    if args.action == "delete":
        with open_store(settings) as store:
            gone = editions.delete_edition(store, args.names[0])
        name = args.names[0]
        print(
            both(f"版本 {name} 已删除", f"edition {name} deleted")
            if gone
            else both(f"没有版本 {name}", f"edition {name} not found")
        )
        return 0 if gone else 2
    if args.action == "diff":
        return _edition_diff(args, settings)
    return _edition_query(args, settings)


def _edition_diff(args: argparse.Namespace, settings: Settings) -> int:
    from reports.diff import DIMENSIONS, diff_editions

    if len(args.names) != 2:
        raise UsageError(
            both(
                "ckg edition diff 须给出两个版本：旧 新（新可为 current）",
                "ckg edition diff takes two editions: OLD NEW (NEW may be 'current')",
            )
        )
    with open_store(settings, read_only=True) as store:
        result = diff_editions(store, *args.names)
    if args.format == "json":
        by = {d: result.by(d) for d in DIMENSIONS}
        out = {"old": result.old, "new": result.new, "totals": result.totals(), "by": by, "changes": result.rows()}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    totals = "; ".join(
        f"{both(*_KINDS[kind])}: {counted(counts, _COUNT_WORDS)}" for kind, counts in result.totals().items()
    )
    print(f"{result.old} → {result.new}: {totals}")
    for dimension in DIMENSIONS:
        print(f"\n{both('按' + _DIMENSIONS_ZH[dimension], 'per ' + dimension)}:")
        for group, counts in result.by(dimension).items():
            print(f"  {group}: {counted(counts, _COUNT_WORDS)}")
    if result.changes:
        print()
        print_table(["kind", "action", "label", "key", "name", "fields"], list(result.rows()))
    return 0


# The words of a diff's counts (reports/diff.py: ``EditionDiff.totals`` and ``by``)
_KINDS = {"entity": ("主体", "entities"), "tie": ("关系", "ties")}
_ACTIONS_ZH = {"added": "新增", "changed": "变更", "removed": "删除"}
_DIMENSIONS_ZH = {"cluster": "集群", "city": "城市", "stage": "环节", "source": "来源"}


# a total's keys (added …) and a group's (entity added …)
_COUNT_WORDS = _ACTIONS_ZH | {f"{k} {a}": kind[0] + zh for k, kind in _KINDS.items() for a, zh in _ACTIONS_ZH.items()}


def _edition_query(args: argparse.Namespace, settings: Settings) -> int:
    from graph.editions import edition_store
    from queries.catalog import get_query

    if len(args.names) != 2:
        raise UsageError(
            both(
                "ckg edition query 须给出版本名和查询名：版本名 查询名 [-p k=v …]",
                "ckg edition query takes an edition and a query's name: NAME QUERY [-p k=v …]",
            )
        )
    query = get_query(args.names[1])
    given = dict(item.split("=", 1) for item in args.param or [] if "=" in item)
    params = query.bind(given)
    with open_store(settings, read_only=True) as store, edition_store(store, args.names[0]) as old:
        result = query.run(old, params)
    print_table(result.columns, result.rows)
    return 0


def add_report(sub: Subcommands) -> None:
    report = sub.add_parser(
        "report",
        help=both("城市或集群的年度创新体系执行情况报告", "the yearly execution report of a city or a cluster"),
    )
    add_store_options(report)
    report.add_argument("scope", choices=["city", "cluster"], help=both("城市或集群", "a city or a cluster"))
    report.add_argument(
        "key",
        nargs="?",
        help=both("城市（东莞市）或集群（E01 或其名称）", "a city (东莞市) or a cluster (E01 or its name)"),
    )
    report.add_argument(
        "--all",
        action="store_true",
        help=both("每个城市（或集群），显示进度条", "every city (or cluster), with a progress bar"),
    )
    report.add_argument(
        "--edition",
        default="current",
        help=both("报告所依据的版本（默认当前的图）", "the edition to report on (default: the graph now)"),
    )
    report.add_argument(
        "--since",
        help=both(
            "与这个版本比较（默认 --edition 的前一个）", "compare with this edition (default: the one before --edition)"
        ),
    )
    report.add_argument(
        "--no-compare", action="store_true", help=both("不与较早的版本比较", "no comparison with an earlier edition")
    )
    report.add_argument(
        "--format", choices=["docx", "html", "xlsx"], default="docx", help=both("文件格式", "the file's format")
    )
    report.add_argument(
        "--out-dir",
        default="build/reports",
        help=both("写入的文件夹（默认 build/reports）", "folder to write to (default build/reports)"),
    )
    report.add_argument("--force", action="store_true", help=both("替换已有文件", "replace existing files"))
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from graph.exports import atomic_path
    from reports.build import AUTO, Reporter, file_name, render

    if not args.all and not args.key:
        raise UsageError(
            both(
                f"ckg report {args.scope} 须给出一个{'城市' if args.scope == 'city' else '集群'}（或 --all）",
                f"ckg report {args.scope} needs a {args.scope} (or --all)",
            )
        )
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    since = args.since or (None if args.no_compare else AUTO)
    with open_store(store_settings(args), read_only=True) as store, Reporter(store, args.edition, since) as reporter:
        if args.all:
            keys = reporter.cities() if args.scope == "city" else list(reporter.queries.clusters())
        else:
            keys = [args.key]
        for key in tqdm(keys, desc=f"报告 report {args.scope}", unit=" 份 report", disable=len(keys) == 1):
            ctx = reporter.context(args.scope, key)
            path = out_dir / file_name(ctx, args.format)
            if path.exists() and not args.force:
                raise UsageError(
                    both(f"{path} 已存在（用 --force 替换）", f"{path} exists (use --force to replace it)")
                )
            with atomic_path(path) as partial:  # an interrupted batch leaves no truncated or stray file
                partial.write_bytes(render(ctx, args.format))
            if len(keys) == 1:
                print(path)
    if len(keys) > 1:
        print(both(f"{out_dir} 中共 {len(keys)} 份报告", f"{len(keys)} reports in {out_dir}"))
    return 0
