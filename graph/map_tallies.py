"""Maintained counts the map page reads (``Tally`` nodes): a city's entities per district, and the entities no city
holds.

For a picked city (optionally one cluster and one stage) the map says how many entities each district holds and how
many of them have coordinates (``city_district_counts``), and under the map how many entities it cannot draw because
no city holds them (``entities_without_city_count``). Counting either in the query reads every entity of the city or
of the graph: 0.3–1 s at a million nodes, and the list the page showed stopped at the row cap ("5,000+"). The answers
change only when the graph does, so ``aggregates.refresh`` counts them in the same write as the other tallies, one
entity class at a time. The full-scan definitions stay in ``queries/full_scans.py``; a test checks the kept rows
against them after every kind of write, on both stores.

Counted, as the definitions count: a chain entity (one with a stage) or an enterprise (stage ``industry`` unless a
source gives one). Per district: once per city it is placed in (a ``LOCATED_IN`` tie to the city or to a place
``PART_OF`` it), in the lowest-coded district of that city it is tied to (none when only the city is known), with or
without coordinates. Without a city: no ``LOCATED_IN`` tie to a city.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from graph.store import GraphStore
from graph.tally_rows import has_label, membership_types, read_kinds, tally_id

WITHOUT_XY = "city_district"  # entities of a district (or of the city alone) without coordinates
WITH_XY = "city_district_xy"  # … with both latitude and longitude
WITHOUT_CITY = "without_city"
KINDS = (WITHOUT_XY, WITH_XY, WITHOUT_CITY)

# kind, city id ("" for without_city), cluster id ("" = all clusters), stage, district code ("" = none)
MapKey = tuple[str, str, str, str, str]


def _stage(store: GraphStore, label: str) -> str | None:
    """A class's stage expression; None when the definitions count none of its entities (no stage, not an
    enterprise). The embedded store refuses a property its class does not have, so each is asked only of the classes
    that have it."""
    names = set(store.schema.node_class(label).property_names)
    if "chain_stage" in names:
        return "coalesce(e.chain_stage, 'industry')" if label == "Enterprise" else "e.chain_stage"
    return "'industry'" if label == "Enterprise" else None


def _placed(store: GraphStore, label: str) -> str:
    """The entities of one class, each with every city it is placed in and its lowest district code there."""
    return (
        f"MATCH (e:{label})-[:LOCATED_IN]->(place) "
        "OPTIONAL MATCH (place)-[:PART_OF]->(up:City) "
        f"WITH e, place, up WHERE up IS NOT NULL OR {has_label(store, 'place', 'City')} "
        "WITH e, CASE WHEN up IS NULL THEN place.id ELSE up.id END AS city, "
        f"CASE WHEN up IS NOT NULL AND {has_label(store, 'place', 'District')} THEN place.admin_code "
        "ELSE NULL END AS district "
        "WITH e, city, min(district) AS district "
    )


def _unplaced(store: GraphStore, label: str) -> str:
    """The entities of one class that no city holds (a class that cannot be tied to a city: all of them)."""
    if not store.schema.rel_type("LOCATED_IN").allows(label, "City"):
        return f"MATCH (e:{label}) "
    return f"MATCH (e:{label}) WHERE NOT EXISTS {{ MATCH (e)-[:LOCATED_IN]->(:City) }} "


def compute(store: GraphStore) -> dict[MapKey, int]:
    """The counts from the graph itself (what the kept rows must equal)."""
    counts: dict[MapKey, int] = defaultdict(int)
    located = set(store.schema.rel_type("LOCATED_IN").domain)
    for cls in store.schema.entity_classes:
        stage = _stage(store, cls.name)
        if stage is None:
            continue
        names = set(cls.property_names)
        xy = "e.latitude IS NOT NULL AND e.longitude IS NOT NULL" if {"latitude", "longitude"} <= names else "false"
        matches = [(WITHOUT_CITY, _unplaced(store, cls.name), "'' AS city, NULL AS district, false AS xy")]
        if cls.name in located:
            matches.append((WITHOUT_XY, _placed(store, cls.name), f"city, district, {xy} AS xy"))
        for kind, match, columns in matches:
            grouped = f"{columns}, {stage} AS stage"
            for row in store.read_in_write(match + f"RETURN {grouped}, count(*) AS n"):
                _add(counts, kind, row, "")
            types = membership_types(store.schema, cls.name)
            if types:
                # one membership type: one tie per (entity, cluster), so ties count entities (6.3 → 5.1 s at scale 150)
                n = "count(*)" if len(types) == 1 else "count(DISTINCT e)"
                for row in store.read_in_write(
                    match + f"MATCH (e)-[:{'|'.join(types)}]->(c:IndustryCluster) "
                    f"RETURN {grouped}, c.id AS cluster, {n} AS n"
                ):
                    _add(counts, kind, row, str(row["cluster"]))
    return {key: n for key, n in counts.items() if n}


def _add(counts: dict[MapKey, int], kind: str, row: dict[str, Any], cluster: str) -> None:
    if row["stage"] is None:  # a class with a stage property, and this entity without one: not counted
        return
    kind = WITH_XY if kind == WITHOUT_XY and row["xy"] else kind
    counts[(kind, str(row["city"]), cluster, str(row["stage"]), str(row["district"] or ""))] += int(row["n"])


def stored(store: GraphStore, label: str) -> dict[MapKey, int]:
    """The kept map rows (``label`` is the Tally class's name)."""
    columns = "t.tally_city AS city, t.tally_cluster AS cluster, t.tally_stage AS stage, t.tally_detail AS district, "
    rows = read_kinds(store, label, KINDS, columns + "t.tally_count AS n")
    return {
        (r["kind"], r["city"] or "", r["cluster"] or "", r["stage"], r["district"] or ""): int(r["n"]) for r in rows
    }


def rows(counts: dict[MapKey, int]) -> Iterable[dict[str, Any]]:
    for key, n in sorted(counts.items()):
        kind, city, cluster, stage, district = key
        yield {
            "id": tally_id(key),
            "tally_kind": kind,
            "tally_city": city or None,
            "tally_cluster": cluster or None,
            "tally_stage": stage,
            "tally_detail": district or None,
            "tally_count": n,
        }
