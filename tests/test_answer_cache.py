"""The answers kept between sessions (queries/answer_cache.py) are the store's answers: reused while the graph is
unchanged, read afresh after a write that changed it, read once when many sessions ask at the same moment."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graph import aggregates
from graph.embedded_store import EmbeddedStore
from graph.file_gate import FileGate
from graph.schema import Schema
from graph.store import GraphStore, QueryResult
from ingest.pipeline import run_ingest
from ingest.sources import DATA_DIR
from queries import answer_cache
from queries.catalog import catalog, get_query
from tests.test_aggregates import slice_sources
from tests.test_source_ownership import curator_sources

CAP = 5_000
CKG = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "ckg"


def _cached(store: GraphStore, name: str, params: Mapping[str, Any], reads: list[int] | None = None) -> QueryResult:
    query = get_query(name)
    bound = query.bind(params)

    def read() -> QueryResult:
        if reads is not None:
            reads.append(1)
        return query.run(store, bound, row_cap=CAP)

    return answer_cache.answer(store, name, bound, CAP, read)


def test_answers_are_reused_until_a_write_changes_the_graph(store: GraphStore, schema: Schema) -> None:
    answer_cache.forget()
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    params = {"cluster": "P01"}
    first = _cached(store, "cluster_entities", params)
    assert first.rows == get_query("cluster_entities").run(store, params, row_cap=CAP).rows
    first.rows[0]["name_zh"] = "changed by a caller"  # a copy: the kept answer is not touched
    second = _cached(store, "cluster_entities", params)
    assert second.rows == get_query("cluster_entities").run(store, params, row_cap=CAP).rows
    assert answer_cache.statistics(store)["hits"] == 1

    before = {name: _cached(store, name, {}).rows for name in ("cluster_list", "city_cluster_matrix")}
    epoch = aggregates.read_epoch(store)
    run_ingest(store, curator_sources(schema), data_dir=DATA_DIR)  # adds labs and titles: a new epoch
    assert aggregates.read_epoch(store) != epoch
    for name, given in (("cluster_chain", params), ("cluster_chain_classes", params), ("cluster_list", {})):
        assert _cached(store, name, given).rows == get_query(name).run(store, given, row_cap=CAP).rows
    assert answer_cache.statistics(store)["hits"] == 0  # the earlier epoch's answers are gone
    after = {name: _cached(store, name, {}).rows for name in before}
    assert after != before and all(after[n] == get_query(n).run(store, {}).rows for n in after)


def test_many_sessions_asking_at_once_read_once(embedded_store: GraphStore, schema: Schema) -> None:
    store = embedded_store
    answer_cache.forget()
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    reads: list[int] = []
    answers: list[QueryResult] = []
    start = threading.Barrier(8)

    def session() -> None:
        start.wait()
        answers.append(_cached(store, "cluster_chain_graph", {"cluster": "P01"}, reads))

    threads = [threading.Thread(target=session) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8 and all(a.rows == answers[0].rows for a in answers) and answers[0].rows
    assert len(reads) == 1


def test_a_store_without_an_epoch_and_bookkeeping_readers_are_never_cached(
    embedded_store: GraphStore, schema: Schema
) -> None:
    store = embedded_store
    answer_cache.forget()
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    reads: list[int] = []
    _cached(store, "dq_last_ingest", {}, reads)
    _cached(store, "dq_last_ingest", {}, reads)
    assert len(reads) == 2
    store.delete_nodes(aggregates.LABEL, [aggregates.EPOCH_ID])
    _cached(store, "cluster_list", {}, reads)
    _cached(store, "cluster_list", {}, reads)
    assert len(reads) == 4


def test_every_query_that_reads_bookkeeping_is_uncached() -> None:
    """A run that changes no fact still writes its IngestRun (and an edition its Edition) without a new epoch."""
    bookkeeping = re.compile(r"\(\w*:(IngestRun|Edition)\b")
    readers = {
        name
        for name, query in catalog().items()
        if any(bookkeeping.search(query.cypher_for(backend)) for backend in ("embedded", "neo4j"))
    }
    quality = {name for name in catalog() if name.startswith("dq_")}
    assert readers and all(name.startswith(answer_cache.UNCACHED_PREFIXES) for name in readers | quality)


def test_an_answer_read_while_a_write_landed_is_not_kept(embedded_store: GraphStore, schema: Schema) -> None:
    store = embedded_store
    answer_cache.forget()
    run_ingest(store, slice_sources(schema), data_dir=DATA_DIR)
    reads: list[int] = []

    def read_during_a_write() -> QueryResult:
        reads.append(1)
        result = get_query("cluster_list").run(store, {}, row_cap=CAP)
        aggregates.refresh(store)  # a write lands (a new epoch) before the answer is kept
        return result

    answer_cache.answer(store, "cluster_list", {}, CAP, read_during_a_write)
    assert answer_cache.statistics(store)["answers"] == 0
    _cached(store, "cluster_list", {}, reads)
    _cached(store, "cluster_list", {}, reads)
    assert len(reads) == 2  # read again once, then kept


def test_the_apps_reader_asks_the_file_whether_the_graph_changed(tmp_path: Path, schema: Schema) -> None:
    """The app's read-only embedded store looks at the file, not the database, to tell whether a write landed since
    it read the epoch (``change_stamp``): a kept answer comes back while a writer holds the file without writing to
    it (a read of the database would wait for the writer), and a write by another process is seen at the next
    answer."""
    path = tmp_path / "g.lbdb"
    writer = EmbeddedStore(path, schema)
    run_ingest(writer, slice_sources(schema), data_dir=DATA_DIR)
    writer.close()
    reader = EmbeddedStore(path, schema, read_only=True)
    answer_cache.forget()
    before = _cached(reader, "cluster_list", {}).rows
    holder = FileGate(path)
    answered = threading.Event()
    with holder.writing():

        def ask() -> None:
            _cached(reader, "cluster_list", {})
            answered.set()

        asking = threading.Thread(target=ask)
        asking.start()
        assert answered.wait(10), "a kept answer waited for the writer: the epoch was read from the database"
    asking.join()
    holder.close()
    retract = [str(CKG), "ingest", "-q", "--embedded-path", str(path), "--retract", "enterprises"]
    retract += ["--report-dir", str(tmp_path)]
    done = subprocess.run(retract, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = _cached(reader, "cluster_list", {}).rows
    assert after != before and after == get_query("cluster_list").run(reader, {}).rows
    assert sum(r["enterprises"] for r in after) < sum(r["enterprises"] for r in before)
    reader.close()
