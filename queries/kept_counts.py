"""Named queries that the maintained counts (graph/aggregates.py) answer for some of their parameters.

``cluster_map`` counts a cluster's entities per city, optionally of one stage. For all stages together that is the
kept ``city_cluster`` count, the one ``city_cluster_matrix`` reads: a read of a few Tally rows instead of a walk of
every tie of the cluster (0.2–0.4 s at a million nodes). The query as written answers where the counts cannot:
- one stage (counts are kept per city and cluster, and per city and stage, not per all three);
- a name that more than one cluster bears (the query counts an entity of two such clusters once; the kept counts
  are per cluster);
- a store whose counts are missing or of an older version.
A test compares the two after every kind of write.

``city_profile`` and ``city_district_counts`` read their kept counts (graph/city_class_tallies.py,
graph/map_tallies.py) in their own texts, summed over the cities their parameter matches; where it matches more
than one city (two City nodes of one name: an entity located in both would be counted twice, where the full scans
count it once) ``needs_scan`` sends them to their full scans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph import aggregates
from graph.store import GraphStore

_CLUSTER = """MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
"""
_MATCHED = _CLUSTER + "RETURN count(c) AS n"
# the kind written as city_cluster_matrix.cypher writes it (aggregates.CITY_CLUSTER; a test reads these rows back)
CLUSTER_MAP_KEPT = (
    _CLUSTER
    + """MATCH (t:Tally)
WHERE t.tally_kind = 'city_cluster' AND t.tally_cluster = c.id
MATCH (city:City {id: t.tally_city})
RETURN city.admin_code AS admin_code, city.name_zh AS city, t.tally_count AS entities
ORDER BY entities DESC, admin_code"""
)


def kept_text(name: str, store: GraphStore, params: Mapping[str, Any]) -> str | None:
    """The text that reads the kept counts for this query and these parameters, or None: run the query as written."""
    if name != "cluster_map" or params.get("stage") != "all" or not aggregates.readable(store):
        return None
    matched = store.read(_MATCHED, {"cluster": params.get("cluster")}).rows
    return CLUSTER_MAP_KEPT if matched[0]["n"] == 1 else None


_CITIES_MATCHED = """MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city OR city.name_en = $city
RETURN count(city) AS n"""


def needs_scan(name: str, store: GraphStore, params: Mapping[str, Any]) -> bool:
    """Whether a query that reads kept counts must run its full scan for these parameters (they name several cities)."""
    if name not in ("city_profile", "city_district_counts"):
        return False
    return int(store.read(_CITIES_MATCHED, {"city": params.get("city")}).rows[0]["n"]) > 1
