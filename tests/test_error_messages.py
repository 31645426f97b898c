"""Each kind of failure has its own sentence in each face: the app (Chinese and English) and the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.errors import KINDS, explain_error, one_line
from graph.embedded_pool import WAITED
from graph.errors import QueryRejectedError, StoreUnavailableError
from ingest.mapping_schema import MappingError
from ingest.readers import ReadError
from queries.catalog import QueryError
from tests.conftest import REPO, shown

CKG = str(REPO / ".venv" / "bin" / "ckg")


def test_every_kind_of_error_has_its_own_sentence_in_both_languages() -> None:
    sentences = [explain_error(kind("detail")) for kind, _, _ in KINDS if kind is not StoreUnavailableError]
    sentences.append(explain_error(StoreUnavailableError("detail")))
    assert len({zh for zh, _ in sentences}) == len({en for _, en in sentences}) == len(KINDS)
    assert all(zh.endswith("detail") and en.endswith("detail") for zh, en in sentences)


def test_a_detail_said_in_both_languages_goes_with_its_kind_and_an_untranslated_one_is_said_once() -> None:
    bilingual = ReadError("/data/x.csv: 文件是空的 / the file is empty")
    assert explain_error(bilingual) == (
        "数据文件无法读取：/data/x.csv: 文件是空的",
        "The data file cannot be read: /data/x.csv: the file is empty",  # the file named in English too
    )
    assert (
        one_line(bilingual)
        == "数据文件无法读取：/data/x.csv: 文件是空的 / The data file cannot be read: /data/x.csv: the file is empty"
    )
    assert one_line(QueryError("no such thing")) == "查询参数有误 / A query parameter is wrong: no such thing"
    several = MappingError("m.yaml: 2 个问题 / 2 problems: a / b")  # not one Chinese half and one English: as it is
    assert one_line(several).endswith("The mapping file is wrong: m.yaml: 2 个问题 / 2 problems: a / b")


def _ckg(*words: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CKG, *words], capture_output=True, text=True, timeout=120, check=False, env=env)


def test_the_command_line_names_the_kind_of_failure(loaded_embedded_path: Path, tmp_path: Path) -> None:
    bad_param = _ckg("query", "shared_entities", "-p", "min_clusters=two", "--embedded-path", str(loaded_embedded_path))
    assert bad_param.returncode == 2 and "A query parameter is wrong" in bad_param.stderr
    said = "ckg query: 查询参数有误：参数 min_clusters 须为 int，而不是 'two' / A query parameter is wrong: parameter"
    assert bad_param.stderr.startswith(said), bad_param.stderr  # Chinese first, its detail too
    mapping, data = tmp_path / "m.yaml", tmp_path / "x.csv"
    mapping.write_text("source: x\nfile: x.csv\nnode: {class: Nope}\n", encoding="utf-8")
    data.write_text("name\nA\n", encoding="utf-8")
    store = str(tmp_path / "g.lbdb")
    bad_mapping = _ckg("ingest", "--file", str(data), "--mapping", str(mapping), "--embedded-path", store)
    assert bad_mapping.returncode == 2 and "The mapping file is wrong" in bad_mapping.stderr
    env = {"PATH": "/usr/bin:/bin", "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_USERNAME": "u", "NEO4J_PASSWORD": "p"}
    unreachable = _ckg("counts", "--store", "neo4j", env=env)
    assert unreachable.returncode == 2 and "cannot be reached" in unreachable.stderr
    assert "Traceback" not in bad_param.stderr + unreachable.stderr


def test_the_app_says_a_wrong_parameter_is_a_wrong_parameter(
    loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(loaded_embedded_path))
    from app_pages.common import forget_store

    forget_store()
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    app.run()
    app.switch_page("app_pages/export.py").run()
    app.selectbox(key="export_query").set_value("shared_entities").run()
    app.text_input(key="export_shared_entities_min_clusters").set_value("two").run()
    errors = " ".join(shown(e.value) for e in app.error)
    assert "查询参数有误" in errors and "A query parameter is wrong" in errors
    assert "不可用" not in errors and "cannot be reached" not in errors
    assert isinstance(QueryError("x"), Exception)


def test_a_busy_stores_refusals_are_said_in_chinese_too() -> None:
    zh, en = explain_error(QueryRejectedError(WAITED.format(n=2)))  # ours, said in both
    assert "排队" in zh and "while it waited" in en and "排队" not in en
    cases = {
        "the query ran past its time limit and was stopped (timeout)": "超过时间上限",
        "Buffer manager exception: Unable to allocate memory! The buffer pool is full and no memory could be freed!": (
            "缓冲池已满"
        ),
    }
    for english, chinese in cases.items():
        zh, en = explain_error(QueryRejectedError(english))
        assert chinese in zh and english not in zh and english in en


def test_the_app_says_which_setting_is_wrong(loaded_embedded_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CLUSTERKG_EMBEDDED_PATH", str(loaded_embedded_path))
    monkeypatch.setenv("CLUSTERKG_ROW_CAP", "many")
    from app_pages.common import forget_store

    forget_store()
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    app.run()
    assert not app.exception
    errors = " ".join(shown(e.value) for e in app.error)
    assert "环境变量中的设置有误" in errors and "CLUSTERKG_ROW_CAP" in errors, errors
    forget_store()
