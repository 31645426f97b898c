"""A value shown in the order it is written: its bidi controls as their escapes.

The ingest drops a value's bidi embeddings, overrides and isolates (graph/ids.py: ``REORDERING``), but a page
also shows what did not come through it: a console query's own text, a store written by another tool or an older
ClusterKG. Shown as they are, they reorder what follows them ("恶意公司\\u202egnp.exe" reads as ending in "exe.png");
each sink of data on a page (markdown, tables, pictures, choices) writes them as ``\\u202e`` instead.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from graph.ids import REORDERING

_ESCAPES = {ord(ch): f"\\u{ord(ch):04x}" for ch in REORDERING}
_ANY = re.compile(f"[{''.join(sorted(REORDERING))}]")


def in_order(text: str) -> str:
    """The text with each bidi control written as its escape (``\\u202e``)."""
    return text.translate(_ESCAPES) if _ANY.search(text) else text


def frame_in_order(data: Any) -> Any:
    """A data frame with every text cell and column name ``in_order`` (a copy where one changes); anything else as
    it is. A list in a cell is left as it is: the pages join lists into text first (app_pages/headers.py)."""
    if not isinstance(data, pd.DataFrame):
        return data
    texts = [i for i, (_, column) in enumerate(data.items()) if _holds_text(column)]
    touched = [i for i in texts if _any_reordering(data.iloc[:, i])]
    names = [in_order(c) if isinstance(c, str) else c for c in data.columns]
    if not touched and names == list(data.columns):
        return data
    shown = data.copy()
    for i in touched:  # by position: two columns may share a name
        shown.isetitem(i, shown.iloc[:, i].astype(object).map(lambda v: in_order(v) if isinstance(v, str) else v))
    shown.columns = names
    return shown


def _holds_text(column: pd.Series) -> bool:
    kind = column.dtype
    return bool(
        pd.api.types.is_object_dtype(kind)
        or pd.api.types.is_string_dtype(kind)
        or isinstance(kind, pd.CategoricalDtype)
    )


def _any_reordering(column: pd.Series) -> bool:
    """Whether a cell holds a bidi control: a text column searched by its own engine (a third of the time a look at
    each cell took: 9 against 29 ms for 5,000 rows of 12 such columns), any other cell by cell."""
    if isinstance(column.dtype, pd.StringDtype):
        return bool(column.str.contains(_ANY.pattern, regex=True, na=False).any())
    return bool(column.astype(object).map(_reorders).any())


def _reorders(value: object) -> bool:
    return isinstance(value, str) and _ANY.search(value) is not None
