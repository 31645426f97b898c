"""A picked city's districts: each entity of the city counted in its district where that is known — stated in the
graph (a LOCATED_IN tie to a District) or, for an entity with coordinates, the district boundary that holds the
point — and the entities whose district is not known counted, never dropped.

The coordinates are placed here, at drawing time, as the map already does with the same DataV boundaries; the
graph itself gains no tie (a district rule in ingest/inference.py would be the place for that).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app_pages.map_view import features
from ingest.geo import wgs84_to_gcj02


def city_districts(city_code: str) -> list[dict[str, Any]]:
    """The district shapes of a city (none for 东莞 and 中山, whose towns report to the city directly)."""
    return [f for f in features("district") if str((f["properties"].get("parent") or {}).get("adcode")) == city_code]


def _inside(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    """Ray casting: does the point fall inside the ring?"""
    inside = False
    for (x1, y1, *_), (x2, y2, *_) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def district_at(lon: float, lat: float, shapes: Sequence[Mapping[str, Any]]) -> str | None:
    """The admin code of the district holding a WGS-84 point (the boundaries are GCJ-02, as DataV draws them)."""
    x, y = wgs84_to_gcj02(lon, lat)
    for shape in shapes:
        geometry = shape["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            if polygon and _inside(x, y, polygon[0]) and not any(_inside(x, y, hole) for hole in polygon[1:]):
                return str(shape["properties"]["adcode"])
    return None


@dataclass(frozen=True)
class DistrictCounts:
    stated: Counter[str] = field(default_factory=Counter)  # district code → entities the graph places there
    from_coordinates: Counter[str] = field(default_factory=Counter)  # … whose coordinates fall there
    without: tuple[dict[str, Any], ...] = ()  # the city's entities with no known district (as far as listed)
    total: int = 0
    unplaced: int = 0  # how many entities have no known district (more than ``without`` when the list was cut)

    def value(self, code: str) -> int:
        return self.stated[code] + self.from_coordinates[code]

    @property
    def placed(self) -> int:
        return self.total - self.unplaced


def count_by_district(
    tallies: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]], shapes: Sequence[Mapping[str, Any]]
) -> DistrictCounts:
    """The city's entities per district: the stated districts and the total from ``city_district_counts``
    (``tallies``, whole at any size), the districts that coordinates give from the listed entities
    (``city_district_entities``: the first ones when the row cap cut it; the rest count as not placed). One district
    per entity: a stated one wins over the coordinates."""
    codes = {str(s["properties"]["adcode"]) for s in shapes}
    stated: Counter[str] = Counter()
    total = 0
    for tally in tallies:
        total += int(tally["entities"])
        if tally["district_code"] in codes:
            stated[str(tally["district_code"])] += int(tally["entities"])
    located = {row["id"] for row in rows if row.get("district_code") in codes}
    from_coordinates: Counter[str] = Counter()
    without = []
    first: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        first.setdefault(row["id"], row)
    for entity_id, row in first.items():
        if entity_id in located:
            continue
        lat, lon = row.get("latitude"), row.get("longitude")
        code = district_at(float(lon), float(lat), shapes) if lat is not None and lon is not None else None
        if code is not None:
            from_coordinates[code] += 1
        else:
            without.append({k: row.get(k) for k in ("class", "name_zh", "id")})
    unplaced = total - sum(stated.values()) - sum(from_coordinates.values())
    return DistrictCounts(stated, from_coordinates, tuple(without), total, unplaced)
