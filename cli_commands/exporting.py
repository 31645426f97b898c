"""Writing files from the graph or for it: ``ckg export`` (RDF) and ``ckg synth`` (a synthetic data folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli_commands.common import Subcommands, UsageError, add_store_options, key_values, store_settings
from graph.factory import open_store


def add_export(sub: Subcommands) -> None:
    export = sub.add_parser("export", help="RDF export: Turtle, N-Triples, RDF/XML, TriG, N-Quads, JSON-LD")
    add_store_options(export)
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


def cmd_export(args: argparse.Namespace) -> int:
    from graph.exports import check_target
    from graph.ids import DEFAULT_BASE_IRI
    from graph.rdf.validate import validate_export
    from queries.scopes import export_scope

    params = key_values(args.param, "--param")
    if args.cluster and args.scope != "cluster":
        raise UsageError("--cluster goes with --scope cluster")
    if args.query and args.scope != "query":
        raise UsageError("--query goes with --scope query")
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


def add_synth(sub: Subcommands) -> None:
    synth = sub.add_parser("synth", help="write a synthetic data folder (bundled formats) for scale tests")
    synth.add_argument(
        "--scale", type=float, default=1.0, help="1 ≈ the bundled data; 150 ≈ a million nodes; at most 1000"
    )
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--out", required=True, help="the folder to write (replaced; never the bundled data/)")
    synth.set_defaults(func=cmd_synth)


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
