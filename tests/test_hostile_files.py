"""Values a hostile source file could hold, outside the app: on a terminal, in a report's file name, in an RDF
export, in a JSON cell. Each case was found by an audit and proved before its mend."""

from __future__ import annotations

import io
import itertools
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import cast
from urllib.parse import urljoin

import pytest
import rdflib

from cli_commands.common import print_table
from cli_commands.terminal import _Guarded, shown
from graph.ids import match_key, mint_key, split_ref
from ingest.json_reader import read_json
from ingest.normalize import clean_header, clean_value, visible
from ingest.report import Report
from ingest.source_table import MAX_CELL
from reports.build import file_name
from reports.context import ReportContext
from tests.conftest import REPO

CKG = REPO / ".venv" / "bin" / "ckg"


def test_a_terminal_is_shown_escapes_not_sent_them() -> None:
    assert shown("名\x1b]0;pwned\x07字\x1b[2J") == "名\\x1b]0;pwned\\x07字\\x1b[2J"
    assert shown("恶意公司\u202egnp.exe") == "恶意公司\\u202egnp.exe"
    assert shown("行一\n\t行二\r") == "行一\n\t行二\r"  # what a line, a table and a progress bar need


def test_ckg_on_a_terminal_writes_a_value_s_escape_sequence_as_text(loaded_embedded_path: Path) -> None:
    """`ckg cypher` printed a value's ESC and bidi override raw to the terminal, which obeyed them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env |= {"CLUSTERKG_EMBEDDED_PATH": str(loaded_embedded_path), "CLUSTERKG_BACKEND": "embedded"}
    query = "RETURN 'A\x1b]0;pwned\x07B\u202eC' AS v"
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(CKG), "cypher", query], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    written = b""
    while True:  # read as it writes (a full terminal would stop it), until its side is closed
        try:
            part = os.read(leader, 65536)
        except OSError:
            break
        if not part:
            break
        written += part
    os.close(leader)
    returncode = proc.wait(timeout=300)
    text = written.decode("utf-8", "replace")
    assert returncode == 0, text
    assert "A\\x1b]0;pwned\\x07B\\u202eC" in text and "\x1b]0" not in text and "\u202e" not in text, text


def _report_name(key: str) -> str:
    return file_name(cast("ReportContext", SimpleNamespace(key=key, edition="current")), "html")


def test_a_report_file_name_stays_one_name_in_its_folder() -> None:
    """A city named ``../../x`` wrote its report outside the folder asked for (``ckg report --out-dir``)."""
    name = _report_name("../../../tmp/x")
    assert "/" not in name and "\\" not in name and Path(name).name == name
    assert _report_name("广州市") == "创新体系执行情况_广州市_current.html"
    assert _report_name("a/b") != _report_name("a_b")  # two names, two files
    assert _report_name("a/b") != _report_name(_report_name("a/b")[9:-13])  # a name shaped as a changed one
    assert _report_name("智能家电（佛山）") == "创新体系执行情况_智能家电（佛山）_current.html"  # kept as it is
    assert len(_report_name("长" * 300).encode()) < 255  # a file system's limit for a name
    assert "\u202e" not in _report_name("a\u202efdp.exe")  # it listed as "aexe.pdf"


def test_a_source_file_named_with_a_hash_exports_as_rdf(tmp_path: Path) -> None:
    """``名单#2.csv#5`` was split at its first ``#``: the row's IRI held the rest, and the export stopped."""
    from graph.rdf.terms import RdfMapper
    from graph.schema import default_schema

    assert split_ref("名单#2.csv#5") == ("名单#2.csv", "5") and split_ref("rule:x") == ("rule:x", "")
    terms = RdfMapper(default_schema())
    iri = str(terms.source_record("data/a#b c.json#7").value)
    assert iri.endswith("source/data/a%23b%20c.json#row=7"), iri
    triple = f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/prov#Entity> ."
    graph = rdflib.Graph().parse(data=triple, format="nt")
    assert len(graph) == 1


def test_an_id_with_dot_segments_keeps_its_own_iri() -> None:
    """``org/../city/x`` became an IRI that a client resolving it (RFC 3986: dot segments removed) took for
    ``city/x``'s, another node; ``..`` alone, for the base's parent. Each now resolves to itself, and apart."""
    from graph.rdf.terms import RdfMapper
    from graph.schema import default_schema

    terms = RdfMapper(default_schema())
    ids = ["org/../city/x", "city/x", "..", ".", "a/./b", "a/b", "./x", "x/..", "enterprise/9144", "v1.2/x..y"]
    iris = [str(terms.node(node_id).value) for node_id in ids]
    for node_id, iri in zip(ids, iris, strict=True):
        relative = iri.removeprefix(terms.base)
        assert urljoin(terms.base, relative) == iri, (node_id, iri)
    assert len(set(iris)) == len(ids)
    assert iris[1].endswith("/city/x") and iris[-2].endswith("/enterprise/9144") and iris[-1].endswith("/v1.2/x..y")
    assert str(terms.source_file("data/../x.csv").value).endswith("source/data%2F..%2Fx.csv")
    assert iris[2].endswith("/!..") and iris[3].endswith("/!.")  # not %2E%2E: a browser's URL parser reads that as ..
    lab = terms.node_quads("Laboratory", {"id": "lab/x", "level": ".."})
    level = [str(q.object) for q in lab if "lab-levels/" in str(q.object)]
    assert level and all(o.endswith("lab-levels/!..>") for o in level), level


