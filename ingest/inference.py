"""Ties no source states, inferred by reviewed rules after resolution: one more source, the lowest in rank.

Every inferred relationship carries ``derived = true``, the rule's id, the evidence that made it fire and
a confidence; a relationship that any source states keeps that source's provenance instead
(``ingest.build.relationship_rows``). Rules are pure functions of the resolved graph, so re-running
them is idempotent and the graph stays a function of the sources' statements.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from graph.schema import Schema
from ingest.build import Inference
from ingest.geo import wgs84_to_gcj02
from ingest.link_columns import Ties, keys_of_types, keys_to, of_types
from ingest.records import Link
from ingest.reference_rows import RuleTableError, refused, rule_problem
from ingest.report import Report
from ingest.resolve import Entity, EntityIndex
from ingest.source_table import ReadError, decode

log = logging.getLogger(__name__)

# The relationships through which an organisation answers for what it hosts, operates, leads or manages.
HOST_TYPES = ("HOSTED_BY", "OPERATED_BY", "LED_BY", "MANAGED_BY")


def inferred_link(
    rel_type: str, start: Entity, end: Entity, *, rule: str, evidence: str, confidence: str, source_file: str
) -> Link:
    props = {
        "derived": True,
        "rule": rule,
        "evidence": evidence,
        "confidence": confidence,
        "source_file": source_file,
    }
    return Link(rel_type, start.label, start.id, end.label, end.id, extra=props)  # rank and ref from its rule


def name_of(entity: Entity) -> str:
    return str(entity.merged_props().get("name_zh") or entity.id)


class LinkView:
    """The resolved links of the given types by start node and type, for rules that walk the graph (a rule names
    the types it walks: at scale 150 most of 3.5 M links are of types no rule follows). Nested by type, label and
    id rather than keyed by (label, id) tuples with a dict per entity, beside a dict of every entity: at scale 150
    the first rule's peak, a view of LOCATED_IN for the 900,000 entities a city is stated for, fell 2,837 → 2,565 MB."""

    def __init__(self, index: EntityIndex, links: Iterable[Ties], types: Collection[str]) -> None:
        self.types = frozenset(types)
        self.out: dict[str, dict[str, dict[str, list[Entity]]]] = {rel_type: {} for rel_type in self.types}
        for rel_type, from_label, from_id, to_label, to_id in itertools.chain.from_iterable(
            keys_of_types(part, self.types) for part in links
        ):
            by_label = self.out[rel_type]
            target = index.by_node_id(to_label, to_id)
            if target is None:
                continue
            by_id = by_label.get(from_label)
            if by_id is None:
                by_id = by_label[from_label] = {}
            found = by_id.get(from_id)
            if found is None:
                by_id[from_id] = [target]
            else:
                found.append(target)

    def targets(self, entity: Entity, rel_type: str) -> list[Entity]:
        by_label = self.out.get(rel_type)
        if by_label is None:  # a rule that walks a type it did not name would find nothing, silently
            raise ValueError(f"this view holds links of {sorted(self.types)}, not {rel_type}")
        return list(by_label.get(entity.label, {}).get(entity.id, ()))


def place_from_host(schema: Schema) -> Inference:
    """Rule ``place.from_host``: an entity that no source places is where its host (or operator, lead
    organisation, manager) is, when that host has exactly one stated place."""
    located = schema.rel_type("LOCATED_IN")

    def infer(index: EntityIndex, links: Ties) -> list[Link]:
        view = LinkView(index, [links], ("LOCATED_IN", *HOST_TYPES))
        out: list[Link] = []
        for entity in index.entities:
            if view.targets(entity, "LOCATED_IN"):
                continue
            for rel_type in HOST_TYPES:
                hosts = view.targets(entity, rel_type)
                places = {id(p): (host, p) for host in hosts for p in view.targets(host, "LOCATED_IN")}
                if len(places) != 1:
                    continue
                host, place = next(iter(places.values()))
                if located.allows(entity.label, place.label):
                    evidence = f"{rel_type} {name_of(host)} → LOCATED_IN {name_of(place)}"
                    out.append(
                        inferred_link(
                            "LOCATED_IN",
                            entity,
                            place,
                            rule="place.from_host",
                            evidence=evidence,
                            confidence="medium",
                            source_file="ingest/inference.py",
                        )
                    )
                break
        return out

    return infer


