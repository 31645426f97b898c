"""Getting data in and explaining it: ``ckg ingest``, ``schema``, ``mapping``, ``resolve``, ``attribution``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli_commands.common import Subcommands, UsageError, add_store_options, both, counted, store_settings
from graph.errors import led
from graph.factory import open_store
from graph.schema import default_schema
from graph.store import STORE_ZH, GraphStore

if TYPE_CHECKING:  # the ingest is imported when a command needs it: the CLI starts faster
    from ingest.report import Report


def add_ingest(sub: Subcommands) -> None:
    ingest = sub.add_parser(
        "ingest",
        help=both(
            "载入随附数据（或其中一个来源，或一个带映射的文件）",
            "load the bundled dataset (or one source, or a file with a mapping)",
        ),
    )
    add_store_options(ingest)
    ingest.add_argument(
        "--source", help=both("只载入这个随附来源（映射名）", "only this bundled source (a mapping's name)")
    )
    ingest.add_argument(
        "--file", help=both("用户的 CSV/XLSX/JSON 文件，须配 --mapping", "a user's CSV/XLSX/JSON file, with --mapping")
    )
    ingest.add_argument("--mapping", help=both("--file 的映射 YAML", "the mapping YAML for --file"))
    ingest.add_argument(
        "--data-dir",
        help=both(
            "映射中路径所相对的文件夹（默认随附的 data/）",
            "folder the mappings' paths are relative to (default: bundled data/)",
        ),
    )
    ingest.add_argument(
        "--dry-run",
        action="store_true",
        help=both("读取、校验并比较，不写入", "read, validate and compare; write nothing"),
    )
    ingest.add_argument(
        "--if-needed",
        action="store_true",
        help=both("存储中已有图时什么也不做", "do nothing if the store already holds a graph"),
    )
    ingest.add_argument(
        "--report-dir",
        default="build/ingest-report",
        help=both(
            "每次运行的报告文件夹放在哪里（latest 指向最新一次）",
            "where each run's report folder goes (latest → the newest)",
        ),
    )
    ingest.add_argument(
        "--retract",
        action="append",
        metavar="SOURCE",
        help=both(
            "撤下这个来源所陈述的全部事实（可重复）；配 --source 或 --file 时同时读入它们",
            "remove exactly what this source stated (repeatable); with --source or --file, that is read too",
        ),
    )
    ingest.add_argument(
        "--neo4j-import",
        metavar="DIR",
        help=both(
            "不载入，改为写出首次载入用的 neo4j-admin import 文件",
            "write neo4j-admin import files for an initial load instead of loading",
        ),
    )
    ingest.add_argument("-q", "--quiet", action="store_true", help=both("不显示进度条", "no progress bar"))
    ingest.set_defaults(func=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ingest.mapping import load_mapping
    from ingest.pipeline import run_ingest
    from ingest.sources import DATA_DIR, bundled_sources, mapping_source

    schema = default_schema()
    data_dir = Path(args.data_dir) if args.data_dir else DATA_DIR
    retract: list[str] = args.retract or []
    if args.file:
        if not args.mapping:
            print(
                f"ckg ingest: {both('--file 须配 --mapping MAPPING.yaml', '--file needs --mapping MAPPING.yaml')}",
                file=sys.stderr,
            )
            return 2
        sources = [mapping_source(load_mapping(Path(args.mapping), schema), str(Path(args.file).resolve()))]
    elif retract and not args.source:
        sources = []  # a retraction alone reads no file
    else:
        sources = bundled_sources(schema, only=args.source)
    if args.neo4j_import:
        return _write_neo4j_import(args, sources, data_dir)
    settings = store_settings(args)
    with open_store(settings, schema=schema) as store:
        if args.if_needed and not args.dry_run and _has_completed_run(store):
            print(
                both(
                    f"{STORE_ZH[store.backend]}中已有载入的图，跳过（去掉 --if-needed 可重新载入）",
                    f"the {store.backend} store already holds an ingested graph; skipping "
                    "(drop --if-needed to refresh)",
                )
            )
            return 0
        bar = tqdm(desc="载入 ingest", unit=" 条 records", disable=args.quiet or not sys.stderr.isatty())

        def progress(step: str, count: int) -> None:
            bar.set_postfix_str(step)
            bar.update(count)

        result = run_ingest(store, sources, data_dir=data_dir, dry_run=args.dry_run, retract=retract, progress=progress)
        bar.close()
    report_file = _write_run_report(Path(args.report_dir), result.run_id, result.report)
    _print_counts(result.report, result.node_counts, result.relationship_counts)
    changes = both(f"{STORE_ZH[store.backend]}的变更", f"changes to the {store.backend} store")
    dry = f" ({both('试运行，未写入', 'dry run, nothing written')})" if args.dry_run else ""
    nodes, relationships = both("节点", "nodes"), both("关系", "relationships")
    node_changes = counted(result.nodes.summary(), _COUNT_WORDS)
    tie_changes = counted(result.relationships.summary(), _COUNT_WORDS)
    print(f"{changes}{dry}: {nodes} {node_changes}; {relationships} {tie_changes}")
    for name, change in result.by_source.items():
        print(f"  {both('来源', 'source')} {name}: {counted(change, _COUNT_WORDS)}")
    print(f"{both('报告', 'report')}: {report_file}; {both('运行', 'run')} {result.run_id}")
    if result.kept:
        kept = ", ".join(result.kept)
        print(
            both(
                f"来源 {kept} 未能完整读取：保留了其先前的陈述（见报告）",
                f"source(s) {kept} could not be read whole: their earlier statements were kept (see the report)",
            ),
            file=sys.stderr,
        )
        return 1
    if not result.ok:
        print(
            both(
                "有文件的行数超出映射规定的范围（见报告）", "some files broke their row-count bounds (see the report)"
            ),
            file=sys.stderr,
        )
        return 1
    return 0


# The words of a run's counts (ingest/run_changes.py: ``Changes.summary``, ``statement_changes``)
_COUNT_WORDS = {
    "added": "新增",
    "changed": "变更",
    "unchanged": "未变",
    "dropped": "删除",
    "records_added": "新增记录",
    "records_changed": "变更记录",
    "records_removed": "撤下记录",
    "links_added": "新增关系陈述",
    "links_removed": "撤下关系陈述",
}


def _print_counts(report: Report, node_counts: dict[str, int], relationship_counts: dict[str, int]) -> None:
    print(report.summary())
    print(f"{both('节点', 'nodes')}: {json.dumps(node_counts, ensure_ascii=False)}")
    print(f"{both('关系', 'relationships')}: {json.dumps(relationship_counts, ensure_ascii=False)}")


def _write_run_report(report_dir: Path, run_id: str, report: Report) -> Path:
    """One folder per run (none overwritten), and ``latest`` pointing at the newest."""
    run_dir = report_dir / run_id.removeprefix("run/")
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "rejections.csv"
    report.write_csv(path)
    latest = report_dir / "latest"
    staged = report_dir / f".latest-{os.getpid()}"
    staged.unlink(missing_ok=True)
    staged.symlink_to(run_dir.name, target_is_directory=True)
    os.replace(staged, latest)  # atomic: a reader sees the old or the new link, never none
    return path


def _write_neo4j_import(args: argparse.Namespace, sources: list[Any], data_dir: Path) -> int:
    from ingest.neo4j_import import write_import_files

    files = write_import_files(sources, default_schema(), data_dir=data_dir, out_dir=Path(args.neo4j_import))
    _write_run_report(Path(args.report_dir), files.result.run_id, files.result.report)
    _print_counts(files.result.report, files.result.node_counts, files.result.relationship_counts)
    print(f"{both('neo4j-admin import 文件', 'neo4j-admin import files')}: {files.args_file}")
    where = both("在服务器所在机器上、服务停止时", "on a server's machine, with it stopped")
    print(
        f"{both('下一步', 'next')}: scripts/neo4j-dev import {args.neo4j_import}  ({where}: "
        f"neo4j-admin database import full neo4j $(cat {files.args_file})); "
        f"{both('然后', 'then')}: ckg schema --store neo4j"
    )
    return 0 if files.result.ok else 1


def add_schema(sub: Subcommands) -> None:
    schema = sub.add_parser(
        "schema",
        help=both(
            "建立存储的约束与索引（neo4j-admin import 之后）",
            "create the store's constraints and indexes (after a neo4j-admin import)",
        ),
    )
    add_store_options(schema)
    schema.set_defaults(func=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    with open_store(store_settings(args)) as store:
        store.setup_schema()  # also counts the tallies of a store loaded by neo4j-admin import
    print(
        both(
            f"{STORE_ZH[store.backend]}的约束与索引已就绪",
            f"the {store.backend} store's constraints and indexes are in place",
        )
    )
    return 0


def _has_completed_run(store: GraphStore) -> bool:
    rows = store.read("MATCH (r:IngestRun) WHERE r.status STARTS WITH 'completed' RETURN count(r) AS n").rows
    return bool(rows and rows[0]["n"])


def add_mapping(sub: Subcommands) -> None:
    mapping = sub.add_parser(
        "mapping",
        help=both("检查映射，或为数据文件写出一份初始映射", "check a mapping, or write a starting one for a data file"),
    )
    mapping_sub = mapping.add_subparsers(dest="mapping_command", required=True, title=both("操作", "actions"))
    check = mapping_sub.add_parser(
        "check",
        help=both(
            "按模式与本体检查；配 --data 时也检查其列", "schema and ontology checks; with --data, its columns too"
        ),
    )
    check.add_argument("mapping_file", help=both("映射 YAML 文件", "the mapping YAML"))
    check.add_argument(
        "--data",
        help=both(
            "数据文件，其表头须含映射提到的每一列", "a data file whose header must have every column the mapping names"
        ),
    )
    new = mapping_sub.add_parser(
        "new",
        help=both(
            "从数据文件的表头和取值猜出一份初始映射", "a starting mapping guessed from a data file's headers and values"
        ),
    )
    new.add_argument("data_file", help=both("CSV/XLSX/JSON 文件", "the CSV/XLSX/JSON file"))
    new.add_argument(
        "--class",
        dest="node_class",
        default="Enterprise",
        help=both("各行所属的本体类", "the ontology class of its rows"),
    )
    new.add_argument(
        "--out", help=both("要写出的 YAML 文件（默认打印出来）", "the YAML file to write (default: print it)")
    )
    mapping.set_defaults(func=cmd_mapping)


def cmd_mapping(args: argparse.Namespace) -> int:
    """``ckg mapping check FILE.yaml [--data FILE]`` and ``ckg mapping new DATA_FILE [--class C] [--out FILE]``."""
    from ingest.mapping import MappingError, check_columns, load_mapping
    from ingest.mapping_new import guess_mapping
    from ingest.readers import ReadError, read_table

    schema = default_schema()
    if args.mapping_command == "new":
        text = guess_mapping(Path(args.data_file), schema, args.node_class)
        if not args.out:
            sys.stdout.write(text)
            return 0
        out = Path(args.out)
        if out.exists():
            print(
                "ckg mapping new: "
                + both(
                    f"{out} 已存在，请换一个 --out 或先删除它", f"{out} exists; choose another --out or remove it first"
                ),
                file=sys.stderr,
            )
            return 2
        out.write_text(text, encoding="utf-8")
        print(
            f"{both('已写出', 'wrote')} {out}; "
            f"{both('下一步', 'next')}: ckg mapping check {out} --data {args.data_file}"
        )
        return 0
    try:
        mapping = load_mapping(Path(args.mapping_file), schema)
    except MappingError as exc:
        for issue in exc.issues:
            print(issue.describe())
        if not exc.issues:
            print(str(exc))
        return 2
    if args.data:
        try:
            header = read_table(Path(args.data), sheet=mapping.sheet).header
        except ReadError as exc:
            print(f"ckg mapping check: {led('无法读取数据文件', 'the data file cannot be read', exc)}", file=sys.stderr)
            return 2
        missing = check_columns(mapping, header, args.data)
        for _ref, issue in missing:
            print(issue.describe())
        if missing:
            return 2
    print(both("通过", "ok"))
    return 0


def add_resolve(sub: Subcommands) -> None:
    resolve = sub.add_parser(
        "resolve",
        help=both(
            "实体消解：`ckg resolve explain 名称 [名称 …]`", "entity resolution: ckg resolve explain NAME [NAME …]"
        ),
    )
    add_store_options(resolve)
    resolve.add_argument(
        "action",
        choices=["explain"],
        help=both("说明一个名称消解到哪个实体、为什么", "explain what a name resolves to, and why"),
    )
    resolve.add_argument("names", nargs="+", metavar="NAME", help=both("机构名称", "an organisation's name"))
    resolve.add_argument(
        "--classes",
        help=both(
            "在哪些类中查找，逗号分隔（默认各机构类）",
            "comma-separated classes to look in (default: the organisation classes)",
        ),
    )
    resolve.add_argument(
        "--data-dir",
        help=both(
            "resolution.yaml 所在文件夹（默认随附的 data/）", "folder holding resolution.yaml (default: bundled data/)"
        ),
    )
    resolve.set_defaults(func=cmd_resolve)


def cmd_resolve(args: argparse.Namespace) -> int:
    """``ckg resolve explain NAME``: the node a name resolves to in the store's graph, and why."""
    from ingest.explain import ORGANISATION_CLASSES, explain_name, stored_index
    from ingest.sources import DATA_DIR

    classes = tuple(args.classes.split(",")) if args.classes else ORGANISATION_CLASSES
    with open_store(store_settings(args), read_only=True) as store:
        index = stored_index(store, Path(args.data_dir) if args.data_dir else DATA_DIR)
    for name in args.names:
        print(explain_name(index, name, classes).describe())
    return 0


