"""The ``ckg`` command: ingest, counts, and (as they land) query and export. A face beside app.py."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from graph.errors import ClusterKGError
from graph.factory import open_store
from graph.schema import default_schema
from graph.settings import Settings

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
    if args.file:
        if not args.mapping:
            print("ckg ingest --file needs --mapping MAPPING.yaml", file=sys.stderr)
            return 2
        sources = [mapping_source(load_mapping(Path(args.mapping), schema), str(Path(args.file).resolve()))]
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

        result = run_ingest(store, sources, data_dir=data_dir, dry_run=args.dry_run, progress=progress)
        bar.close()
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    result.report.write_csv(report_dir / "rejections.csv")
    print(result.report.summary())
    print(f"nodes: {json.dumps(result.node_counts, ensure_ascii=False)}")
    print(f"relationships: {json.dumps(result.relationship_counts, ensure_ascii=False)}")
    print(
        f"changes to the {store.backend} store{' (dry run, nothing written)' if args.dry_run else ''}: "
        f"nodes {result.nodes.summary()}, relationships {result.relationships.summary()}"
    )
    print(f"report: {report_dir / 'rejections.csv'}; run {result.run_id}")
    if not result.ok:
        print("some files broke their row-count bounds (see the report)", file=sys.stderr)
        return 1
    return 0


def _write_neo4j_import(args: argparse.Namespace, sources: list[Any], data_dir: Path) -> int:
    from ingest.neo4j_import import write_import_files

    files = write_import_files(sources, default_schema(), data_dir=data_dir, out_dir=Path(args.neo4j_import))
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    files.result.report.write_csv(report_dir / "rejections.csv")
    print(files.result.report.summary())
    print(f"nodes: {json.dumps(files.result.node_counts, ensure_ascii=False)}")
    print(f"relationships: {json.dumps(files.result.relationship_counts, ensure_ascii=False)}")
    print(f"neo4j-admin import files: {files.args_file}")
    print(
        f"next: scripts/neo4j-dev import {args.neo4j_import}  (on a server's machine, with it stopped: "
        f"neo4j-admin database import full neo4j $(cat {files.args_file})), then: ckg schema --store neo4j"
    )
    return 0 if files.result.ok else 1


def cmd_schema(args: argparse.Namespace) -> int:
    with open_store(_store_settings(args)) as store:
        store.setup_schema()
    print(f"the {store.backend} store's constraints and indexes are in place")
    return 0


def _has_completed_run(store: object) -> bool:
    from graph.store import GraphStore

    assert isinstance(store, GraphStore)
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
            params = ", ".join(
                f"{p.name}:{p.type}" + (f"={p.default}" if p.default not in (None, "") else "") for p in query.params
            )
            print(
                f"{query.name:34} {query.kind:6} {query.title_zh} / {query.title_en}"
                + (f"  ({params})" if params else "")
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
    line = lambda values: "  ".join(v + " " * (widths[i] - width(v)) for i, v in enumerate(values))  # noqa: E731
    print(line(columns))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print(line(row))
    print(f"({len(rows)} rows)")


def cmd_analyze(args: argparse.Namespace) -> int:
    from queries import analytics

    with open_store(_store_settings(args), read_only=True) as store:
        eco = analytics.Ecosystem.pull(store)
        if args.what == "completeness":
            results = (
                analytics.cluster_completeness(store, eco)
                if args.by == "cluster"
                else analytics.city_completeness(store, eco)
            )
            rows = [
                {
                    "scope": c.scope,
                    **{analytics.STAGE_ZH[s]: c.stage_counts[s] for s in analytics.STAGES},
                    "score": c.score,
                    "explanation": c.explanation,
                }
                for c in results
            ]
            _print_table(list(rows[0]) if rows else [], rows)  # type: ignore[arg-type]
        elif args.what == "brokers":
            rows = [b.__dict__ for b in analytics.brokers(eco)]
            _print_table(["id", "name", "betweenness", "clusters", "explanation"], rows)
        elif args.what == "communities":
            rows = [{"clusters": list(c), "entities": n} for c, n in analytics.communities(eco)]
            _print_table(["clusters", "entities"], rows)  # type: ignore[arg-type]
        else:
            if not args.entity:
                print("ckg analyze what-if needs --entity ID", file=sys.stderr)
                return 2
            losses = analytics.stage_losses_if_removed(eco, args.entity)
            rows = [
                {"cluster": c, "stage": s, "explanation": f"{args.entity} is the only {s} entity of {c}"}
                for c, s in losses
            ]
            _print_table(["cluster", "stage", "explanation"], rows)  # type: ignore[arg-type]
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from graph.ids import DEFAULT_BASE_IRI
    from graph.rdf.export import export_rdf
    from graph.rdf.validate import validate_export

    params = dict(item.split("=", 1) for item in args.param or [])
    with open_store(_store_settings(args), read_only=True) as store:
        result = export_rdf(
            store,
            Path(args.out),
            fmt=args.format,
            scope=args.scope,
            cluster=args.cluster,
            query=args.query,
            params=params,
            base=args.base or DEFAULT_BASE_IRI,
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ckg", description="ClusterKG — Guangdong industry-cluster innovation graph")
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
    ingest.add_argument("--report-dir", default="build/ingest-report", help="where the rejection report goes")
    ingest.add_argument(
        "--neo4j-import", metavar="DIR", help="write neo4j-admin import files for an initial load instead of loading"
    )
    ingest.add_argument("-q", "--quiet", action="store_true")
    ingest.set_defaults(func=cmd_ingest)

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
    analyze.add_argument("--entity", help="for what-if: the entity's id")
    analyze.set_defaults(func=cmd_analyze)

    export = sub.add_parser("export", help="RDF export: Turtle, N-Triples, RDF/XML, TriG, N-Quads, JSON-LD")
    store_options(export)
    export.add_argument(
        "--format",
        default="turtle",
        choices=["turtle", "ntriples", "rdfxml", "trig", "nquads", "jsonld", "jsonld-compact"],
    )
    export.add_argument("--scope", default="all", choices=["all", "cluster", "query"])
    export.add_argument("--cluster", help="for --scope cluster: a cluster code or name")
    export.add_argument("--query", help="for --scope query: a named query whose result's ids make the scope")
    export.add_argument("--param", "-p", action="append", metavar="K=V", help="the query's parameters")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument("--base", help="base IRI of the nodes (default https://w3id.org/clusterkg/id/)")
    export.add_argument("--validate", action="store_true", help="check the export against shapes.ttl (SHACL)")
    export.set_defaults(func=cmd_export)

    synth = sub.add_parser("synth", help="write a synthetic data folder (bundled formats) for scale tests")
    synth.add_argument("--scale", type=float, default=1.0, help="1 ≈ the bundled data; 150 ≈ a million nodes")
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--out", required=True, help="the folder to write (replaced; never the bundled data/)")
    synth.set_defaults(func=cmd_synth)

    schema = sub.add_parser("schema", help="create the store's constraints and indexes (after a neo4j-admin import)")
    store_options(schema)
    schema.set_defaults(func=cmd_schema)

    counts = sub.add_parser("counts", help="nodes and relationships per class in the store")
    store_options(counts)
    counts.set_defaults(func=cmd_counts)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except BrokenPipeError:  # e.g. `ckg query … | head`
        sys.stderr.close()
        return 0
    except ClusterKGError as exc:
        print(f"ckg: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
