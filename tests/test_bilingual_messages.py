"""Every message ClusterKG writes for a person is Chinese first with English alongside (standard 7): the warnings it
logs, and the errors a user's input or the machine's state can raise. The errors only a developer meets stay in
English: the ontology's own checks and rows that do not fit it (``SchemaError``: the ontology and the code that
writes rows are the developer's), a snapshot's invariants (``TopologyTooLargeError``, plain ``ClusterKGError``) and a
caller's misuse (``ValueError``, ``TypeError``…), which the command line and the app name as unexpected."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_pages.errors import explain_error, one_line
from graph.embedded_open import cannot_open
from graph.embedded_results import DISK_FULL
from graph.errors import ClusterKGError, QueryRejectedError, StoreError
from graph.sandbox import TIMED_OUT
from tests.bilingual import CJK, chinese_first
from tests.conftest import REPO

PACKAGES = ("graph", "ingest", "queries", "app_pages", "cli_commands", "reports")
DEVELOPERS = {"ClusterKGError", "SchemaError", "TopologyTooLargeError"}  # see the module's docstring
CKG = str(REPO / ".venv" / "bin" / "ckg")


def _library_files() -> list[Path]:
    files = [path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]
    return [*files, REPO / "cli.py", REPO / "app.py"]


def _constants(tree: ast.Module) -> dict[str, str]:
    """A module's top-level text constants (an error raised with one names it)."""
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            text = _text(node.value, {})
            if text is not None:
                out[node.targets[0].id] = text
    return out


def _text(node: ast.expr, constants: dict[str, str]) -> str | None:
    """The text a literal, an f-string (each placeholder as ``{}``), a sum of them or a module constant spells."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, constants), _text(node.right, constants)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _nodes() -> Iterator[tuple[str, ast.AST, dict[str, str]]]:
    for path in _library_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            yield str(path.relative_to(REPO)), node, constants


def _logged_warnings() -> list[tuple[str, str | None]]:
    """(file:line, format text) of every ``log.warning`` / ``error`` / ``exception`` / ``critical`` call."""
    found = []
    for where, node, constants in _nodes():
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("warning", "error", "exception", "critical")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "log"
        ):
            text = _text(node.args[0], constants) if node.args else None
            found.append((f"{where}:{node.lineno}", text))
    return found


def _user_error_classes() -> set[str]:
    """The names of ClusterKG's error classes a user can meet: every subclass of ClusterKGError, once each module
    of the library is imported, but the developer's."""
    for package in ("graph", "ingest", "queries", "reports"):  # not the pages: a page runs when imported
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            importlib.import_module(info.name)
    names, todo = set(), [ClusterKGError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names - DEVELOPERS


def _raised_texts(classes: set[str]) -> tuple[list[tuple[str, str]], int]:
    """(file:line, text) of each error of ``classes`` raised with a message the source spells, and how many others
    are raised with a message made elsewhere (a call: checked where it is made, or by the tests below)."""
    texts, unspelled = [], 0
    for where, node, constants in _nodes():
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
            continue
        func = node.exc.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in classes:
            continue
        first = _text(node.exc.args[0], constants)
        if first is None:
            unspelled += 1
            continue
        if len(node.exc.args) >= 2:  # (zh, en): the two halves given apart
            second = _text(node.exc.args[1], constants) or ""
            first = f"{first} / {second}"
        texts.append((f"{where}:{node.lineno}", first))
    return texts, unspelled


def test_every_logged_warning_is_said_chinese_first() -> None:
    found = _logged_warnings()
    assert len(found) >= 30  # the scan sees the library's warnings
    wrong = [(where, text) for where, text in found if text is None or not chinese_first(text)]
    assert not wrong, wrong


def test_every_error_a_user_can_meet_is_said_chinese_first() -> None:
    classes = _user_error_classes()
    assert {"StoreError", "QueryError", "EditionError", "ReportError", "UnknownSourceError"} <= classes
    texts, unspelled = _raised_texts(classes)
    assert len(texts) >= 80 and unspelled < len(texts)  # the scan sees most messages spelled where they are raised
    wrong = [(where, text) for where, text in texts if not chinese_first(text)]
    assert not wrong, wrong


def test_the_embedded_store_says_why_it_cannot_open_in_both_languages() -> None:
    ours = one_line(StoreError(cannot_open(Path("/x/g.lbdb"), DISK_FULL)))
    assert chinese_first(ours) and "磁盘已满" in ours.partition(" / ")[0] and "disk" in ours.partition(" / ")[2]
    library = one_line(StoreError(cannot_open(Path("/x/g.lbdb"), "Runtime exception: not a valid database")))
    zh, _, en = library.partition(" / ")
    assert "无法打开" in zh and "Runtime exception" not in zh and en.endswith("not a valid database")


def _said(result: subprocess.CompletedProcess[str], command: str) -> tuple[str, str]:
    """The command's one error line, as (Chinese half, English half), after ``ckg COMMAND: ``."""
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"ckg {command}: "), line
    text = line.removeprefix(f"ckg {command}: ")
    assert chinese_first(text), text
    zh, _, en = text.partition(" / ")
    return zh, en


@pytest.mark.parametrize(
    ("words", "env", "zh_detail", "en_detail"),
    [
        (["counts"], {"CLUSTERKG_BACKEND": "cloud"}, "只能是", "must be 'embedded' or 'neo4j'"),
        (["ingest", "--source", "nope", "--dry-run"], {}, "没有名为 'nope' 的内置来源", "no bundled source named"),
        (["edition", "diff", "nope-1", "nope-2"], {}, "没有版本 'nope-1'", "no edition 'nope-1'"),
        (["edition", "create", "no good"], {}, "版本名 'no good' 不可用", "is not allowed"),
        (["report", "city", "火星", "--out", "{tmp}/r.docx"], {}, "没有城市 '火星'", "unknown city"),
        (["ingest", "--retract", "nope"], {}, "没有来源", "no statements of source(s) nope"),
    ],
)
def test_a_user_error_on_the_command_line_says_its_detail_in_chinese_too(
    loaded_embedded_path: Path,
    tmp_path: Path,
    words: list[str],
    env: dict[str, str],
    zh_detail: str,
    en_detail: str,
) -> None:
    argv = [CKG, *(w.replace("{tmp}", str(tmp_path)) for w in words)]
    if "CLUSTERKG_BACKEND" not in env:  # a copy of the bundled graph (a path given, the variable is not read)
        subprocess.run(["cp", "-r", str(loaded_embedded_path), str(tmp_path / "g.lbdb")], check=True)
        argv += ["--embedded-path", str(tmp_path / "g.lbdb")]
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, env=environment)
    zh, en = _said(result, words[0])
    assert zh_detail in zh and CJK.search(zh_detail) and en_detail in en, result.stderr


def test_the_database_words_after_our_own_are_said_in_chinese_once() -> None:
    neo4j = StoreError("Neo4j 停止了读取 / Neo4j stopped a read: Neo.TransientError: the transaction's time limit")
    zh, en = explain_error(neo4j)
    assert zh.startswith("数据库执行出错：Neo4j 停止了读取：查询超过时间上限") and en.endswith("time limit")
    ours = one_line(QueryRejectedError(TIMED_OUT))  # our Chinese says it already: not twice
    assert ours.partition(" / ")[0].count("时间上限") == 1 and chinese_first(ours)
