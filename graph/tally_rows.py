"""What every family of kept counts (``Tally`` nodes) shares: a row's id from its key, reading its rows back, and the
cluster memberships they count by."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.schema import Schema
from graph.store import GraphStore

MEMBERSHIPS = ("SERVES_CLUSTER", "IN_CLUSTER")  # the ties that make an entity a cluster's member


def tally_id(key: Iterable[str]) -> str:
    """One id per key: its parts in order, an empty part written as ``-``."""
    return "tally/" + "/".join(part or "-" for part in key)


def read_kinds(store: GraphStore, label: str, kinds: Iterable[str], columns: str) -> list[dict[str, Any]]:
    """The kept rows of these kinds, with ``kind`` and the given columns of ``t`` (``label``: the Tally class's
    name; ``columns``: fixed text of the caller's, never user input), read inside the writer's transaction."""
    return store.read_in_write(
        f"MATCH (t:{label}) WHERE t.tally_kind IN $kinds RETURN t.tally_kind AS kind, {columns}", {"kinds": list(kinds)}
    )


def membership_types(schema: Schema, label: str) -> list[str]:
    """The membership types a class can start. With one, a store keeps one tie per (entity, cluster), so counting
    ties counts entities: a cheaper count than DISTINCT, and reading one type instead of both."""
    return [name for name in MEMBERSHIPS if label in schema.rel_type(name).domain]


def has_stage(schema: Schema, label: str) -> bool:
    """Whether a class has a ``chain_stage`` property (the embedded store refuses a property its class lacks)."""
    return "chain_stage" in schema.node_class(label).property_names


def stage_expression(schema: Schema, label: str, var: str) -> str:
    """A class's stage as the queries give it, ``industry`` where it has none (a class without ``chain_stage`` gets
    the constant)."""
    return f"coalesce({var}.chain_stage, 'industry')" if has_stage(schema, label) else "'industry'"


def has_label(store: GraphStore, var: str, label: str) -> str:
    """A label test in the store's dialect (a schema class name, never user text)."""
    return f"{var}:{label}" if store.backend == "neo4j" else f"label({var}) = '{label}'"