def add_attribution(sub: Subcommands) -> None:
    attribution = sub.add_parser(
        "attribution",
        help=both(
            "实体为何属于其集群：`ckg attribution explain 标识`",
            "why an entity is in its clusters: ckg attribution explain ID",
        ),
    )
    add_store_options(attribution)
    attribution.add_argument(
        "action", choices=["explain"], help=both("逐条说明其集群归属", "explain its clusters, tie by tie")
    )
    attribution.add_argument(
        "id", metavar="ID", help=both("实体标识，如 enterprise/…", "the entity's id, as enterprise/…")
    )
    attribution.set_defaults(func=cmd_attribution)


def cmd_attribution(args: argparse.Namespace) -> int:
    """``ckg attribution explain ID``: why an entity is in each of its clusters, tie by tie."""
    from queries.catalog import get_query

    with open_store(store_settings(args), read_only=True) as store:
        rows = get_query("entity_clusters").run(store, {"id": args.id}).rows
        if not rows and not store.read("MATCH (e {id: $id}) RETURN count(e) AS n", {"id": args.id}).rows[0]["n"]:
            raise UsageError(
                both(
                    f"没有标识为 {args.id!r} 的实体"
                    "（标识形如 enterprise/…、lab/…；可用 ckg query search_entities 查找）",
                    f"no entity with id {args.id!r} (ids look like enterprise/…, lab/…; ckg query search_entities)",
                )
            )
    if not rows:
        print(
            both(
                f"{args.id} 未归入任何集群：没有来源陈述归属，也没有归属规则生效",
                f"{args.id} is tied to no cluster: no source states a tie and no attribution rule fired",
            )
        )
    for row in rows:
        head = f"{row['cluster']} {row['cluster_zh']} / {row['cluster_en']}: "
        if row["tie"] == "sourced":
            where = f"{row['source_file']} row {row['source_row']}"
            print(head + both(f"由 {row['source_file']} 第 {row['source_row']} 行陈述", f"stated by {where}"))
        else:
            rules = ", ".join(r.removeprefix("rule:") for r in row["source_refs"] or [])
            rule = f"{row['rule']} ({row['confidence']})"
            print(
                head
                + both(f"由规则 {rule} 推断", f"inferred by {rule}")
                + f": {row['evidence']}; {both('生效的规则', 'rules that fired')}: {rules}"
            )
    return 0
