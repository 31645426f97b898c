"""docs/MAPPINGS.md documents every name of the mapping language: each key of the schema, each converter and
its options, each link option, resolver and datum has a row of its own in a table of the reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.mapping_schema import schema_keys

DOC = Path(__file__).resolve().parent.parent / "docs" / "MAPPINGS.md"
TABLE_ROWS = {m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", DOC.read_text(encoding="utf-8"), re.M)}
NAMES = sorted({(section, key) for section, keys in schema_keys().items() for key in keys})


def test_the_language_has_the_sections_the_docs_cover() -> None:
    keys = schema_keys()
    assert {"top level", "rows", "skip", "node", "node.id", "node.properties", "links", "resolvers"} <= set(keys)
    assert "values" in keys["options of enum"] and "priority" in keys["node.properties"]


@pytest.mark.parametrize(("section", "key"), NAMES, ids=[f"{s}:{k}" for s, k in NAMES])
def test_every_name_of_the_mapping_language_is_documented(section: str, key: str) -> None:
    assert key in TABLE_ROWS, f"docs/MAPPINGS.md has no table row for `{key}` ({section})"
