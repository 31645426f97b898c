"""What the command groups share: the parser, the store options, the usage error, K=V options, the table printer."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import NoReturn, TypeAlias

from graph.errors import ClusterKGError
from graph.settings import Settings


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2), like every other error of ``ckg``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


# What add_subparsers returns (its parsers share the class of the one it was called on); argparse gives it no
# public name.
Subcommands: TypeAlias = "argparse._SubParsersAction[OneLineErrorParser]"


class UsageError(ClusterKGError):
    """The command line itself is wrong (a malformed or contradictory option)."""


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", choices=["embedded", "neo4j"], help="default: neo4j if NEO4J_URI is set")
    parser.add_argument("--embedded-path", type=Path, help="embedded database file (default: user data folder)")


def store_settings(args: argparse.Namespace) -> Settings:
    """The environment's settings, with the command line's --store / --embedded-path taking precedence."""
    env = dict(os.environ)
    if getattr(args, "store", None):
        env["CLUSTERKG_BACKEND"] = args.store
    if getattr(args, "embedded_path", None):
        env.update(CLUSTERKG_BACKEND="embedded", CLUSTERKG_EMBEDDED_PATH=str(args.embedded_path))
    return Settings.from_env(env)


def key_values(items: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} takes K=V, got {item!r}")
        pairs[key.strip()] = value
    return pairs


def print_table(columns: list[str], rows: list[dict[str, object]]) -> None:
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
