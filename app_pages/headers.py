"""Every table a reader sees, in Chinese with English: column headers, stage keys and status words translated.

Query columns stay snake_case (they are the data's names, shared with the CLI and CSV); only what a page
shows is translated here. A column without a translation is shown as ``列 column: name`` rather than raw,
and tests/test_app.py fails on a snake_case header, so a new query column gets its words here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from app_pages.column_words import COLUMNS
from app_pages.common import STAGE_KEYS, L, schema, stage_name
from graph.value_words import LEVEL_COLUMN, LEVEL_WORDS, WORDS

STAGE_COLUMNS = frozenset({"stage", "from_stage", "to_stage"})
CLASS_COLUMNS = frozenset({"class", "from_class", "to_class", "other_class"})  # an ontology class's name
RELATIONSHIP_COLUMNS = frozenset({"relationship", "rel_type"})  # a relationship type's name


def header(column: str) -> str:
    zh, en = COLUMNS.get(column, ("列", column.replace("_", " ")))
    return L(zh, en)


def word(value: Any) -> Any:
    """A status word or flag in the reader's language; any other value unchanged."""
    key = str(value) if isinstance(value, (str, bool)) else None
    if key is not None and key in WORDS:
        return L(*WORDS[key])
    return value


def cell_writer() -> Callable[[str, Any], Any]:
    """A cell in the reader's language (a stage's name, a status word or flag; lists joined), with the words looked
    up once: a table writes every cell (5,000 rows of a dozen columns), and each look-up reads the session."""
    words = {key: L(*pair) for key, pair in WORDS.items()}
    levels = {key: L(*pair) for key, pair in LEVEL_WORDS.items()}
    stages = {key: stage_name(key) for key in (*STAGE_KEYS, "industry", "none", "other")}
    ontology = schema()
    classes = {name: L(cls.labels.zh, cls.labels.en) for name, cls in ontology.classes.items()}
    types = {name: L(rel.labels.zh, rel.labels.en) for name, rel in ontology.relationships.items()}

    def write(column: str, value: Any) -> Any:
        if column in STAGE_COLUMNS and isinstance(value, str) and value in stages:
            return stages[value]
        if column in CLASS_COLUMNS and isinstance(value, str) and value in classes:
            return classes[value]
        if column in RELATIONSHIP_COLUMNS and isinstance(value, str) and value in types:
            return types[value]
        if isinstance(value, list):
            return "；".join(str(v) for v in value)
        key = str(value) if isinstance(value, (str, bool)) else None
        known = levels if column == LEVEL_COLUMN else words
        return known[key] if key is not None and key in known else value

    return write


def frame(
    rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None, drop: Iterable[str] = ()
) -> pd.DataFrame:
    """Rows as a table for a reader: headers and words translated, lists joined, ``drop`` columns left out."""
    dropped = set(drop)
    names = [c for c in (list(columns) if columns is not None else list(rows[0]) if rows else []) if c not in dropped]
    write = cell_writer()
    data = {header(c): [write(c, row.get(c)) for row in rows] for c in names}
    return pd.DataFrame(data, columns=[header(c) for c in names])


def readable(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """A table's columns and rows as a download for a reader (a workbook): headers and words as on the page."""
    table = frame(rows)
    table = table.astype(object).where(table.notna(), None)  # an empty cell, not "nan"
    return [str(c) for c in table.columns], table.to_dict("records")


def translate(table: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame already built elsewhere (from JSON), with its headers and words translated."""
    out = table.copy()
    write = cell_writer()
    for column in out.columns:
        out[column] = [write(str(column), v) for v in out[column]]
    return out.rename(columns={c: header(str(c)) for c in out.columns})


def class_words(rows: Sequence[Mapping[str, Any]], column: str = "class") -> list[dict[str, Any]]:
    """Rows with their class names in the reader's language (``Laboratory`` → 实验室 Laboratory)."""
    from app_pages.common import class_label

    shown: dict[Any, Any] = {}  # each class's words looked up once (a lookup reads the session's language)
    out = []
    for row in rows:
        value = row.get(column)
        if value not in shown:
            try:
                shown[value] = class_label(str(value)) if value else value
            except KeyError:
                shown[value] = value
        out.append({**row, column: shown[value]})
    return out


def key_products(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The key-product list as a reader needs it: no Product list is loaded yet, so ``product`` falls back to the
    enterprise's listed industry, and ``basis`` says which one the cell holds (or that nothing is sourced)."""
    out = []
    for row in rows:
        product, industry = row.get("product"), row.get("listed_industry")
        basis = "product" if product else "listed_industry" if industry else "none"
        out.append({**row, "product": product or industry, "basis": BASIS[basis]})
    return out


BASIS = {
    "product": "产品名单 product list",
    "listed_industry": "上市行业（近似）listed industry (nearest hint)",
    "none": "无来源 not sourced",
}
