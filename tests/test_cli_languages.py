"""The command line speaks Chinese first with English alongside: every help text, its own section titles, the
summaries it prints and the heads of its tables (the standard's "to the last table header and error message")."""

from __future__ import annotations

import argparse
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_pages.column_words import COLUMNS
from cli import build_parser
from cli import main as ckg
from cli_commands.common import print_table
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from queries.catalog import catalog
from tests.bilingual import chinese_first

SUPPRESSED = argparse.SUPPRESS


def _parsers(parser: argparse.ArgumentParser, path: str = "ckg") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:  # argparse keeps its subcommands here and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_option_argument_and_command_says_what_it_is_inchinese_first() -> None:
    missing = []
    parsers = list(_parsers(build_parser()))
    assert len(parsers) >= 16  # ckg, its 13 commands, mapping's check and new
    for path, parser in parsers:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = [(f"{path} {c.dest}", c.help) for c in action._choices_actions]
            else:
                helps = [(f"{path} {'/'.join(action.option_strings) or action.dest}", action.help)]
            missing += [where for where, text in helps if text is None or not chinese_first(str(text))]
        titles = [group.title for group in parser._action_groups if group._group_actions]
        missing += [f"{path}: section {title!r}" for title in titles if not chinese_first(str(title))]
    assert not missing, missing


def test_the_help_text_itself_readschinese_first(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["ingest", "--help"], ["mapping", "check", "--help"]):
        with pytest.raises(SystemExit) as done:
            ckg(argv)
        assert done.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("用法 / usage: ckg"), out[:80]
        assert "选项 / options:" in out and "显示本帮助并退出 / show this help" in out
        assert "show this help message and exit" not in out  # argparse's own, English only


def test_a_table_head_gives_each_known_column_its_chinese_word(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(["id", "city", "my_alias"], [{"id": "city/440300", "city": "深圳市", "my_alias": 1}])
    head, _rule, row, count = capsys.readouterr().out.splitlines()
    assert head.split() == [COLUMNS["id"][0], "id", COLUMNS["city"][0], "city", "my_alias"]
    assert row.split() == ["city/440300", "深圳市", "1"]
    assert count == "（1 行 / rows）"


def test_an_ingest_summary_readschinese_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "g.lbdb")
    report = str(tmp_path / "report")
    assert ckg(["ingest", "-q", "--embedded-path", store, "--source", "cities", "--report-dir", report]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("1 个文件；0 个错误，") and " / 1 file; 0 errors" in lines[0], lines[0]
    assert re.search(r"读入 read \d+, 载入 loaded \d+, 拒收 rejected 0, 跳过 skipped 0$", lines[1]), lines[1]
    changes = next(line for line in lines if "changes to the embedded store" in line)
    assert changes.startswith("内嵌存储的变更 / ") and "节点 / nodes 新增 added " in changes, changes
    source = next(line for line in lines if line.lstrip().startswith("来源 / source cities:"))
    assert "新增记录 records_added " in source, source
    assert all(chinese_first(line) for line in lines if not line.startswith("  ")), lines


# Parameters for the named queries that need one (a name's part, two entities' ids)
SHENZHEN = {"id": "city/440300"}
NEEDED = {
    **dict.fromkeys(
        ("entity_clusters", "entity_details", "entity_edges", "entity_neighbourhood", "neighbourhood_edges"), SHENZHEN
    ),
    "search_entities": {"text": "大学"},
    "shortest_path": {"from_id": "city/440300", "to_id": "city/441900"},
}


def test_every_column_a_named_query_returns_has_its_chinese_word(loaded_embedded_path: Path, schema: Schema) -> None:
    """The heads of ``ckg query``'s tables (and the app's): a query's new column gets its words in column_words.py."""
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    missing: dict[str, list[str]] = {}
    try:
        for query in catalog().values():
            result = query.run(store, query.bind(NEEDED.get(query.name, {})))
            for column in result.columns:
                if column not in COLUMNS:
                    missing.setdefault(column, []).append(query.name)
    finally:
        store.close()
    assert not missing, missing


def test_every_named_query_parameter_s_help_is_chinese_then_english() -> None:
    """The export page shows a parameter's help, and a missing parameter's error quotes it."""
    from graph.errors import said_in_both

    helps = {f"{q.name}.{p.name}": p.help for q in catalog().values() for p in q.params}
    assert len(helps) > 40
    assert not [where for where, text in helps.items() if said_in_both(text) is None], helps


def test_editions_attribution_and_analysis_read_chinese_first(
    loaded_embedded_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for file in loaded_embedded_path.parent.glob(loaded_embedded_path.name + "*"):
        shutil.copy(file, tmp_path / file.name)
    store = ["--embedded-path", str(tmp_path / loaded_embedded_path.name)]

    def said(*argv: str) -> list[str]:
        assert ckg([*argv, *store]) == 0
        return capsys.readouterr().out.splitlines()

    created = said("edition", "create", "v1")[0]
    assert created.startswith("版本 / edition v1: ") and chinese_first(created.split(": ", 1)[1]), created
    listed = said("edition", "list")[0]
    assert chinese_first(listed.split("  ", 1)[1].split("  ", 1)[1]), listed  # after the name and the date
    said("ingest", "-q", "--retract", "listed_companies", "--report-dir", str(tmp_path / "report"))
    diff = said("edition", "diff", "v1", "current")
    assert diff[0].startswith("v1 → current: 主体 / entities: 新增 added ") and "; 关系 / ties: " in diff[0], diff[0]
    assert "按集群 / per cluster:" in diff and any("主体删除 entity removed " in line for line in diff), diff[:6]
    why = said("attribution", "explain", "enterprise/47e3f77e5009")
    assert any(": 由 facts/enterprises.csv 第 3 行陈述 / stated by facts/enterprises.csv row 3" in w for w in why), why
    assert any(": 由规则 cluster." in w and " / inferred by cluster." in w for w in why), why
    table = "\n".join(said("analyze", "completeness"))
    assert "说明 explanation" in table and "5 个环节中" in table and " / " in table and "of 5 stages" in table
    assert table.index("5 个环节中") < table.index("of 5 stages")  # whole: the English after the Chinese
