"""Maintained counts (``Tally`` nodes) of a city's entities by stage and class: what ``city_profile`` answers (the
map page's table under a picked city, and the compare page's profiles).

Counted the way the query's full scan (queries/full_scans.py) counts: every entity with a ``LOCATED_IN`` tie to the
city or to a place ``PART_OF`` it (its districts), once per city, by its stage (``industry`` for an enterprise,
``other`` for an entity without one) and its class. Scanned, a big city read every tie of its entities on each visit
(0.2–0.5 s at a million nodes); kept, it is a read of a few dozen rows. A test checks the kept rows against the full
scan after every kind of write, on both stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.store import GraphStore
from graph.tally_rows import has_label, has_stage, read_kinds, tally_id

KIND = "city_class"

CityClassKey = tuple[str, str, str, str]  # kind, city id, stage, class


def _stage(store: GraphStore, label: str) -> str:
    """As the query gives it (the embedded store refuses a property its class does not have)."""
    if label == "Enterprise":
        return "'industry'"
    if has_stage(store.schema, label):
        return "coalesce(e.chain_stage, 'other')"
    return "'other'"


def compute(store: GraphStore) -> dict[CityClassKey, int]:
    """The counts from the graph itself, one class at a time (each node has one class, so per-class counts of
    distinct entities are the query's counts)."""
    counts: dict[CityClassKey, int] = {}
    for label in sorted(store.schema.rel_type("LOCATED_IN").domain):  # schema names only, never user text
        rows = store.read_in_write(
            f"MATCH (e:{label})-[:LOCATED_IN]->(place) "
            "OPTIONAL MATCH (place)-[:PART_OF]->(up:City) "
            f"WITH e, place, up WHERE up IS NOT NULL OR {has_label(store, 'place', 'City')} "
            "WITH DISTINCT e, CASE WHEN up IS NULL THEN place.id ELSE up.id END AS city "
            f"RETURN city, {_stage(store, label)} AS stage, count(*) AS n"
        )
        for row in rows:
            counts[(KIND, str(row["city"]), str(row["stage"]), label)] = int(row["n"])
    return counts


def stored(store: GraphStore, label: str) -> dict[CityClassKey, int]:
    """The kept rows (``label`` is the Tally class's name)."""
    columns = "t.tally_city AS city, t.tally_stage AS stage, t.tally_class AS class, t.tally_count AS n"
    return {
        (r["kind"], r["city"], r["stage"], r["class"]): int(r["n"]) for r in read_kinds(store, label, (KIND,), columns)
    }


def rows(counts: dict[CityClassKey, int]) -> Iterable[dict[str, Any]]:
    for key, n in sorted(counts.items()):
        kind, city, stage, label = key
        yield {
            "id": tally_id(key),
            "tally_kind": kind,
            "tally_city": city,
            "tally_stage": stage,
            "tally_class": label,
            "tally_count": n,
        }
