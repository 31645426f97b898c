"""Every message ClusterKG writes for a person is Chinese first with English alongside (standard 7): the warnings it
logs, and the errors a user's input or the machine's state can raise. The errors only a developer meets stay in
English: the ontology's own checks and rows that do not fit it (``SchemaError``: the ontology and the code that
writes rows are the developer's), a snapshot's invariants (``TopologyTooLargeError``, plain ``ClusterKGError``) and a
caller's misuse (``ValueError``, ``TypeError``…), which the command line and the app name as unexpected."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_pages.errors import explain_error, one_line
from graph.embedded_open import cannot_open
from graph.embedded_results import DISK_FULL
from graph.errors import ClusterKGError, QueryRejectedError, StoreError, apart, led, noted, said_in_both
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
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _text(node.func.value, constants)  # CONSTANT.format(…): the constant's own words
    return None


def _placeholders(text: str) -> int:
    return len(re.findall(r"%[-#0 +]*\d*(?:\.\d+)?[sdrf]", text))


def _arguments(call: ast.Call) -> int | None:
    """How many values a logging call passes after its format (None where the source does not show it)."""
    count = 0
    for arg in call.args[1:]:
        if not isinstance(arg, ast.Starred):
            count += 1
        elif isinstance(arg.value, ast.Tuple):
            count += len(arg.value.elts)
        elif isinstance(arg.value, ast.Call) and getattr(arg.value.func, "id", "") in ("noted", "apart"):
            count += 2
        elif (
            isinstance(arg.value, ast.BinOp)
            and isinstance(arg.value.left, ast.Tuple)
            and isinstance(arg.value.right, ast.Constant)
            and isinstance(arg.value.right.value, int)
        ):
            count += len(arg.value.left.elts) * arg.value.right.value
        else:
            return None
    return count


def _nodes() -> Iterator[tuple[str, ast.AST, dict[str, str]]]:
    for path in _library_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            yield str(path.relative_to(REPO)), node, constants


def _logged_warnings() -> list[tuple[str, str | None, int | None]]:
    """(file:line, format text, values passed) of every ``log.warning`` / ``error`` / ``exception`` / ``critical``."""
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
            found.append((f"{where}:{node.lineno}", text, _arguments(node)))
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
    """(file:line, text) of each error of ``classes`` made with a message the source spells (raised there, or made to
    be returned and raised by the caller), and how many others are made with a message made elsewhere (a call:
    checked where it is made, or by the tests below)."""
    texts, unspelled = [], 0
    for where, node, constants in _nodes():
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in classes:
            continue
        first = _text(node.args[0], constants)
        if first is None:
            unspelled += 1
            continue
        if len(node.args) >= 2:  # (zh, en): the two halves given apart
            second = _text(node.args[1], constants) or ""
            first = f"{first} / {second}"
        texts.append((f"{where}:{node.lineno}", first))
    return texts, unspelled


def test_every_logged_warning_is_said_chinese_first() -> None:
    found = _logged_warnings()
    assert len(found) >= 30  # the scan sees the library's warnings
    wrong = [(where, text) for where, text, _ in found if text is None or not chinese_first(text)]
    assert not wrong, wrong
    halves = [(where, text) for where, text, _ in found if text is not None and text.count(" / ") != 1]
    assert not halves, halves  # one " / ": a second would split the Chinese half


def test_every_logged_warning_passes_a_value_for_each_placeholder() -> None:
    found = [(where, text, given) for where, text, given in _logged_warnings() if text is not None]
    counted = [(where, _placeholders(text), given) for where, text, given in found if given is not None]
    assert len(counted) >= 25  # the scan sees how many values most calls pass
    wrong = [(where, wanted, given) for where, wanted, given in counted if wanted != given]
    assert not wrong, wrong  # logging would print "--- Logging error ---" and lose the line


def test_every_error_a_user_can_meet_is_said_chinese_first() -> None:
    classes = _user_error_classes()
    assert {"StoreError", "QueryError", "EditionError", "ReportError", "UnknownSourceError"} <= classes
    texts, unspelled = _raised_texts(classes)
    assert len(texts) >= 80 and unspelled < len(texts)  # the scan sees most messages spelled where they are raised
    wrong = [(where, text) for where, text in texts if not chinese_first(text)]
    assert not wrong, wrong
    halves = [
        (where, text)
        for where, text in texts
        if " / " in text.partition(" / ")[2] and CJK.search(text.partition(" / ")[2])
    ]
    assert not halves, halves  # Chinese after the first " / ": a second Chinese half the split cannot tell


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
        (["counts"], {"CLUSTERKG_ROW_CAP": "many"}, "CLUSTERKG_ROW_CAP 须为整数", "must be a whole number"),
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
    if not env:  # a copy of the bundled graph (given a path, the backend variable is not read)
        subprocess.run(["cp", "-r", str(loaded_embedded_path), str(tmp_path / "g.lbdb")], check=True)
        argv += ["--embedded-path", str(tmp_path / "g.lbdb")]
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, env=environment)
    zh, en = _said(result, words[0])
    assert zh_detail in zh and CJK.search(zh_detail) and en_detail in en, result.stderr


def test_a_detail_after_our_own_words_is_said_in_each_half_once() -> None:
    words = "Neo.TransientError: the transaction's time limit"  # the database's, which ClusterKG knows in Chinese
    zh, en = explain_error(StoreError(led("Neo4j 停止了读取", "Neo4j stopped a read", words)))
    assert zh.startswith("数据库执行出错：Neo4j 停止了读取：查询超过时间上限") and en.endswith(words)
    ours = one_line(QueryRejectedError(TIMED_OUT))  # our Chinese says it already: not twice
    assert ours.partition(" / ")[0].count("时间上限") == 1 and chinese_first(ours)
    pool = led("内嵌存储拒绝了该语句", "embedded store rejected a statement", DISK_FULL)  # ours inside ours: split
    zh, _, en = pool.partition(" / ")
    assert "磁盘已满" in zh and "disk holding the embedded store is full" in en and CJK.search(en) is None
    unknown = led("甲", "a", "Runtime exception: something")  # a library's words: once, after the English
    assert unknown == "甲 / a: Runtime exception: something"


def test_a_logged_detail_goes_to_each_half_in_its_language() -> None:
    assert noted(StoreError(TIMED_OUT)) == ("（查询超过时间上限，已停止）", TIMED_OUT.split(" / ")[1])
    assert noted(OSError("No space left on device")) == ("（磁盘已满）", "No space left on device")
    assert noted(OSError("Input/output error")) == ("", "Input/output error")  # words it does not know: English


def test_a_value_holding_the_separator_is_split_with_its_message() -> None:
    text = "文件 a / b.csv 已损坏 / the file a / b.csv is damaged"  # the value in both halves
    assert said_in_both(text) == ("文件 a / b.csv 已损坏", "the file a / b.csv is damaged")
    assert apart(text) == ("文件 a / b.csv 已损坏", "the file a / b.csv is damaged")
    assert said_in_both("a / b / c") is None and said_in_both("on / off") is None  # no Chinese half
    assert said_in_both("甲 / 乙 / 丙") is None  # an even number of separators: no middle one