DISTRICTS_FILE = "raw/admin-divisions-modood/areas.csv"  # the districts' PART_OF their cities (01_districts.yaml)


def place_from_district(schema: Schema) -> Inference:
    """Rule ``place.from_district``: an entity placed in a district, and in no city, is in the city that district
    is part of. Every count by city (the map, Compare, a city's profile) then finds it, as a city's report does. A
    district that a rule gave (``place.from_host``) passes on its rule, in the evidence, and its lower confidence."""
    located = schema.rel_type("LOCATED_IN")

    def infer(index: EntityIndex, links: Ties) -> list[Link]:
        # the few entities placed in a district, found by codes: a view of every LOCATED_IN tie held a million
        starts = {
            (label, entity_id)
            for _, label, entity_id, _, _ in keys_to(links, "LOCATED_IN", "District")
            if label not in ("City", "District") and located.allows(label, "City")
        }
        if not starts:
            return []
        placed: dict[tuple[str, str], list[Link]] = {}
        for tie in of_types(links, ["LOCATED_IN"], starts):
            placed.setdefault((tie.from_label, tie.from_id), []).append(tie)
        districts = {("District", tie.to_id) for ties in placed.values() for tie in ties if tie.to_label == "District"}
        city_of: dict[str, set[str]] = {}
        for tie in of_types(links, ["PART_OF"], districts):
            if tie.to_label == "City":
                city_of.setdefault(tie.from_id, set()).add(tie.to_id)
        out: list[Link] = []
        for (label, entity_id), ties in placed.items():
            if any(tie.to_label == "City" for tie in ties):
                continue  # a city stated, or inferred by an earlier rule
            in_districts = [tie for tie in ties if tie.to_label == "District"]
            cities = set().union(*(city_of.get(tie.to_id, set()) for tie in in_districts))
            if len(cities) != 1 or any(tie.to_id not in city_of for tie in in_districts):
                continue  # districts of two cities, or one of no known city: no city is sure
            tie = min(in_districts, key=_district_rank)  # a stated district before an inferred one
            entity, city = index.by_node_id(label, entity_id), index.by_node_id("City", next(iter(cities)))
            district = index.by_node_id("District", tie.to_id)
            if entity is None or city is None or district is None:
                continue
            rule = tie.extra.get("rule") if tie.extra.get("derived") else None  # a stated tie's own "rule" is no rule
            out.append(
                inferred_link(
                    "LOCATED_IN",
                    entity,
                    city,
                    rule="place.from_district",
                    evidence=f"LOCATED_IN {name_of(district)}{f' ({rule})' if rule else ''} → PART_OF {name_of(city)}",
                    confidence=str(tie.extra.get("confidence", "high")) if rule else "high",
                    source_file=DISTRICTS_FILE,
                )
            )
        return out

    return infer


_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


def _district_rank(tie: Link) -> tuple[int, int, str]:
    """Stated ties first, then the surest inferred ones; the district's id last, so the choice does not depend on
    the order the ties came in."""
    derived = bool(tie.extra.get("derived"))
    return derived, _CONFIDENCE_RANK.get(str(tie.extra.get("confidence")), 3) if derived else 0, tie.to_id


CITY_BOUNDARIES = "raw/geo-guangdong/guangdong_cities_datav.geojson"
Ring = list[tuple[float, float]]


