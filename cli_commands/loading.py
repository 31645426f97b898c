"""Getting data in and explaining it: ``ckg ingest``, ``schema``, ``mapping``, ``resolve``, ``attribution``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli_commands.common import Subcommands, UsageError, add_store_options, store_settings
from graph.factory import open_store
from graph.schema import default_schema
from graph.store import GraphStore

if TYPE_CHECKING:  # the ingest is imported when a command needs it: the CLI starts faster
    from ingest.report import Report


def add_ingest(sub: Subcommands) -> None:
    ingest = sub.add_parser("ingest", help="load the bundled dataset (or one source, or a file with a mapping)")
    add_store_options(ingest)
    ingest.add_argument("--source", help="only this bundled source (a mapping's name)")
    ingest.add_argument("--file", help="a user's CSV/XLSX/JSON file, with --mapping")
    ingest.add_argument("--mapping", help="the mapping YAML for --file")
    ingest.add_argument("--data-dir", help="folder the mappings' paths are relative to (default: bundled data/)")
    ingest.add_argument("--dry-run", action="store_true", help="read, validate and compare; write nothing")
    ingest.add_argument("--if-needed", action="store_true", help="do nothing if the store already holds a graph")
    ingest.add_argument(
        "--report-dir", default="build/ingest-report", help="where each run's report folder goes (latest → the newest)"
    )
    ingest.add_argument(
        "--retract",
        action="append",
        metavar="SOURCE",
        help="remove exactly what this source stated (repeatable); with --source or --file, that is read too",
    )
    ingest.add_argument(
        "--neo4j-import", metavar="DIR", help="write neo4j-admin import files for an initial load instead of loading"
    )
    ingest.add_argument("-q", "--quiet", action="store_true")
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
            print("ckg ingest --file needs --mapping MAPPING.yaml", file=sys.stderr)
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
            print(f"the {store.backend} store already holds an ingested graph; skipping (drop --if-needed to refresh)")
            return 0
        bar = tqdm(desc="ingest", unit=" records", disable=args.quiet or not sys.stderr.isatty())

        def progress(step: str, count: int) -> None:
            bar.set_postfix_str(step)
            bar.update(count)

        result = run_ingest(store, sources, data_dir=data_dir, dry_run=args.dry_run, retract=retract, progress=progress)
        bar.close()
    report_file = _write_run_report(Path(args.report_dir), result.run_id, result.report)
    print(result.report.summary())
    print(f"nodes: {json.dumps(result.node_counts, ensure_ascii=False)}")
    print(f"relationships: {json.dumps(result.relationship_counts, ensure_ascii=False)}")
    print(
        f"changes to the {store.backend} store{' (dry run, nothing written)' if args.dry_run else ''}: "
        f"nodes {result.nodes.summary()}, relationships {result.relationships.summary()}"
    )
    for name, change in result.by_source.items():
        print(f"  source {name}: {json.dumps(change)}")
    print(f"report: {report_file}; run {result.run_id}")
    if result.kept:
        print(
            f"source(s) {', '.join(result.kept)} could not be read whole: their earlier statements were kept "
            "(see the report)",
            file=sys.stderr,
        )
        return 1
    if not result.ok:
        print("some files broke their row-count bounds (see the report)", file=sys.stderr)
        return 1
    return 0


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
    print(files.result.report.summary())
    print(f"nodes: {json.dumps(files.result.node_counts, ensure_ascii=False)}")
    print(f"relationships: {json.dumps(files.result.relationship_counts, ensure_ascii=False)}")
    print(f"neo4j-admin import files: {files.args_file}")
    print(
        f"next: scripts/neo4j-dev import {args.neo4j_import}  (on a server's machine, with it stopped: "
        f"neo4j-admin database import full neo4j $(cat {files.args_file})), then: ckg schema --store neo4j"
    )
    return 0 if files.result.ok else 1


def add_schema(sub: Subcommands) -> None:
    schema = sub.add_parser("schema", help="create the store's constraints and indexes (after a neo4j-admin import)")
    add_store_options(schema)
    schema.set_defaults(func=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    with open_store(store_settings(args)) as store:
        store.setup_schema()  # also counts the tallies of a store loaded by neo4j-admin import
    print(f"the {store.backend} store's constraints and indexes are in place")
    return 0


def _has_completed_run(store: GraphStore) -> bool:
    rows = store.read("MATCH (r:IngestRun) WHERE r.status STARTS WITH 'completed' RETURN count(r) AS n").rows
    return bool(rows and rows[0]["n"])


def add_mapping(sub: Subcommands) -> None:
    mapping = sub.add_parser("mapping", help="check a mapping, or write a starting one for a data file")
    mapping_sub = mapping.add_subparsers(dest="mapping_command", required=True)
    check = mapping_sub.add_parser("check", help="schema and ontology checks; with --data, its columns too")
    check.add_argument("mapping_file", help="the mapping YAML")
    check.add_argument("--data", help="a data file whose header must have every column the mapping names")
    new = mapping_sub.add_parser("new", help="a starting mapping guessed from a data file's headers and values")
    new.add_argument("data_file", help="the CSV/XLSX/JSON file")
    new.add_argument("--class", dest="node_class", default="Enterprise", help="the ontology class of its rows")
    new.add_argument("--out", help="the YAML file to write (default: print it)")
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
            print(f"ckg mapping new: {out} exists; choose another --out or remove it first", file=sys.stderr)
            return 2
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}; next: ckg mapping check {out} --data {args.data_file}")
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
            print(f"ckg mapping check: {exc}", file=sys.stderr)
            return 2
        missing = check_columns(mapping, header, args.data)
        for _ref, issue in missing:
            print(issue.describe())
        if missing:
            return 2
    print("ok")
    return 0


def add_resolve(sub: Subcommands) -> None:
    resolve = sub.add_parser("resolve", help="entity resolution: ckg resolve explain NAME [NAME …]")
    add_store_options(resolve)
    resolve.add_argument("action", choices=["explain"])
    resolve.add_argument("names", nargs="+", metavar="NAME")
    resolve.add_argument("--classes", help="comma-separated classes to look in (default: the organisation classes)")
    resolve.add_argument("--data-dir", help="folder holding resolution.yaml (default: bundled data/)")
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
    attribution = sub.add_parser("attribution", help="why an entity is in its clusters: ckg attribution explain ID")
    add_store_options(attribution)
    attribution.add_argument("action", choices=["explain"])
    attribution.add_argument("id", metavar="ID")
    attribution.set_defaults(func=cmd_attribution)


def cmd_attribution(args: argparse.Namespace) -> int:
    """``ckg attribution explain ID``: why an entity is in each of its clusters, tie by tie."""
    from queries.catalog import get_query

    with open_store(store_settings(args), read_only=True) as store:
        rows = get_query("entity_clusters").run(store, {"id": args.id}).rows
        if not rows and not store.read("MATCH (e {id: $id}) RETURN count(e) AS n", {"id": args.id}).rows[0]["n"]:
            raise UsageError(
                f"no entity with id {args.id!r} (ids look like enterprise/…, lab/…; ckg query search_entities)"
            )
    if not rows:
        print(f"{args.id} is tied to no cluster: no source states a tie and no attribution rule fired")
    for row in rows:
        head = f"{row['cluster']} {row['cluster_zh']} / {row['cluster_en']}: "
        if row["tie"] == "sourced":
            print(head + f"stated by {row['source_file']} row {row['source_row']}")
        else:
            rules = ", ".join(r.removeprefix("rule:") for r in row["source_refs"] or [])
            print(
                head + f"inferred by {row['rule']} ({row['confidence']}): {row['evidence']}; rules that fired: {rules}"
            )
    return 0
