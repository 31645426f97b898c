"""The synthetic generator: bundled formats, realistic proportions and hubs, labelled synthetic, reproducible,
never mixed into the real data; and the neo4j-admin initial-load path gives the same graph as the pipeline."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from graph.digest import graph_digest
from graph.embedded_store import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from graph.schema import Schema
from graph.settings import Settings
from ingest.manifest import MANIFEST, read_manifest
from ingest.neo4j_import import write_import_files
from ingest.pipeline import run_ingest
from ingest.readers import read_table
from ingest.run_changes import CHANGE_LIST_CAP
from ingest.sources import DATA_DIR, bundled_sources
from ingest.synth import FILES, write_synthetic
from tests.conftest import REPO, free_port


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "scale-1"
    write_synthetic(folder, 1.0, seed=3)
    return folder


@pytest.fixture(scope="module")
def loaded(synth: Path, schema: Schema, tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path_factory.mktemp("synth-db") / "graph.lbdb", schema)
    result = run_ingest(store, bundled_sources(schema), data_dir=synth)
    assert result.ok and not [i for i in result.report.issues if i.level.value == "error"]
    return store


def test_every_synthetic_row_says_so(synth: Path) -> None:
    manifest = read_manifest(synth)
    assert manifest and manifest["synthetic"] and manifest["seed"] == 3
    for kind, file in FILES.items():
        table = read_table(synth / file)
        assert len(table.rows) >= 2, kind
        if "confidence" in table.header:
            assert {row.values["confidence"] for row in table.rows} == {"synthetic"}, kind
    assert not (DATA_DIR / MANIFEST).exists()


def test_it_never_writes_into_the_real_data_or_over_other_folders(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="real data folder"):
        write_synthetic(DATA_DIR / "synthetic", 0.1)
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ValueError, match="not a synthetic data folder"):
        write_synthetic(precious, 0.1)
    assert (precious / "thesis.txt").exists()


def test_the_same_seed_gives_the_same_files(synth: Path, tmp_path: Path) -> None:
    again = write_synthetic(tmp_path / "again", 1.0, seed=3)
    assert again["rows"] == read_manifest(synth)["rows"]  # type: ignore[index]
    for file in FILES.values():
        assert (synth / file).read_bytes() == (tmp_path / "again" / file).read_bytes(), file


def test_proportions_hubs_and_all_five_stages(loaded: EmbeddedStore) -> None:
    nodes = loaded.node_counts()
    assert 8_000 <= sum(nodes.values()) <= 12_000  # scale 1 ≈ the bundled data's size
    assert nodes["Enterprise"] > 50 * nodes["Laboratory"] > 0
    assert nodes["Laboratory"] > nodes["Fund"] > 0 and nodes["IncubationCarrier"] > 0
    rels = loaded.relationship_counts()
    assert sum(rels.values()) > 2 * sum(nodes.values())
    hosts = Counter(
        r["u"] for r in loaded.read("MATCH (:Laboratory)-[:HOSTED_BY]->(u) RETURN u.id AS u").rows
    ).most_common()
    assert hosts[0][1] >= 5 * hosts[len(hosts) // 2][1]  # a hub university hosts many labs; the median one few
    stages = loaded.read(
        "MATCH (a)-[r]->(:IndustryCluster) WHERE a.chain_stage IS NOT NULL RETURN DISTINCT a.chain_stage AS s"
    ).rows
    cities = loaded.read("MATCH (:Enterprise)-[:LOCATED_IN]->(c:City) RETURN c.name_zh AS c, count(*) AS n "
                         "ORDER BY n DESC LIMIT 1").rows  # fmt: skip
    assert cities[0]["c"] == "深圳市"
    assert {s["s"] for s in stages} >= {"basic_research", "technology_breakthrough", "achievement_transfer",
                                         "scitech_finance"}  # fmt: skip


def test_talent_programmes_and_projects_connect(loaded: EmbeddedStore) -> None:
    rels = loaded.relationship_counts()
    assert rels["ADMINISTERED_BY"] > 0 and rels["LEADS_PROJECT"] > 0 and rels["MANAGED_BY"] > 0


@pytest.mark.neo4j
def test_neo4j_admin_import_gives_the_pipelines_graph(neo4j_settings: Settings, schema: Schema, tmp_path: Path) -> None:
    """On a server of its own (a free port, a temporary home): ``neo4j-dev import`` stops the server it imports
    into, and the shared one must stay up and warm for the rest of the suite. A smaller ecosystem than the other
    tests' (scale 0.3, ≈ 5,200 nodes with every class and tie): the import and the read-back by a cold server grow
    with the graph, and the same path is what is tested."""
    synth = tmp_path / "synth"
    write_synthetic(synth, 0.3, seed=3)
    loaded = EmbeddedStore(tmp_path / "pipeline.lbdb", schema)
    first = run_ingest(loaded, bundled_sources(schema), data_dir=synth)
    assert first.ok
    expected = graph_digest(loaded)
    loaded.close()
    files = write_import_files(bundled_sources(schema), schema, data_dir=synth, out_dir=tmp_path / "import")
    assert files.result.ok
    # every row counted added, as by the transactional first load, and the first few named
    assert files.result.nodes.summary() == first.nodes.summary()
    assert files.result.relationships.summary() == first.relationships.summary()
    assert len(files.result.relationships.added) == len(first.relationships.added) == CHANGE_LIST_CAP
    port = free_port()
    env = {**os.environ, "NEO4J_DEV_HOME": str(tmp_path / "server"), "NEO4J_DEV_PORT": str(port),
           "NEO4J_PASSWORD": neo4j_settings.neo4j_password.reveal()}  # fmt: skip
    dev = str(REPO / "scripts" / "neo4j-dev")
    try:
        # a session of its own: on a timeout the import's JVM (a child of the script) is killed with it
        proc = subprocess.Popen([dev, "import", str(tmp_path / "import")], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
        try:
            out, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        assert proc.returncode == 0, out + err
        store = Neo4jStore.from_settings(replace(neo4j_settings, neo4j_uri=f"bolt://127.0.0.1:{port}"), schema)
        try:
            store.setup_schema()
            assert graph_digest(store) == expected
            runs = store.read("MATCH (r:IngestRun) RETURN r.status AS s, r.counts_json AS c").rows
        finally:
            store.close()
    finally:
        subprocess.run([dev, "crash"], env=env, capture_output=True, timeout=60, check=False)  # disposable
    assert len(runs) == 1 and runs[0]["s"].startswith("completed") and "Enterprise" in runs[0]["c"]