def _inside(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting: does the point fall inside the polygon ring?"""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def city_polygons(data_dir: Path, report: Report | None = None) -> dict[str, list[list[Ring]]]:
    """GB/T 2260 city code → its polygons (outer ring first, then holes), in GCJ-02 as DataV draws them. A file
    that cannot be read as GeoJSON stops the run (``RuleTableError``, as for the rules' other tables); a feature
    that is not a city's polygon (no code, coordinates that are not finite numbers, a second one for a code) is an
    error in ``report``, and left out."""
    path = data_dir / CITY_BOUNDARIES
    if not path.exists():
        return {}
    try:
        doc = json.loads(decode(path.read_bytes())[0])
        features = doc["features"]
        if not isinstance(features, list):
            raise TypeError("its features are not a list")
    except (ReadError, OSError, ValueError, TypeError, KeyError, RecursionError, ArithmeticError) as exc:
        en = f"cannot be read as GeoJSON ({type(exc).__name__}: {str(exc)[:200]})"
        raise RuleTableError(refused(CITY_BOUNDARIES, "无法读作 GeoJSON", en)) from exc
    polygons: dict[str, list[list[Ring]]] = {}
    for number, feature in enumerate(features, start=1):
        try:
            code, shape = _boundary(feature)
            if code in polygons:
                raise ValueError(f"a second boundary for {code}")
        except (AttributeError, TypeError, ValueError, ArithmeticError, RecursionError) as exc:
            reason = f"该边界无法读取，已略过 / a boundary cannot be read, left out: {exc}"
            # the feature's number, counted from 1, as its row
            rule_problem(report, CITY_BOUNDARIES, reason, row=number, value=_feature_name(feature))
            continue
        polygons[code] = shape
    return polygons


def _boundary(feature: object) -> tuple[str, list[list[Ring]]]:
    """A feature's city code and polygons; raises what is wrong with it."""
    if not isinstance(feature, dict):
        raise TypeError("it is not an object")
    geometry = feature.get("geometry") or {}
    kind, parts = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        parts = [parts]
    elif kind != "MultiPolygon":
        raise ValueError(f"its geometry is {kind!r}, not a polygon")
    code = str((feature.get("properties") or {}).get("adcode") or "")
    if not code:
        raise ValueError("it has no adcode")
    shape = [[[_point(point) for point in ring] for ring in polygon] for polygon in parts]
    if not shape or not all(polygon and len(polygon[0]) >= 3 for polygon in shape):
        raise ValueError("a polygon without an outer ring of three points")
    return code, shape


def _point(point: Any) -> tuple[float, float]:
    x, y, *_ = point  # what is not a sequence of two or more raises here
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)):
        raise TypeError(f"a coordinate is not a number: {point!r:.40}")
    lon, lat = float(x), float(y)  # a huge integer raises OverflowError
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"a coordinate is not finite: {point!r:.40}")
    return lon, lat


def _feature_name(feature: object) -> str | None:
    """The feature's code or name, for the report, if it has one."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        return None
    return str(props.get("adcode") or props.get("name") or "")[:80] or None


def place_from_coordinates(schema: Schema, data_dir: Path, report: Report | None = None) -> Inference:
    """Rule ``place.from_coordinates``: an entity that no source places but whose coordinates a source
    gives is in the city whose boundary (DataV, GCJ-02) holds the point."""
    located = schema.rel_type("LOCATED_IN")
    polygons = city_polygons(data_dir, report)

    def city_of(lon: float, lat: float) -> str | None:
        x, y = wgs84_to_gcj02(lon, lat)
        for code, polys in polygons.items():
            for rings in polys:
                if rings and _inside(x, y, rings[0]) and not any(_inside(x, y, hole) for hole in rings[1:]):
                    return code
        return None

    def infer(index: EntityIndex, links: Ties) -> list[Link]:
        view = LinkView(index, [links], ("LOCATED_IN",))
        cities = {str(e.merged_props().get("admin_code")): e for e in index.entities if e.label == "City"}
        out: list[Link] = []
        for entity in index.entities:
            if entity.label in ("City", "District") or view.targets(entity, "LOCATED_IN"):
                continue
            props = entity.merged_props()
            lat, lon = props.get("latitude"), props.get("longitude")
            if not isinstance(lat, float) or not isinstance(lon, float):
                continue
            code = city_of(lon, lat)
            city = cities.get(code) if code else None
            if city is not None and located.allows(entity.label, "City"):
                evidence = f"({lat:.5f}, {lon:.5f}) inside the boundary of {name_of(city)} ({CITY_BOUNDARIES})"
                out.append(
                    inferred_link(
                        "LOCATED_IN",
                        entity,
                        city,
                        rule="place.from_coordinates",
                        evidence=evidence,
                        confidence="high",
                        source_file=CITY_BOUNDARIES,
                    )
                )
        return out

    return infer
