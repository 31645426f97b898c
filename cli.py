"""The ``ckg`` command (ingest, mapping, query, analyze, export and the rest): a face beside app.py."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from graph.errors import ClusterKGError
from graph.factory import open_store
from graph.schema import default_schema
from graph.settings import Settings
from graph.store import GraphStore

log = logging.getLogger("ckg")


def _store_settings(args: argparse.Namespace) -> Settings:
    """The environment's settings, with the command line's --store / --embedded-path taking precedence."""
    env = dict(os.environ)
    if getattr(args, "store", None):
        env["CLUSTERKG_BACKEND"] = args.store
    if getattr(args, "embedded_path", None):
        env.update(CLUSTERKG_BACKEND="embedded", CLUSTERKG_EMBEDDED_PATH=str(args.embedded_path))
    return Settings.from_env(env)


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
    settings = _store_settings(args)
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
    report_file = _write_run_report(Path(args.report_dir), result.run_id, result.report.to_csv())
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


def _write_run_report(report_dir: Path, run_id: str, rejections_csv: str) -> Path:
    """One folder per run (none overwritten), and ``latest`` pointing at the newest."""
    run_dir = report_dir / run_id.removeprefix("run/")
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "rejections.csv"
    path.write_text(rejections_csv, encoding="utf-8-sig")  # with BOM so Excel reads the Chinese right
    latest = report_dir / "latest"
    staged = report_dir / f".latest-{os.getpid()}"
    staged.unlink(missing_ok=True)
    staged.symlink_to(run_dir.name, target_is_directory=True)
    os.replace(staged, latest)  # atomic: a reader sees the old or the new link, never none
    return path


def _write_neo4j_import(args: argparse.Namespace, sources: list[Any], data_dir: Path) -> int:
    from ingest.neo4j_import import write_import_files

    files = write_import_files(sources, default_schema(), data_dir=data_dir, out_dir=Path(args.neo4j_import))
    _write_run_report(Path(args.report_dir), files.result.run_id, files.result.report.to_csv())
    print(files.result.report.summary())
    print(f"nodes: {json.dumps(files.result.node_counts, ensure_ascii=False)}")
    print(f"relationships: {json.dumps(files.result.relationship_counts, ensure_ascii=False)}")
    print(f"neo4j-admin import files: {files.args_file}")
    print(
        f"next: scripts/neo4j-dev import {args.neo4j_import}  (on a server's machine, with it stopped: "
        f"neo4j-admin database import full neo4j $(cat {files.args_file})), then: ckg schema --store neo4j"
    )
    return 0 if files.result.ok else 1


def cmd_resolve(args: argparse.Namespace) -> int:
    """``ckg resolve explain NAME``: the node a name resolves to in the store's graph, and why."""
    from ingest.explain import ORGANISATION_CLASSES, explain_name, stored_index
    from ingest.sources import DATA_DIR

    classes = tuple(args.classes.split(",")) if args.classes else ORGANISATION_CLASSES
    with open_store(_store_settings(args), read_only=True) as store:
        index = stored_index(store, Path(args.data_dir) if args.data_dir else DATA_DIR)
    for name in args.names:
        print(explain_name(index, name, classes).describe())
    return 0


def cmd_attribution(args: argparse.Namespace) -> int:
    """``ckg attribution explain ID``: why an entity is in each of its clusters, tie by tie."""
    from queries.catalog import get_query

    with open_store(_store_settings(args), read_only=True) as store:
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


def cmd_schema(args: argparse.Namespace) -> int:
    with open_store(_store_settings(args)) as store:
        store.setup_schema()  # also counts the tallies of a store loaded by neo4j-admin import
    print(f"the {store.backend} store's constraints and indexes are in place")
    return 0


def _has_completed_run(store: GraphStore) -> bool:
    rows = store.read("MATCH (r:IngestRun) WHERE r.status STARTS WITH 'completed' RETURN count(r) AS n").rows
    return bool(rows and rows[0]["n"])


