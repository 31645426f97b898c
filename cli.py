"""The ``ckg`` command: ingest, counts, and (as they land) query and export. A face beside app.py."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from graph.errors import ClusterKGError
from graph.factory import open_store
from graph.schema import default_schema
from graph.settings import Settings

log = logging.getLogger("ckg")


def _store_settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "store", None):
        settings = Settings.from_env({**_environ(), "CLUSTERKG_BACKEND": args.store})
    if getattr(args, "embedded_path", None):
        settings = Settings.from_env(
            {**_environ(), "CLUSTERKG_BACKEND": "embedded", "CLUSTERKG_EMBEDDED_PATH": str(args.embedded_path)}
        )
    return settings


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


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
    ingest.add_argument("-q", "--quiet", action="store_true")
    ingest.set_defaults(func=cmd_ingest)

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
    except ClusterKGError as exc:
        print(f"ckg: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
