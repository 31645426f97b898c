"""Every malformed ``ckg`` invocation ends in exactly one line on stderr, Chinese first with English alongside, exit 2,
never a traceback.

Each case runs ``.venv/bin/ckg`` as a child process against an embedded store of the bundled data in a
temporary folder (read-only cases) or an empty one (writing cases), with Neo4j's variables removed so
that the embedded store is the one in use.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.bilingual import chinese_first
from tests.conftest import REPO

CKG = REPO / ".venv" / "bin" / "ckg"
LABS = REPO / "data" / "facts" / "labs.csv"
LABS_MAPPING = REPO / "ingest" / "mappings" / "15_labs.yaml"

# Mappings a curator might get wrong, written into the case's folder: name → bytes.
BAD_MAPPINGS: dict[str, bytes] = {
    "list_properties.yaml": (
        b"source: mine\nfile: facts/labs.csv\nnode:\n  class: Laboratory\n"
        b"  id: {prefix: lab, key: name_zh}\n  properties:\n    - name_zh\n    - name_en\n"
    ),
    "rows_lots.yaml": LABS_MAPPING.read_bytes().replace(b"rows: {min: 20, max: 2000}", b"rows: {min: 20, max: lots}"),
    "gbk.yaml": "source: 实验室\nfile: facts/labs.csv\n".encode("gb18030"),
    "broken_yaml.yaml": b"source: labs\nnode: [unclosed\n",
    "a_list.yaml": b"- one\n- two\n",
    "empty.yaml": b"",
    "unknown_class.yaml": LABS_MAPPING.read_bytes().replace(b"class: Laboratory", b"class: Spaceship"),
}

# (case name, arguments); {tmp} is the case's folder (holding exists.ttl), {store} the bundled store, {bad}
# the folder of BAD_MAPPINGS.
CASES: list[tuple[str, list[str]]] = [
    ("no command", []),
    ("unknown command", ["frobnicate"]),
    ("unknown option", ["counts", "--colour"]),
    ("unknown source", ["ingest", "--dry-run", "--source", "bogus"]),
    ("file without mapping", ["ingest", "--dry-run", "--file", str(LABS)]),
    ("missing file", ["ingest", "--dry-run", "--file", "{tmp}/nope.csv", "--mapping", str(LABS_MAPPING)]),
    ("file is a folder", ["ingest", "--dry-run", "--file", "{tmp}", "--mapping", str(LABS_MAPPING)]),
    ("missing mapping", ["ingest", "--dry-run", "--file", str(LABS), "--mapping", "{tmp}/nope.yaml"]),
    ("mapping is a folder", ["ingest", "--dry-run", "--file", str(LABS), "--mapping", "{tmp}"]),
    *[
        (f"bad mapping {name}", ["ingest", "--dry-run", "--file", str(LABS), "--mapping", "{bad}/" + name])
        for name in BAD_MAPPINGS
    ],
    ("missing data dir", ["ingest", "--dry-run", "--data-dir", "{tmp}/nowhere"]),
    ("bad store choice", ["counts", "--store", "sqlite"]),
    ("store path is a folder", ["counts", "--embedded-path", "{tmp}"]),
    ("store path is not a database", ["counts", "--embedded-path", str(LABS)]),
    ("store path does not exist", ["counts", "--embedded-path", "{tmp}/none/graph.lbdb"]),
    ("unknown query", ["query", "no_such_query", "--embedded-path", "{store}"]),
    ("malformed query param", ["query", "cluster_chain", "-p", "text", "--embedded-path", "{store}"]),
    ("unknown query param", ["query", "cluster_chain", "-p", "bogus=1", "--embedded-path", "{store}"]),
    ("bad query format", ["query", "cluster_chain", "--format", "xml", "--embedded-path", "{store}"]),
    ("query unknown cluster", ["query", "cluster_chain", "-p", "cluster=ZZ99", "--embedded-path", "{store}"]),
    ("query unknown city", ["query", "city_profile", "-p", "city=火星市", "--embedded-path", "{store}"]),
    ("query unknown stage", ["query", "stage_map", "-p", "stage=nope", "--embedded-path", "{store}"]),
    ("query unknown id", ["query", "entity_details", "-p", "id=enterprise/nope", "--embedded-path", "{store}"]),
    (
        "export malformed param",
        ["export", "-p", "text", "--scope", "query", "--query", "lab_hosts", "--out", "{tmp}/a.ttl"],
    ),
    (
        "export param without key",
        ["export", "-p", "=1", "--scope", "query", "--query", "lab_hosts", "--out", "{tmp}/a.ttl"],
    ),
    ("export unknown cluster", ["export", "--scope", "cluster", "--cluster", "ZZ99", "--out", "{tmp}/a.ttl"]),
    ("export cluster without scope", ["export", "--cluster", "E01", "--out", "{tmp}/a.ttl"]),
    ("export query without scope", ["export", "--query", "lab_hosts", "--out", "{tmp}/a.ttl"]),
    ("export unknown query", ["export", "--scope", "query", "--query", "nope", "--out", "{tmp}/a.ttl"]),
    ("export query without name", ["export", "--scope", "query", "--out", "{tmp}/a.ttl"]),
    (
        "export unknown ids",
        ["export", "--scope", "query", "--query", "entity_details", "-p", "id=nope/nope", "--out", "{tmp}/a.ttl"],
    ),
    ("export onto the database", ["export", "--out", "{store}"]),
    ("export beside the database", ["export", "--out", "{store}.wal"]),
    ("export into a folder", ["export", "--out", "{tmp}"]),
    ("export over an existing file", ["export", "--out", "{tmp}/exists.ttl"]),
    ("export bad format", ["export", "--format", "xml", "--out", "{tmp}/a.ttl"]),
    ("export bad scope", ["export", "--scope", "everything", "--out", "{tmp}/a.ttl"]),
    ("export without out", ["export"]),
    (
        "export bad base",
        ["export", "--base", "not an iri <>", "--scope", "cluster", "--cluster", "E04", "--out", "{tmp}/b.ttl"],
    ),
    ("synth huge scale", ["synth", "--scale", "1e9", "--out", "{tmp}/synth"]),
    ("synth negative scale", ["synth", "--scale", "-1", "--out", "{tmp}/synth"]),
    ("synth nan scale", ["synth", "--scale", "nan", "--out", "{tmp}/synth"]),
    ("synth word scale", ["synth", "--scale", "lots", "--out", "{tmp}/synth"]),
    ("synth over a file", ["synth", "--out", "{tmp}/exists.ttl"]),
    ("mapping new missing data", ["mapping", "new", "{tmp}/nope.csv"]),
    ("mapping new unknown class", ["mapping", "new", "{tmp}/exists.ttl", "--class", "Nothing"]),
    ("analyze unknown kind", ["analyze", "everything", "--embedded-path", "{store}"]),
    ("what-if without entity", ["analyze", "what-if", "--embedded-path", "{store}"]),
]


@pytest.fixture(scope="module")
def bad_mappings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mappings")
    for name, data in BAD_MAPPINGS.items():
        (folder / name).write_bytes(data)
    return folder


def _env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["CLUSTERKG_EMBEDDED_PATH"] = str(store)
    env["CLUSTERKG_BACKEND"] = "embedded"
    return env


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30 and len(BAD_MAPPINGS) >= 5


@pytest.mark.parametrize(("name", "args"), CASES, ids=[name for name, _ in CASES])
def test_a_malformed_invocation_is_one_line_and_exit_2(
    name: str, args: list[str], tmp_path: Path, loaded_embedded_path: Path, bad_mappings: Path
) -> None:
    (tmp_path / "exists.ttl").write_text("kept\n", encoding="utf-8")
    filled = [a.format(tmp=tmp_path, store=loaded_embedded_path, bad=bad_mappings) for a in args]
    before = loaded_embedded_path.stat().st_size
    done = subprocess.run(
        [str(CKG), *filled],
        check=False,
        cwd=tmp_path,  # the default report folder lands here, not in the repository
        env=_env(loaded_embedded_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr)
    assert len(lines) == 1 and lines[0].startswith("ckg"), done.stderr
    message = lines[0].split(": ", 1)[1]
    assert chinese_first(message), lines[0]
    if message.startswith("命令行有误"):  # the command line's own mistakes say what is wrong in Chinese too
        assert message.startswith("命令行有误：") and message.count(" / ") == 1, lines[0]  # the help named in each half
    print(lines[0])
    assert loaded_embedded_path.stat().st_size == before  # whatever went wrong, the database is untouched
    assert not list(tmp_path.glob(".*.part"))  # no half-written export left behind
    assert (tmp_path / "exists.ttl").read_text(encoding="utf-8") == "kept\n"