def cmd_counts(args: argparse.Namespace) -> int:
    with open_store(_store_settings(args), read_only=True) as store:
        nodes = {k: v for k, v in store.node_counts().items() if v}
        rels = {k: v for k, v in store.relationship_counts().items() if v}
    print(json.dumps({"store": store.backend, "nodes": nodes, "relationships": rels}, ensure_ascii=False, indent=2))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    import csv

    from queries.catalog import catalog, get_query

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
    given: dict[str, str] = {}
    for item in args.param or []:
        if "=" not in item:
            print(f"ckg query: --param takes k=v, got {item!r}", file=sys.stderr)
            return 2
        key, value = item.split("=", 1)
        given[key.strip()] = value
    params = query.bind(given)  # a wrong parameter fails here, before any store is opened
    settings = _store_settings(args)
    with open_store(settings, read_only=True) as store:
        result = query.run(store, params, timeout_s=settings.query_timeout_s, row_cap=settings.row_cap)
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
        _print_table(result.columns, result.rows)
    if result.truncated:
        print(f"(cut at {settings.row_cap} rows)", file=sys.stderr)
    return 0


def cmd_cypher(args: argparse.Namespace) -> int:
    """A query typed by hand, through the console's own path (``read_untrusted``): read-only, bounded, guarded."""
    from graph.errors import BilingualRejectionError
    from graph.store import UntrustedLimits

    try:
        params = json.loads(args.params or "{}")
    except ValueError as exc:
        print(f"ckg cypher: --params is not JSON: {exc}", file=sys.stderr)
        return 2
    if not isinstance(params, dict):
        print("ckg cypher: --params must be a JSON object", file=sys.stderr)
        return 2
    settings = _store_settings(args)
    with open_store(settings, read_only=True) as store:
        problem = store.untrusted_problem()
        if problem is not None:  # fail closed, as the console does
            print(f"ckg cypher: {problem[1]}", file=sys.stderr)
            return 2
        try:
            result = store.read_untrusted(args.cypher, params, UntrustedLimits.from_settings(settings))
        except BilingualRejectionError as exc:
            print(f"ckg cypher: {exc.en}", file=sys.stderr)
            return 2
    if args.format == "json":
        print(json.dumps({"columns": result.columns, "rows": result.rows}, ensure_ascii=False, indent=2, default=str))
    else:
        _print_table(result.columns, result.rows)
    if result.truncated:
        print(f"(cut at {settings.row_cap} rows or {settings.result_max_bytes} bytes)", file=sys.stderr)
    return 0


def _print_table(columns: list[str], rows: list[dict[str, object]]) -> None:
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    def cell(value: object) -> str:
        text = (
            ""
            if value is None
            else json.dumps(value, ensure_ascii=False)
            if isinstance(value, (list, dict))
            else str(value)
        )
        return text if len(text) <= 60 else text[:57] + "…"

    table = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([width(c)] + [width(row[i]) for row in table]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (widths[i] - width(v)) for i, v in enumerate(values))

    print(line(columns))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print(line(row))
    print(f"({len(rows)} rows)")


def cmd_analyze(args: argparse.Namespace) -> int:
    from queries import analytics

    with open_store(_store_settings(args), read_only=True) as store:
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
                    "explanation": c.explanation,
                }
                for c in results
            ]
            _print_table(list(rows[0]) if rows else [], rows)
        elif args.what == "brokers":
            rows = [b.__dict__ for b in analytics.brokers(eco)]
            _print_table(["id", "name", "betweenness", "clusters", "explanation"], rows)
        elif args.what == "communities":
            rows = [{"clusters": list(c), "entities": n} for c, n in analytics.communities(eco)]
            _print_table(["clusters", "entities"], rows)
        else:
            if not args.entity:
                print("ckg analyze what-if needs --entity ID", file=sys.stderr)
                return 2
            if args.entity not in eco.stage:
                raise UsageError(f"no entity {args.entity!r} in any cluster's chain (ids look like lab/…)")
            losses = analytics.stage_losses_if_removed(eco, args.entity)
            rows = [
                {"cluster": c, "stage": s, "explanation": f"{args.entity} is the only {s} entity of {c}"}
                for c, s in losses
            ]
            _print_table(["cluster", "stage", "explanation"], rows)
    return 0


class UsageError(ClusterKGError):
    """The command line itself is wrong (a malformed or contradictory option)."""


def _key_values(items: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} takes K=V, got {item!r}")
        pairs[key.strip()] = value
    return pairs


