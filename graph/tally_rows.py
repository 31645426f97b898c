"""What every family of kept counts (``Tally`` nodes) shares: a row's id from its key, and reading its rows back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.store import GraphStore


def tally_id(key: Iterable[str]) -> str:
    """One id per key: its parts in order, an empty part written as ``-``."""
    return "tally/" + "/".join(part or "-" for part in key)


def read_kinds(store: GraphStore, label: str, kinds: Iterable[str], columns: str) -> list[dict[str, Any]]:
    """The kept rows of these kinds, with ``kind`` and the given columns of ``t`` (``label``: the Tally class's
    name; ``columns``: fixed text of the caller's, never user input), read inside the writer's transaction."""
    return store.read_in_write(
        f"MATCH (t:{label}) WHERE t.tally_kind IN $kinds RETURN t.tally_kind AS kind, {columns}", {"kinds": list(kinds)}
    )
