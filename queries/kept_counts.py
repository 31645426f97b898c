"""Named queries that the maintained counts (graph/aggregates.py) answer for some of their parameters.

``cluster_map`` counts a cluster's entities per city, optionally of one stage. For all stages together that is the
kept ``city_cluster`` count, the one ``city_cluster_matrix`` reads: a read of a few Tally rows instead of a walk of
every tie of the cluster (0.2–0.4 s at a million nodes). No count is kept per stage, and a store whose counts are
missing or of an older version has none to read: then the query runs as written, with the same answer (a test
compares the two after every kind of write).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph import aggregates
from graph.store import GraphStore, QueryResult

CLUSTER_MAP_KEPT = f"""
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (t:{aggregates.LABEL})
WHERE t.tally_kind = '{aggregates.CITY_CLUSTER}' AND t.tally_cluster = c.id
MATCH (city:City {{id: t.tally_city}})
RETURN city.admin_code AS admin_code, city.name_zh AS city, t.tally_count AS entities
ORDER BY entities DESC, admin_code
"""


def cluster_map(store: GraphStore, params: Mapping[str, Any], body: str, **read_options: Any) -> QueryResult:
    """The catalogue's hook for ``cluster_map``: the kept counts for all stages, the query's own text otherwise."""
    if params.get("stage") == "all" and aggregates.readable(store):
        return store.read(CLUSTER_MAP_KEPT, params, **read_options)
    return store.read(body, params, **read_options)