def cmd_export(args: argparse.Namespace) -> int:
    from graph.exports import check_target
    from graph.ids import DEFAULT_BASE_IRI
    from graph.rdf.validate import validate_export
    from queries.scopes import export_scope

    params = _key_values(args.param, "--param")
    if args.cluster and args.scope != "cluster":
        raise UsageError("--cluster goes with --scope cluster")
    if args.query and args.scope != "query":
        raise UsageError("--query goes with --scope query")
    settings = _store_settings(args)
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
        f"{result.triples} triples ({result.nodes} nodes, {result.relationships} relationships), "
        f"{result.byte_size} bytes, sha256 {result.sha256}"
    )
    print(f"wrote {result.path} and its DCAT catalogue {result.catalog_path}")
    if args.validate:
        validation = validate_export(result.path)
        print(
            f"SHACL: {'conforms' if validation.conforms else 'does not conform'} ({validation.violations} violations)"
        )
        if not validation.conforms:
            print(validation.report[:5000], file=sys.stderr)
            return 1
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from ingest.synth import write_synthetic

    try:
        manifest = write_synthetic(Path(args.out), args.scale, seed=args.seed)
    except ValueError as exc:
        print(f"ckg synth: {exc}", file=sys.stderr)
        return 2
    total = sum(manifest["rows"].values())
    print(f"synthetic data folder {args.out} (scale {args.scale:g}, seed {args.seed}): {total} synthetic rows")
    print(f"load it with: ckg ingest --data-dir {args.out} [--store neo4j]")
    return 0


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


def cmd_edition(args: argparse.Namespace) -> int:
    from graph import editions

    settings = _store_settings(args)
    if args.action == "list":
        with open_store(settings, read_only=True) as store:
            found = editions.list_editions(store)
        if not found:
            print("没有版本 no editions yet (ckg edition create NAME)")
        for e in found:
            print(f"{e.name:16} {e.created_at}  nodes {e.nodes}  relationships {e.relationships}  {e.size_bytes} bytes")
        return 0
    if not args.names:
        raise UsageError(f"ckg edition {args.action} needs an edition name")
    if args.action == "create":
        with open_store(settings) as store:
            info = editions.create_edition(store, args.names[0], note=args.note or "", replace=args.replace)
        print(f"版本 edition {info.name}: nodes {info.nodes}, relationships {info.relationships}, {info.size_bytes} B")
        return 0
    if args.action == "delete":
        with open_store(settings) as store:
            gone = editions.delete_edition(store, args.names[0])
        print(f"edition {args.names[0]} {'deleted' if gone else 'not found'}")
        return 0 if gone else 2
    if args.action == "diff":
        return _edition_diff(args, settings)
    return _edition_query(args, settings)


def _edition_diff(args: argparse.Namespace, settings: Settings) -> int:
    from reports.diff import DIMENSIONS, diff_editions

    if len(args.names) != 2:
        raise UsageError("ckg edition diff takes two editions: OLD NEW (NEW may be 'current')")
    with open_store(settings, read_only=True) as store:
        result = diff_editions(store, *args.names)
    if args.format == "json":
        by = {d: result.by(d) for d in DIMENSIONS}
        out = {"old": result.old, "new": result.new, "totals": result.totals(), "by": by, "changes": result.rows()}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(f"{result.old} → {result.new}: {json.dumps(result.totals(), ensure_ascii=False)}")
    for dimension in DIMENSIONS:
        print(f"\nper {dimension}:")
        for group, counts in result.by(dimension).items():
            print(f"  {group}: {json.dumps(counts, ensure_ascii=False)}")
    if result.changes:
        print()
        _print_table(["kind", "action", "label", "key", "name", "fields"], list(result.rows()))
    return 0