def test_a_lone_surrogate_in_a_json_cell_is_replaced_and_reported(tmp_path: Path) -> None:
    """``"\\ud800"`` in a cell stopped the whole run where the row was hashed: it is replaced, and the row says so."""
    data = json.dumps([{"name_zh": "甲", "name_en": "lone\ud800x"}]).encode()
    table = read_json(tmp_path / "a.json", data, "digest")
    assert next(iter(table.rows)).values["name_en"] == "lone\ufffdx"
    assert [(row, column) for row, column, _, _ in table.row_problems] == [(2, "name_en")]
    "lone\ufffdx".encode()  # a text every writer takes


def test_a_json_cell_both_too_long_and_broken_is_one_problem(tmp_path: Path) -> None:
    """A cell cut for its length and holding a lone surrogate was reported twice; it is one problem, both reasons."""
    data = json.dumps([{"name_zh": "甲", "name_en": "\ud800" + "x" * (MAX_CELL + 5)}]).encode()
    table = read_json(tmp_path / "a.json", data, "digest")
    value = next(iter(table.rows)).values["name_en"]
    assert value.startswith("\ufffd") and len(value) == MAX_CELL
    [(row, column, shown_value, reason)] = table.row_problems
    assert (row, column) == (2, "name_en") and shown_value.startswith("\ufffdx")
    assert "截断" in reason and "U+FFFD" in reason and reason.count(" / ") == 1, reason


def test_a_header_s_control_and_format_characters_are_dropped() -> None:
    """A header's escape sequence was printed raw by ``ckg mapping new`` and written into the mapping it made."""
    assert clean_header("weird\x1b]0;HDR\x07col") == "weird]0;hdrcol"
    assert clean_header("a\u202eb\ud800 c") == "ab_c"


@pytest.mark.parametrize("header", ["名\x1b[2J称", "x\u202ey\ud800"])
def test_a_cleaned_header_is_printable(header: str) -> None:
    assert clean_header(header).isprintable()


def test_a_header_s_zero_width_space_stays_as_it_was() -> None:
    """Dropped, it made ``名称`` and ``名称\u200b`` one header twice, and the file that loaded before was refused."""
    assert clean_header("名称\u200b") != clean_header("名称")


def _read_back(shown_text: str) -> str:
    """What a reader takes ``visible``'s text to say: a doubled backslash is one, ``\\xHH`` and ``\\uHHHH`` are
    characters, any other backslash is itself."""
    return re.sub(
        r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})",
        lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)),
        shown_text,
    )


def test_a_shown_text_reads_back_as_the_text_it_shows() -> None:
    """The text \\x1b and a real ESC were shown alike; now every text of these characters up to five long reads back
    as itself, and a backslash that starts no escape (C:\\data) is shown once."""
    alphabet = ["\\", "x", "u", "1", "b", "e", "\x1b", "\u202e", "\n", "名"]
    for size in range(1, 6):
        for chars in itertools.product(alphabet, repeat=size):
            text = "".join(chars)
            assert _read_back(visible(text)) == text, (text, visible(text))
    assert visible("C:\\data\\名") == "C:\\data\\名"
    assert visible("\\x1b") != visible("\x1b")


def test_a_rejected_value_s_escape_sequence_is_shown_in_the_report() -> None:
    """``rejections.csv`` kept a value's ESC and line break: ``cat`` of it retitled the terminal and showed a forged
    line."""
    report = Report()
    report.error("a.csv", "bad", row=2, column="founded", value="19xx\x1b]0;pwned\x07\nINFO forged line")
    text = report.to_csv()
    assert "\x1b" not in text and "\x07" not in text and "\nINFO forged" not in text, text
    assert "19xx\\x1b]0;pwned\\x07\\x0aINFO forged line" in text
    assert report.issues[0].value == "19xx\\x1b]0;pwned\\x07\\x0aINFO forged line"  # as the quality page shows it


def test_a_table_s_line_break_or_carriage_return_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    """A carriage return let one name overwrite another on the terminal, a line break forge a line of its own."""
    print_table(["name"], [{"name": "恶意公司\r正规公司"}, {"name": "a\nINFO 校验通过"}])
    out = capsys.readouterr().out
    assert "恶意公司\\x0d正规公司" in out and "a\\x0aINFO 校验通过" in out and "\r" not in out


def test_a_table_on_a_terminal_is_escaped_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once ``visible`` wrote a backslash twice where it would start an escape, a table's cells, escaped by
    ``print_table`` and again by the terminal's guard, showed a real ESC as the text ``\\x1b``."""
    screen = io.StringIO()
    monkeypatch.setattr(sys, "stdout", _Guarded(screen))
    print_table(["v", "名\x1b[2J"], [{"v": "A\x1bB", "名\x1b[2J": "text \\x1b"}])
    out = screen.getvalue()
    assert "A\\x1bB" in out and "text \\\\x1b" in out and "名\\x1b[2J" in out, out
    assert "\\\\\\" not in out and "\x1b" not in out, out  # nothing escaped twice, nothing raw


def test_a_matching_key_ignores_bidi_controls() -> None:
    """A statement stored before values lost their bidi controls still names its node: its name's matching key and
    the id minted from it are those of the name read now (without them, a re-run of one source dropped another
    source's tie to a firm named with one, and gave the firm a new id)."""
    stored, fresh = "甲\u202e乙科技有限公司", clean_value("甲\u202e乙科技有限公司")
    assert fresh == "甲乙科技有限公司"
    assert match_key(stored) == match_key(fresh) and mint_key(stored) == mint_key(fresh)


def test_a_rejected_file_s_name_is_shown_in_the_report() -> None:
    report = Report()
    report.error("dir/x\x1b]0;t\x07.csv", "bad\nreason", row=2, column="c\x1b", value="v")
    text = report.to_csv()
    assert "\x1b" not in text and "\x07" not in text and "bad\\x0areason" in text, text
    assert report.issues[0].file == "dir/x\x1b]0;t\x07.csv"  # the run still knows the file by its own name
