"""What the command groups share: the parser, the store options, the usage error, K=V options, the table printer."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

from cli_commands.terminal import unguarded
from graph.errors import ClusterKGError
from graph.settings import Settings
from ingest.normalize import visible


def both(zh: str, en: str) -> str:
    """A text Chinese first with English alongside, as every line ``ckg`` writes for a reader."""
    return f"{zh} / {en}"


class BilingualHelpFormatter(argparse.HelpFormatter):
    """argparse's help with its own words (the usage line's prefix) in both languages."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, both("用法", "usage: ") if prefix is None else prefix)


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2), like every other error of ``ckg``, and its help
    in both languages: its section titles and its ``--help`` too (argparse's own are English)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", BilingualHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = both("参数", "arguments")
        self._optionals.title = both("选项", "options")
        self.add_argument(
            "-h",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help=both("显示本帮助并退出", "show this help and exit"),
        )

    def error(self, message: str) -> NoReturn:
        said = wrong_command_line(argparse_in_chinese(message), message, see=f"{self.prog} --help")
        self.exit(2, f"{self.prog}: {said}\n")


def wrong_command_line(zh: str, en: str, see: str = "") -> str:
    """A usage mistake: its kind and its detail, Chinese first (the detail once where it has no Chinese), and the
    help to read (``see``), in each half."""
    said_zh = (f"命令行有误：{zh}" if zh else "命令行有误") + (f"（见 {see}）" if see else "")
    return f"{said_zh} / The command line is wrong: {en}" + (f" (see {see})" if see else "")


# argparse's own messages (Python 3.11), in Chinese; the names and values in them are kept as they are
_ARGPARSE_ZH = [
    (re.compile(r"the following arguments are required: (.+)"), "缺少必需的参数 {0}"),
    (re.compile(r"unrecognized arguments: (.+)"), "无法识别的参数 {0}"),
    (
        re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)"),
        "参数 {0} 的取值 {1} 无效（可选：{2}）",
    ),
    (re.compile(r"argument (\S+): invalid (\S+) value: (.+)"), "参数 {0} 的取值 {2} 不是有效的{1}"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 需要一个值"),
    (re.compile(r"argument (\S+): expected at least one argument"), "参数 {0} 至少需要一个值"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), "参数 {0} 不能与 {1} 同用"),
    (re.compile(r"one of the arguments (.+) is required"), "须给出参数 {0} 之一"),
    (re.compile(r"ambiguous option: (\S+) could match (.+)"), "选项 {0} 有歧义，可能是 {1}"),
]


def argparse_in_chinese(message: str) -> str:
    """argparse's message in Chinese, or "" for one this table does not know (it is then shown in English alone)."""
    for pattern, words in _ARGPARSE_ZH:
        found = pattern.fullmatch(message)
        if found:
            return words.format(*(_TYPES_ZH.get(part, part) for part in found.groups()))
    return ""


_TYPES_ZH = {"float": "数字", "int": "整数"}  # the value types argparse names


# What add_subparsers returns (its parsers share the class of the one it was called on); argparse gives it no
# public name.
Subcommands: TypeAlias = "argparse._SubParsersAction[OneLineErrorParser]"


class UsageError(ClusterKGError):
    """The command line itself is wrong (a malformed or contradictory option)."""


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        choices=["embedded", "neo4j"],
        help=both("图存储；设置了 NEO4J_URI 时默认 neo4j", "the store; neo4j by default if NEO4J_URI is set"),
    )
    parser.add_argument(
        "--embedded-path",
        type=Path,
        help=both("内嵌数据库文件（默认在用户数据目录）", "the embedded database file (default: the user data folder)"),
    )


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
            raise UsageError(f"{option} 须为 K=V，而不是 {item!r} / {option} takes K=V, got {item!r}")
        pairs[key.strip()] = value
    return pairs


def counted(counts: Mapping[str, int], words: Mapping[str, str]) -> str:
    """``新增 added 3, 变更 changed 0, …``: each count after its Chinese word (from ``words``) and its key."""
    return ", ".join(f"{words.get(key, '')} {key} {value}".lstrip() for key, value in counts.items())


def print_table(columns: list[str], rows: list[dict[str, object]], whole: Collection[str] = ()) -> None:
    """The rows as a text table: a column's head is its Chinese word and its name (``标识 id``), the name alone where
    it has no word (a column of a typed Cypher query); the rows are the data's values as they are, cut to 60
    characters but in the ``whole`` columns (an explanation in both languages)."""
    import unicodedata

    from app_pages.column_words import COLUMNS

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    def cell(value: object, cut: bool = True) -> str:
        text = (
            ""
            if value is None
            else json.dumps(value, ensure_ascii=False)
            if isinstance(value, (list, dict))
            else str(value)
        )
        text = visible(text)  # a value's line break or carriage return would forge a line or overwrite one
        return text if len(text) <= 60 or not cut else text[:57] + "…"

    heads = [visible(f"{COLUMNS[c][0]} {c}" if c in COLUMNS else c) for c in columns]  # a typed query's own names
    table = [[cell(r.get(c), c not in whole) for c in columns] for r in rows]
    widths = [max([width(h)] + [width(row[i]) for row in table]) for i, h in enumerate(heads)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (widths[i] - width(v)) for i, v in enumerate(values))

    out = unguarded(sys.stdout)  # every text above is visible already: a terminal's guard would escape it again
    print(line(heads), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in table:
        print(line(row), file=out)
    print(f"（{len(rows)} 行 / rows）", file=out)