def _edition_query(args: argparse.Namespace, settings: Settings) -> int:
    from graph.editions import edition_store
    from queries.catalog import get_query

    if len(args.names) != 2:
        raise UsageError("ckg edition query takes an edition and a query's name: NAME QUERY [-p k=v …]")
    query = get_query(args.names[1])
    given = dict(item.split("=", 1) for item in args.param or [] if "=" in item)
    params = query.bind(given)
    with open_store(settings, read_only=True) as store, edition_store(store, args.names[0]) as old:
        result = query.run(old, params)
    _print_table(result.columns, result.rows)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from graph.exports import atomic_path
    from reports.build import AUTO, Reporter, file_name, render

    if not args.all and not args.key:
        raise UsageError(f"ckg report {args.scope} needs a {args.scope} (or --all)")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    since = args.since or (None if args.no_compare else AUTO)
    with open_store(_store_settings(args), read_only=True) as store, Reporter(store, args.edition, since) as reporter:
        if args.all:
            keys = reporter.cities() if args.scope == "city" else list(reporter.queries.clusters())
        else:
            keys = [args.key]
        for key in tqdm(keys, desc=f"report {args.scope}", unit=" report", disable=len(keys) == 1):
            ctx = reporter.context(args.scope, key)
            path = out_dir / file_name(ctx, args.format)
            if path.exists() and not args.force:
                raise UsageError(f"{path} exists (use --force to replace it)")
            with atomic_path(path) as partial:  # an interrupted batch leaves no truncated or stray file
                partial.write_bytes(render(ctx, args.format))
            if len(keys) == 1:
                print(path)
    if len(keys) > 1:
        print(f"{len(keys)} reports in {out_dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ckg", description="ClusterKG — Guangdong industry-cluster innovation graph")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    def store_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", choices=["embedded", "neo4j"], help="default: neo4j if NEO4J_URI is set")
        p.add_argument("--embedded-path", type=Path, help="embedded database file (default: user data folder)")

    ingest = sub.add_parser("ingest", help="load the bundled dataset (or one source, or a file with a mapping)")
    store_options(ingest)
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

    attribution = sub.add_parser("attribution", help="why an entity is in its clusters: ckg attribution explain ID")
    store_options(attribution)
    attribution.add_argument("action", choices=["explain"])
    attribution.add_argument("id", metavar="ID")
    attribution.set_defaults(func=cmd_attribution)

    resolve = sub.add_parser("resolve", help="entity resolution: ckg resolve explain NAME [NAME …]")
    store_options(resolve)
    resolve.add_argument("action", choices=["explain"])
    resolve.add_argument("names", nargs="+", metavar="NAME")
    resolve.add_argument("--classes", help="comma-separated classes to look in (default: the organisation classes)")
    resolve.add_argument("--data-dir", help="folder holding resolution.yaml (default: bundled data/)")
    resolve.set_defaults(func=cmd_resolve)

    query = sub.add_parser("query", help="run a named query (ckg query --list shows them)")
    store_options(query)
    query.add_argument("name", nargs="?", help="the query's name")
    query.add_argument("--param", "-p", action="append", metavar="K=V", help="a parameter, repeatable")
    query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    query.add_argument("--list", action="store_true", help="list the named queries")
    query.set_defaults(func=cmd_query)

    analyze = sub.add_parser("analyze", help="chain analytics: completeness, brokers, communities, what-if")
    store_options(analyze)
    analyze.add_argument("what", choices=["completeness", "brokers", "communities", "what-if"])
    analyze.add_argument("--by", choices=["cluster", "city"], default="cluster")
    analyze.add_argument(
        "--sourced-only", action="store_true", help="only ties a source states (leave out inferred ones)"
    )
    analyze.add_argument("--entity", help="for what-if: the entity's id")
    analyze.set_defaults(func=cmd_analyze)

    export = sub.add_parser("export", help="RDF export: Turtle, N-Triples, RDF/XML, TriG, N-Quads, JSON-LD")
    store_options(export)
    export.add_argument(
        "--format",
        default="turtle",
        choices=["turtle", "ntriples", "rdfxml", "trig", "nquads", "jsonld", "jsonld-compact"],
    )
    export.add_argument(
        "--sourced-only", action="store_true", help="leave out the ties attribution rules inferred (sources only)"
    )
    export.add_argument("--scope", default="all", choices=["all", "cluster", "query"])
    export.add_argument("--cluster", help="for --scope cluster: a cluster code or name")
    export.add_argument("--query", help="for --scope query: a named query whose result's ids make the scope")
    export.add_argument("--param", "-p", action="append", metavar="K=V", help="the query's parameters")
    export.add_argument("--out", required=True, help="the file to write (never the database; see --force)")
    export.add_argument("--force", action="store_true", help="replace --out if it exists")
    export.add_argument("--base", help="base IRI of the nodes (default https://w3id.org/clusterkg/id/)")
    export.add_argument("--validate", action="store_true", help="check the export against shapes.ttl (SHACL)")
    export.set_defaults(func=cmd_export)

    synth = sub.add_parser("synth", help="write a synthetic data folder (bundled formats) for scale tests")
    synth.add_argument(
        "--scale", type=float, default=1.0, help="1 ≈ the bundled data; 150 ≈ a million nodes; at most 1000"
    )
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--out", required=True, help="the folder to write (replaced; never the bundled data/)")
    synth.set_defaults(func=cmd_synth)

    schema = sub.add_parser("schema", help="create the store's constraints and indexes (after a neo4j-admin import)")
    store_options(schema)
    schema.set_defaults(func=cmd_schema)

    cypher = sub.add_parser("cypher", help="run a read-only Cypher query, guarded as in the app's console")
    cypher.add_argument("cypher", help="the query text")
    cypher.add_argument("--params", default="{}", help="parameters as a JSON object")
    cypher.add_argument("--format", choices=["table", "json"], default="table")
    store_options(cypher)
    cypher.set_defaults(func=cmd_cypher)

    counts = sub.add_parser("counts", help="nodes and relationships per class in the store")
    store_options(counts)
    counts.set_defaults(func=cmd_counts)

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

    edition = sub.add_parser("edition", help="editions: named, dated states of the graph you can compare")
    store_options(edition)
    edition.add_argument("action", choices=["create", "list", "diff", "delete", "query"])
    edition.add_argument("names", nargs="*", metavar="NAME", help="create/delete NAME; diff OLD NEW; query NAME QUERY")
    edition.add_argument("--note", help="for create: a note kept with the edition")
    edition.add_argument("--replace", action="store_true", help="for create: replace an edition of that name")
    edition.add_argument("--format", choices=["table", "json"], default="table", help="for diff")
    edition.add_argument("--param", "-p", action="append", metavar="K=V", help="for query: a parameter")
    edition.set_defaults(func=cmd_edition)

    report = sub.add_parser("report", help="the yearly execution report (创新体系执行情况) of a city or a cluster")
    store_options(report)
    report.add_argument("scope", choices=["city", "cluster"])
    report.add_argument("key", nargs="?", help="a city (东莞市) or a cluster (E01 or its name)")
    report.add_argument("--all", action="store_true", help="every city (or cluster), with a progress bar")
    report.add_argument("--edition", default="current", help="the edition to report on (default: the graph now)")
    report.add_argument("--since", help="compare with this edition (default: the one before --edition)")
    report.add_argument("--no-compare", action="store_true", help="no comparison with an earlier edition")
    report.add_argument("--format", choices=["docx", "html", "xlsx"], default="docx")
    report.add_argument("--out-dir", default="build/reports", help="folder to write to (default build/reports)")
    report.add_argument("--force", action="store_true", help="replace existing files")
    report.set_defaults(func=cmd_report)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2), like every other error of ``ckg``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


