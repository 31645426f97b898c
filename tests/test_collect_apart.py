"""A large run's collect in a forked process of its own (ingest/collect_apart.py): the same graph, report and counts
as in the run's own process; an error it raises is the run's; a child killed, or with an answer it cannot give,
fails the run and writes nothing; a source not read whole sends the collect back to the run's own process."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.errors import BilingualRejectionError
from graph.schema import Schema
from graph.store import GraphStore
from ingest.collect_apart import CollectApartError
from ingest.pipeline import run_ingest
from ingest.readers import ReadError
from ingest.report import Report
from ingest.sources import DATA_DIR, Source, bundled_sources

REPO = Path(__file__).resolve().parent.parent

Collect = Callable[[Path, Report], tuple[list, list]]  # type: ignore[type-arg]


def _open(path: Path, schema: Schema) -> EmbeddedStore:
    return EmbeddedStore(path, schema, buffer_pool_mb=256)


def _with(sources: list[Source], name: str, wrap: Callable[[Source], Collect]) -> list[Source]:
    """The sources, the one named ``name`` collecting through ``wrap``."""
    return [dataclasses.replace(s, collect=wrap(s)) if s.name == name else s for s in sources]


def _before_collect(action: Callable[[], object]) -> Callable[[Source], Collect]:
    def wrap(source: Source) -> Collect:
        def collect(data_dir: Path, report: Report) -> tuple[list, list]:  # type: ignore[type-arg]
            action()
            return source.collect(data_dir, report)

        return collect

    return wrap


def _noting_pid(seen: list[int]) -> Callable[[Source], Collect]:
    return _before_collect(lambda: seen.append(os.getpid()))  # in a child, the parent's list never hears of it


def _entities(store: GraphStore) -> int:
    return sum(n for label, n in graph_digest(store).node_counts.items() if label != "IngestRun")


def _last_status(store: GraphStore) -> str:
    return str(store.read("MATCH (r:IngestRun) RETURN r.status AS s ORDER BY r.started_at DESC LIMIT 1").rows[0]["s"])


def test_the_same_graph_report_and_counts_as_in_the_runs_own_process(
    tmp_path: Path, schema: Schema, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []
    sources = _with(bundled_sources(schema), "cities", _noting_pid(seen))
    here = _open(tmp_path / "here.lbdb", schema)
    shown_here: list[tuple[str, int]] = []
    in_process = run_ingest(here, sources, data_dir=DATA_DIR, apart=False, progress=lambda *s: shown_here.append(s))
    assert seen == [os.getpid()]
    apart_store = _open(tmp_path / "apart.lbdb", schema)
    shown_apart: list[tuple[str, int]] = []
    with caplog.at_level(logging.INFO, logger="graph.name_index_ahead"):
        apart = run_ingest(
            apart_store, sources, data_dir=DATA_DIR, apart=True, progress=lambda *s: shown_apart.append(s)
        )
    reads = [[s for s in shown if s[0].startswith("read ")] for shown in (shown_here, shown_apart)]
    assert reads[0] and reads[1] == reads[0]  # the child's reads reach the run's own progress too
    assert any("in place at epoch" in r.getMessage() for r in caplog.records)  # the child's index, not rebuilt
    assert seen == [os.getpid()]  # the second run read its files in another process
    assert graph_digest(apart_store) == graph_digest(here)
    assert apart.report.total > 0 and apart.report.to_csv() == in_process.report.to_csv()
    assert apart.report.counts == in_process.report.counts and apart.report.files == in_process.report.files
    for field in ("node_counts", "relationship_counts", "by_source", "kept"):
        assert getattr(apart, field) == getattr(in_process, field), field
    assert apart.nodes.summary() == in_process.nodes.summary() and apart.changed_anything
    assert _last_status(apart_store) == "completed"
    again = run_ingest(apart_store, sources, data_dir=DATA_DIR, apart=True)  # the stored statements, read before
    assert not again.changed_anything and again.nodes.summary()["unchanged"] == apart.nodes.summary()["added"]
    assert graph_digest(apart_store) == graph_digest(here)


def test_a_source_not_read_whole_is_collected_again_in_the_runs_own_process(tmp_path: Path, schema: Schema) -> None:
    store = _open(tmp_path / "g.lbdb", schema)
    run_ingest(store, bundled_sources(schema), data_dir=DATA_DIR, apart=False)
    before = graph_digest(store)
    seen: list[int] = []

    def broken(source: Source) -> Collect:
        def collect(data_dir: Path, report: Report) -> tuple[list, list]:  # type: ignore[type-arg]
            seen.append(os.getpid())
            records, links = source.collect(data_dir, report)
            report.error(source.file, "文件已损坏 / the file is damaged")  # a whole file's error: not read whole
            return records[:3], links[:3]

        return collect

    shown: list[tuple[str, int]] = []
    sources = _with(bundled_sources(schema), "cities", broken)
    result = run_ingest(store, sources, data_dir=DATA_DIR, apart=True, progress=lambda *s: shown.append(s))
    assert seen == [os.getpid()]  # the child could not use digests of its statements: this process read again
    reads = [step for step, _ in shown if step.startswith("read ")]
    assert sorted(reads) == sorted(f"read {source.name}" for source in sources)  # the bar counts each file once
    assert result.kept == ["cities"] and not result.changed_anything
    assert graph_digest(store).sha256 == before.sha256  # its earlier statements kept whole


def test_an_error_the_collect_raises_is_the_runs(tmp_path: Path, schema: Schema) -> None:
    store = _open(tmp_path / "g.lbdb", schema)

    def bad() -> None:
        raise ReadError("第 3 行无法读取 / row 3 cannot be read")

    sources = _with(bundled_sources(schema), "cities", _before_collect(bad))
    with pytest.raises(ReadError, match="row 3 cannot be read"):
        run_ingest(store, sources, data_dir=DATA_DIR, apart=True)
    assert _last_status(store) == "failed" and _entities(store) == 0


def test_an_error_that_cannot_be_carried_back_is_named(tmp_path: Path, schema: Schema) -> None:
    store = _open(tmp_path / "g.lbdb", schema)

    def bad() -> None:
        raise BilingualRejectionError("拒绝", "refused")  # made again from its message alone, it would fail

    with pytest.raises(CollectApartError, match="读取与解析数据时出错：BilingualRejectionError: 拒绝 refused"):
        run_ingest(store, _with(bundled_sources(schema), "cities", _before_collect(bad)), data_dir=DATA_DIR, apart=True)
    assert _last_status(store) == "failed" and _entities(store) == 0


def test_a_killed_collect_fails_the_run_and_writes_nothing(tmp_path: Path, schema: Schema) -> None:
    store = _open(tmp_path / "g.lbdb", schema)
    run_ingest(store, bundled_sources(schema, only="cities"), data_dir=DATA_DIR, apart=False)
    before = graph_digest(store)

    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would

    sources = _with(bundled_sources(schema), "clusters", _before_collect(killed))
    with pytest.raises(CollectApartError, match=r"^读取与解析数据的子进程异常结束（signal 9.*nothing in the graph"):
        run_ingest(store, sources, data_dir=DATA_DIR, apart=True)
    assert _last_status(store) == "failed" and graph_digest(store).sha256 == before.sha256
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"clusterkg-rows-{os.getpid()}-*"))  # folder gone


def test_the_files_size_chooses_where_the_collect_runs(
    tmp_path: Path, schema: Schema, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    sources = _with(bundled_sources(schema), "cities", _noting_pid(seen))
    store = _open(tmp_path / "g.lbdb", schema)
    monkeypatch.setenv("CLUSTERKG_COLLECT_APART_MB", "1000000")  # the bundled files are far smaller
    run_ingest(store, sources, data_dir=DATA_DIR)
    assert seen == [os.getpid()]
    monkeypatch.setenv("CLUSTERKG_COLLECT_APART_MB", "0")  # any size
    run_ingest(store, sources, data_dir=DATA_DIR)
    assert seen == [os.getpid()]  # read in a child


def test_a_killed_run_leaves_no_collect_running_on(tmp_path: Path) -> None:
    """The run's process killed while its child collects: the child dies with it (Linux), not minutes later."""
    pid_file, answer = tmp_path / "child.pid", tmp_path / "answer.pickle"
    script = (
        "import os, pathlib, time\n"
        "from ingest.collect_apart import in_own_process\n"
        "def work():\n"
        f"    pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        "    time.sleep(600)\n"
        f"in_own_process(work, pathlib.Path({str(answer)!r}))\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        assert _alive(child)
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child) and not answer.exists()


def _alive(pid: int) -> bool:
    """Running, or stopped; not gone, nor a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
