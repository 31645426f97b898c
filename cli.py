"""The ``ckg`` command (ingest, mapping, query, analyze, export and the rest): a face beside app.py.

Here: the parser, the checks on input files and the turning of every failure into one line and an exit code.
The subcommands themselves live in ``cli_commands/``, one module per group.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cli_commands import exporting, loading, reading, reporting, terminal
from cli_commands.common import OneLineErrorParser, UsageError, both, wrong_command_line
from graph.errors import ClusterKGError, said_in_both

# UsageError now lives in cli_commands; named here so that ``from cli import UsageError`` keeps type-checking.
__all__ = ["UsageError", "build_parser", "main"]

log = logging.getLogger("ckg")

# In the order ``ckg --help`` has always listed them.
_SUBCOMMANDS = (
    loading.add_ingest,
    loading.add_attribution,
    loading.add_resolve,
    reading.add_query,
    reading.add_analyze,
    exporting.add_export,
    exporting.add_synth,
    loading.add_schema,
    reading.add_cypher,
    reading.add_counts,
    loading.add_mapping,
    reporting.add_edition,
    reporting.add_report,
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="ckg",
        description=both("ClusterKG — 广东战略性产业集群创新知识图谱", "Guangdong industry-cluster innovation graph"),
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=both("记录运行过程；意外错误时显示出错位置", "log what runs, and where an unexpected error arose"),
    )
    sub = parser.add_subparsers(dest="command", required=True, title=both("命令", "commands"), metavar="COMMAND")
    for add_subcommand in _SUBCOMMANDS:
        add_subcommand(sub)
    return parser


# Options naming a file or folder the user gives us to read: checked before any work starts.
_INPUT_FILES = ("file", "mapping")
_INPUT_FOLDERS = ("data_dir",)


def _check_input_files(args: argparse.Namespace) -> None:
    for option in _INPUT_FOLDERS:
        value = getattr(args, option, None)
        if value is not None and not Path(value).is_dir():
            where = f"--{option.replace('_', '-')} {value}"
            raise UsageError(f"{where}: 没有这个文件夹 / {where}: no such folder")
    for option in _INPUT_FILES:
        value = getattr(args, option, None)
        if value is None:
            continue
        path = Path(value)
        if path.is_dir():
            raise UsageError(f"--{option} {value}: 是文件夹而非文件 / --{option} {value}: is a folder, not a file")
        if not path.is_file():
            raise UsageError(f"--{option} {value}: 没有这个文件 / --{option} {value}: no such file")


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
    terminal.guard()  # a value's escape sequences are shown, not obeyed, on a terminal
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
        print(f"{prog}: {both('已中断', 'interrupted')}", file=sys.stderr)
        return 130
    # Every failure is one line and exit 2, its kind in both languages: ours (ClusterKGError and its kinds), the
    # system's (a missing or unreadable file, a bad store path) and bad values read from the user's input. A detail
    # the system or a library gave stays as it came.
    except UsageError as exc:
        detail = _one_line(exc)
        print(f"{prog}: {wrong_command_line(*(said_in_both(detail) or ('', detail)))}", file=sys.stderr)
        return 2
    except ClusterKGError as exc:  # each kind its own sentence, shared with the app (app_pages/errors.py)
        from app_pages.errors import one_line

        log.debug("traceback", exc_info=True)
        print(f"{prog}: {_one_line(Exception(one_line(exc)))}", file=sys.stderr)
        return 2
    except OSError as exc:
        log.debug("traceback", exc_info=True)
        print(f"{prog}: {both('文件或系统出错', 'A file or the system failed')}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:
        log.debug("traceback", exc_info=True)
        zh, en = said_in_both(_one_line(exc)) or ("", _one_line(exc))  # ours in both languages, a library's once
        print(f"{prog}: 输入有误{'：' + zh if zh else ''} / The input is wrong: {en}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, still not a traceback in the user's face
        log.info("unexpected error", exc_info=True)
        kind = both("意外错误", f"Unexpected {type(exc).__name__}")
        print(f"{prog}: {kind}: {_one_line(exc)} (ckg -v 显示出错位置 / shows where)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