# Options naming a file or folder the user gives us to read: checked before any work starts.
_INPUT_FILES = ("file", "mapping")
_INPUT_FOLDERS = ("data_dir",)


def _check_input_files(args: argparse.Namespace) -> None:
    for option in _INPUT_FOLDERS:
        value = getattr(args, option, None)
        if value is not None and not Path(value).is_dir():
            raise UsageError(f"--{option.replace('_', '-')} {value}: no such folder")
    for option in _INPUT_FILES:
        value = getattr(args, option, None)
        if value is None:
            continue
        path = Path(value)
        if path.is_dir():
            raise UsageError(f"--{option} {value}: is a folder, not a file")
        if not path.is_file():
            raise UsageError(f"--{option} {value}: no such file")


def _one_line(exc: BaseException) -> str:
    """An error as one line: its message, or its kind when it has none; inner line breaks folded."""
    if isinstance(exc, UnicodeDecodeError):
        text = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    elif isinstance(exc, KeyError) and exc.args:  # a sentence as it is; a bare key named as unknown
        key = exc.args[0]
        text = key if isinstance(key, str) and " " in key.strip() else f"unknown name {key!r}"
    else:
        text = str(exc).strip() or type(exc).__name__
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    prog = f"ckg {args.command}"
    try:
        _check_input_files(args)
        return int(args.func(args))
    except BrokenPipeError:  # e.g. `ckg query … | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    # Every failure is one line and exit 2: ours (ClusterKGError and its kinds), the system's (a missing
    # or unreadable file, a bad store path) and bad values read from the user's input. -v adds the traceback.
    except UsageError as exc:
        print(f"{prog}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ClusterKGError as exc:  # each kind its own sentence, shared with the app (app_pages/errors.py)
        from app_pages.errors import explain_error

        log.debug("traceback", exc_info=True)
        print(f"{prog}: {_one_line(Exception(explain_error(exc)[1]))}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as exc:
        log.debug("traceback", exc_info=True)
        print(f"{prog}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, still not a traceback in the user's face
        log.info("unexpected error", exc_info=True)
        print(f"{prog}: unexpected {type(exc).__name__}: {_one_line(exc)} (ckg -v shows where)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
