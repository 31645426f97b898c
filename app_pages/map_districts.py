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
    without: tuple[dict[str, Any], ...] = ()  # the city's entities with no known district
    total: int = 0

    def value(self, code: str) -> int:
        return self.stated[code] + self.from_coordinates[code]

    @property
    def placed(self) -> int:
        return self.total - len(self.without)


def count_by_district(rows: Sequence[Mapping[str, Any]], shapes: Sequence[Mapping[str, Any]]) -> DistrictCounts:
    """Rows of the ``city_district_entities`` query counted per district, one district per entity (a stated one
    wins over the coordinates)."""
    codes = {str(s["properties"]["adcode"]) for s in shapes}
    stated_of: dict[str, str] = {}
    entities: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        entities.setdefault(row["id"], row)
        if row.get("district_code") in codes:
            stated_of.setdefault(row["id"], str(row["district_code"]))
    stated: Counter[str] = Counter()
    from_coordinates: Counter[str] = Counter()
    without = []
    for entity_id, row in entities.items():
        if entity_id in stated_of:
            stated[stated_of[entity_id]] += 1
            continue
        lat, lon = row.get("latitude"), row.get("longitude")
        code = district_at(float(lon), float(lat), shapes) if lat is not None and lon is not None else None
        if code is not None:
            from_coordinates[code] += 1
        else:
            without.append({k: row.get(k) for k in ("class", "name_zh", "id")})
    return DistrictCounts(stated, from_coordinates, tuple(without), len(entities))
