"""Regenerates the broken-mapping corpus: each file is base.yaml with one mistake a curator makes.

Run from the repository root: ``.venv/bin/python tests/data/broken_mappings/make_corpus.py``. manifest.json
gives, per file, the stage that must refuse it (``schema``: load_mapping; ``columns``: apply_mapping against
list.csv), a fragment of the message, a fragment of the hint, and the YAML line (where the edit landed).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = (HERE / "base.yaml").read_text(encoding="utf-8")
NAME = "name_zh: {column: 名称, type: name, required: true}"
YEAR = "founded_year: {column: 成立年份, type: year}"
CITY = "{type: LOCATED_IN, column: 城市, to: place}"
ROWS = "rows: {min: 1, max: 100}"

# name: (old text, new text, message fragment, hint fragment[, stage[, the text whose line is expected]])
CASES: dict[str, tuple[str, ...]] = {
    "colum_typo": (NAME, NAME.replace("column:", "colum:"), "unknown key 'colum'", "did you mean 'column'"),
    "requried": (NAME, NAME.replace("required:", "requried:"), "unknown key 'requried'", "'required'"),
    "enum_vaules": (
        YEAR,
        YEAR + "\n    ownership: {column: 简称, type: enum, vaules: [国有, 民营]}",
        "unknown key 'vaules'",
        "did you mean 'values'",
        "schema",
        "ownership",
    ),
    "link_requird": (CITY, CITY.replace("}", ", requird: true}"), "unknown key 'requird'", "'required'"),
    "rows_max_lots": (ROWS, "rows: {min: 1, max: lots}", "valid integer", "whole number"),
    "properties_as_list": (
        f"    {NAME}\n    uscc: {{column: 统一社会信用代码, type: uscc}}\n    {YEAR}",
        "    - name_zh\n    - uscc",
        "valid dictionary",
        "key: value pairs",
        "schema",
        "properties:",
    ),
    "required_maybe": (NAME, NAME.replace("required: true", "required: maybe"), "valid boolean", "true or false"),
    "unknown_type": (YEAR, YEAR.replace("type: year", "type: yaer"), "unknown type 'yaer'", "'year'"),
    "year_as_bool": (YEAR, YEAR.replace("type: year", "type: bool"), "founded_year is INT64", "int or year"),
    "list_as_text": (
        YEAR,
        YEAR + "\n    roles: {column: 简称, type: text}",
        "roles is STRING[] in the ontology",
        "type: list",
        "schema",
        "roles:",
    ),
    "constant_of_another_type": (
        YEAR,
        YEAR + "\n    roles: {value: 链主}",
        "value '链主' does not fit",
        "type: list",
        "schema",
        "roles:",
    ),
    "unknown_option": (
        YEAR,
        "founded_year: {column: 成立年份, type: int, minimun: 1800}",
        "unknown key 'minimun'",
        "'minimum'",
    ),
    "option_of_another_type": (
        YEAR,
        "founded_year: {column: 成立年份, type: year, suffix: 年}",
        "type year takes no options",
        "keys allowed here",
    ),
    "option_wrong_type": (
        YEAR,
        "founded_year: {column: 成立年份, type: int, minimum: early}",
        "valid number",
        "write a number",
    ),
    "unknown_class": ("class: Enterprise", "class: Enterprize", "unknown class 'Enterprize'", "'Enterprise'"),
    "unknown_property": (
        YEAR,
        YEAR.replace("founded_year", "foundedyear"),
        "no property 'foundedyear'",
        "'founded_year'",
    ),
    "pipeline_property": (YEAR, YEAR.replace("founded_year", "source_file"), "set by the pipeline", "remove it"),
    "unknown_relationship": (CITY, CITY.replace("LOCATED_IN", "LOCATED_AT"), "unknown relationship", "'LOCATED_IN'"),
    "unknown_resolver": (CITY, CITY.replace("place", "plase"), "unknown resolver 'plase'", "'place'"),
    "link_direction": (CITY, CITY.replace("}", ", direction: inbound}"), "'out' or 'in'", "values are"),
    "link_unknown_class": (CITY, CITY.replace("}", ", classes: [Citty]}"), "unknown class 'Citty'", "'City'"),
    "link_unreachable_class": (CITY, CITY.replace("}", ", classes: [Fund]}"), "cannot reach Fund", "City"),
    "link_wrong_end": (
        CITY,
        "{type: LEADS_CLUSTER, column: 城市, to: cluster}",
        "cannot have Enterprise at its start",
        "GovernmentAgency",
    ),
    "top_level_typo": ("provenance:", "provenence:", "unknown key 'provenence'", "'provenance'"),
    "rows_typo": (ROWS, "rows: {mni: 1, max: 100}", "unknown key 'mni'", "'min'"),
    "rows_min_above_max": (ROWS, "rows: {min: 200, max: 100}", "min 200 is above max 100", "fewest rows"),
    "skip_typo": (
        ROWS,
        ROWS + "\nskip:\n  - {column: 城市, not_equal: 深圳市, reason: other cities}",
        "unknown key 'not_equal'",
        "'not_equals'",
        "schema",
        "- {column",
    ),
    "skip_two_conditions": (
        ROWS,
        ROWS + "\nskip:\n  - {column: 城市, equals: 深圳市, contains: 广州, reason: two cities}",
        "exactly one condition",
        "write two rules",
        "schema",
        "- {column",
    ),
    "skip_equals_a_number": (
        ROWS,
        ROWS + "\nskip:\n  - {column: 成立年份, equals: 1987, reason: too old}",
        "valid string",
        "quote it",
        "schema",
        "- {column",
    ),
    "enum_values_numbers": (
        YEAR,
        YEAR + "\n    ownership: {column: 简称, type: enum, values: [2020, 2021]}",
        "valid string",
        "quote it",
        "schema",
        "ownership",
    ),
    "enum_without_values": (
        YEAR,
        YEAR + "\n    ownership: {column: 简称, type: enum}",
        "an enum needs its values",
        "add values:",
        "schema",
        "ownership",
    ),
    "id_typo": ("id: {prefix:", "id: {prefx:", "unknown key 'prefx'", "'prefix'"),
    "id_value_not_a_property": ("value: uscc,", "value: usc,", "'usc' is not one of this mapping's", "'uscc'"),
    "aliases_typo": ("aliases: {columns:", "aliases: {column:", "unknown key 'column'", "'columns'"),
    "datum_typo": (
        "  class: Enterprise",
        "  class: Enterprise\n  datum: gcj2",
        "unknown datum 'gcj2'",
        "'gcj02'",
        "schema",
        "datum",
    ),
    "no_column_nor_value": (YEAR, "founded_year: {type: year}", "either a column or a value", "{column: 名称}"),
    "duplicate_property": (
        YEAR,
        YEAR + "\n    name_zh: {column: 简称}",
        "appears twice",
        "keep only the last",
        "schema",
        "name_zh: {column: 简称}",
    ),
    "missing_file_key": ("file: list.csv\n", "", "required but missing", "add file:", "schema", "source:"),
    "priority_words": (YEAR, YEAR.replace("}", ", priority: high}"), "valid integer", "whole number"),
    # the mapping is valid; list.csv lacks the column it names
    "property_column_misspelt": (
        YEAR,
        YEAR.replace("成立年份", "成立年分"),
        "no column '成立年分'",
        "'成立年份'",
        "columns",
    ),
    "skip_column_misspelt": (
        ROWS,
        ROWS + "\nskip:\n  - {column: 所在城市, not_equals: 深圳市, reason: other cities}",
        "no column '所在城市'",
        "'城市'",
        "columns",
        "- {column",
    ),
    "link_column_misspelt": ("column: 集群", "column: 产业集群", "no column '产业集群'", "'集群'", "columns"),
    "provenance_column_misspelt": ("url: 来源", "url: 来源网址", "no column '来源网址'", "'来源'", "columns"),
    "alias_column_misspelt": ("[简称]", "[企业简称]", "no column '企业简称'", "'简称'", "columns"),
}


def main() -> None:
    manifest: dict[str, dict[str, object]] = {}
    for name, case in CASES.items():
        old, new, expect, hint = case[:4]
        stage = case[4] if len(case) > 4 else "schema"
        at = case[5] if len(case) > 5 else new
        assert BASE.count(old) == 1, (name, old)
        text = BASE.replace(old, new)
        start = BASE.index(old)
        found = text.find(at, start)
        line = text.count("\n", 0, found if found >= 0 else text.index(at)) + 1
        (HERE / f"{name}.yaml").write_text(text, encoding="utf-8")
        manifest[f"{name}.yaml"] = {"stage": stage, "expect": expect, "hint": hint, "line": line}
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
