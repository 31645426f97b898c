"""Fixtures shared by the suite: both stores, real ones, on temporary data.

The Neo4j half needs a running server (``scripts/neo4j-dev start``; the Makefile's ``test`` target and
CI start it). Without NEO4J_URI those tests skip locally; in CI (CI=true) or with
CLUSTERKG_REQUIRE_NEO4J=1 a missing server is an error, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import topology
from graph.digest import GraphDigest, graph_digest
from graph.embedded_store import EmbeddedStore
from graph.schema import Schema, default_schema
from graph.settings import Settings
from graph.store import GraphStore
from graph.topology import Topology

# the browser tests' server, browser and page, for every test module that asks for them (tests/browser.py)
pytest_plugins = ["tests.browser"]

REPO = Path(__file__).resolve().parent.parent
# fixtures that hold the bundled graph on Neo4j: a module asking for one runs in the first group (below)
BUNDLED_NEO4J_FIXTURES = ("loaded_neo4j", "bundled_each", "bundled_snapshot")
SNAPSHOT_BUILD_S = 60.0  # how long a test waits for a topology snapshot of the bundled graph


def neo4j_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("CLUSTERKG_REQUIRE_NEO4J") == "1"


def browser_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("CLUSTERKG_REQUIRE_BROWSER") == "1"


def free_port() -> int:
    """A TCP port nothing listens on now, for a server a test starts of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def shown(markdown: str) -> str:
    """What a reader sees of a message the app escaped for markdown (app_pages/common.py ``plain``)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules, each kept whole and in its own order, run in three groups:

    - first the modules that read the bundled graph on Neo4j (``BUNDLED_NEO4J_FIXTURES``), one after another: a module
      that clears the store between two of them makes the second load the bundled data again (half a minute);
    - then the rest;
    - last the tests marked ``run_last`` (the Neo4j fault tests): the server they kill comes back cold, and a
      cold JVM plans and runs its first queries several times slower (the bundled load: about 50 s instead of
      10), a cost every Neo4j test after them would pay."""
    # by the module's text: several modules ask for the fixture at run time (getfixturevalue), for Neo4j only
    paths = {item.path for item in items}
    bundled = {path for path in paths if any(f in path.read_text(encoding="utf-8") for f in BUNDLED_NEO4J_FIXTURES)}

    def group(item: pytest.Item) -> int:
        if item.get_closest_marker("run_last"):
            return 2
        return 0 if item.path in bundled else 1

    items.sort(key=group)  # stable: the order within each group stays as collected


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How often the bundled graph was loaded into Neo4j, and the seconds it took: what the grouping saves."""
    if _bundled_loads:
        terminalreporter.write_line(
            f"tests: the bundled graph was loaded into Neo4j {len(_bundled_loads)} time(s), "
            f"{sum(_bundled_loads):.0f} s in all"
        )


@pytest.fixture(scope="session")
def schema() -> Schema:
    return default_schema()


@pytest.fixture(scope="session")
def neo4j_settings() -> Settings:
    settings = Settings.from_env()
    if not settings.neo4j_uri:
        if neo4j_required():
            pytest.fail("NEO4J_URI is not set, and Neo4j tests are required here (CI)")
        pytest.skip("NEO4J_URI is not set; start Neo4j with scripts/neo4j-dev start")
    return settings


@pytest.fixture(scope="session")
def neo4j_store_session(neo4j_settings: Settings, schema: Schema) -> Iterator[GraphStore]:
    from graph.neo4j_store import Neo4jStore

    store = Neo4jStore.from_settings(neo4j_settings, schema)
    store.setup_schema()
    yield store
    store.close()


@pytest.fixture
def neo4j_store(neo4j_store_session: GraphStore) -> GraphStore:
    neo4j_store_session.clear()
    return neo4j_store_session


@pytest.fixture
def embedded_store(tmp_path: Path, schema: Schema) -> Iterator[GraphStore]:
    store = EmbeddedStore(tmp_path / "graph.lbdb", schema)
    store.setup_schema()
    yield store
    store.close()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> GraphStore:
    """Each test that takes ``store`` runs once per store: the contract both must keep."""
    name = "embedded_store" if request.param == "embedded" else "neo4j_store"
    result: GraphStore = request.getfixturevalue(name)
    return result


@pytest.fixture(scope="session")
def loaded_embedded_path(tmp_path_factory: pytest.TempPathFactory, schema: Schema) -> Path:
    """An embedded store holding the whole bundled dataset, loaded once per test session (then read-only)."""
    from ingest.pipeline import run_ingest
    from ingest.sources import DATA_DIR, bundled_sources

    path = tmp_path_factory.mktemp("bundled") / "graph.lbdb"
    store = EmbeddedStore(path, schema)
    result = run_ingest(store, bundled_sources(schema), data_dir=DATA_DIR)
    assert result.ok, result.report.summary()
    store.close()
    return path


# The full digest (bookkeeping and run stamps included) of the bundled load loaded_neo4j last made.
_bundled_neo4j: dict[str, GraphDigest] = {}
_bundled_loads: list[float] = []  # the seconds of each bundled load into Neo4j this session (the summary says them)


@pytest.fixture(scope="module")
def loaded_neo4j(neo4j_store_session: GraphStore, schema: Schema) -> GraphStore:
    """Neo4j holding the whole bundled dataset, for the tests of one module (other modules may clear it).

    A module that finds the store exactly as the last bundled load left it (every node and relationship, every
    property, run stamps and tallies included) reuses it: a digest takes seconds, a load half a minute."""
    from ingest.pipeline import run_ingest
    from ingest.sources import DATA_DIR, bundled_sources

    exact = {"ignore": (), "skip_labels": ()}
    last = _bundled_neo4j.get("digest")
    # the counts first (a query per label): a cleared or changed graph is told apart without reading it all
    if (
        last
        and neo4j_store_session.node_counts() == last.node_counts
        and graph_digest(neo4j_store_session, **exact) == last
    ):
        return neo4j_store_session
    _bundled_neo4j.clear()
    started = time.perf_counter()
    neo4j_store_session.clear()
    result = run_ingest(neo4j_store_session, bundled_sources(schema), data_dir=DATA_DIR)
    assert result.ok, result.report.summary()
    _bundled_neo4j["digest"] = graph_digest(neo4j_store_session, **exact)
    _bundled_loads.append(time.perf_counter() - started)
    return neo4j_store_session


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def bundled_each(request: pytest.FixtureRequest, loaded_embedded_path: Path, schema: Schema) -> GraphStore:
    """The bundled data in each store (the embedded one read-only)."""
    if request.param == "embedded":
        return EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    store: GraphStore = request.getfixturevalue("loaded_neo4j")
    return store


@pytest.fixture(scope="module")
def bundled_snapshot(bundled_each: GraphStore) -> Topology:
    """The in-memory topology snapshot of ``bundled_each`` (graph/topology.py), built and waited for."""
    topo = topology.ready(bundled_each, SNAPSHOT_BUILD_S)
    assert topo is not None
    return topo


@pytest.fixture
def bundled_copy(loaded_embedded_path: Path, schema: Schema, tmp_path: Path) -> GraphStore:
    """A writable embedded store holding a copy of the bundled data (its files and its name index)."""
    for file in loaded_embedded_path.parent.glob(loaded_embedded_path.name + "*"):
        shutil.copy(file, tmp_path / file.name)
    return EmbeddedStore(tmp_path / loaded_embedded_path.name, schema)
