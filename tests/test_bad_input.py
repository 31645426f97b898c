"""The bad-input corpus (tests/data/bad/, made by make_bad_corpus.py): every file gives a clear message with
file, row and column where it applies, Chinese first with English alongside; the good rows still load; no exception
escapes; every row is counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from graph.schema import Schema
from ingest.mapping import load_mapping
from ingest.pipeline import collect
from ingest.report import Level, Report
from ingest.sources import DATA_DIR, MAPPINGS_DIR, mapping_source
from queries.catalog import get_query
from tests.bilingual import chinese_first

BAD = Path(__file__).resolve().parent / "data" / "bad"
MANIFEST: dict[str, dict[str, object]] = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))


def test_the_corpus_is_large_enough() -> None:
    assert len(MANIFEST) >= 40
    assert all((BAD / name).exists() for name in MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_bad_file_is_reported_and_good_rows_load(name: str, schema: Schema) -> None:
    expected = MANIFEST[name]
    places = [mapping_source(load_mapping(MAPPINGS_DIR / f, schema)) for f in ("00_cities.yaml", "05_clusters.yaml")]
    path = BAD / name
    bad = mapping_source(load_mapping(BAD / "mapping.yaml", schema), str(path))
    report = Report()
    built = collect([*places, bad], schema, DATA_DIR, report)  # must not raise
    account = report.account(path.name, "bad_corpus")
    assert account.balanced, account
    assert account.loaded == expected["loaded"], report.summary()
    loaded = [r for e in built.index.entities for r in e.records if r.provenance.file == path.name]
    assert len(loaded) == expected["loaded"]
    issues = [i for i in report.issues if i.file == path.name]
    if expected["expect"]:
        assert any(str(expected["expect"]) in i.reason for i in issues), [i.describe() for i in issues]
    for issue in issues:
        if issue.level is not Level.INFO and issue.row is not None:
            assert issue.row >= 2 and issue.reason
        assert path.name in issue.describe()
        assert chinese_first(issue.reason), issue.reason
    if account.rejected:
        assert any(i.level is Level.ERROR for i in issues)


def test_every_problem_the_bundled_data_raises_reads_chinese_first(loaded_embedded_path: Path, schema: Schema) -> None:
    """What the data-quality page shows, from the bundled load's own run record: no reason in English alone."""
    store = EmbeddedStore(loaded_embedded_path, schema, read_only=True)
    try:
        run = get_query("dq_last_ingest").run(store, {}).rows[0]
    finally:
        store.close()
    reasons = [issue["reason"] for issue in json.loads(run["report"])]
    assert len(reasons) >= 200  # the bundled lists' unresolved hosts, duplicate keys, bad numbers …
    english_only = [r for r in reasons if not chinese_first(r)]
    assert not english_only, english_only[:5]
