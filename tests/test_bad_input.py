"""The bad-input corpus (tests/data/bad/, made by make_bad_corpus.py): every file gives a clear message with
file, row and column where it applies; the good rows still load; no exception escapes; every row is counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.schema import Schema
from ingest.mapping import load_mapping
from ingest.pipeline import collect
from ingest.report import Level, Report
from ingest.sources import DATA_DIR, MAPPINGS_DIR, mapping_source

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
    if account.rejected:
        assert any(i.level is Level.ERROR for i in issues)
