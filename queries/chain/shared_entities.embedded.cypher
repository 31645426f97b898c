// LadybugDB's collect() does not keep an ORDER BY's order: the set of codes is sorted with list_sort.
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH e, count(DISTINCT c) AS clusters
WHERE clusters >= $min_clusters
WITH e, clusters ORDER BY clusters DESC, e.id LIMIT $row_cap
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH e, clusters, list_sort(collect(DISTINCT c.cluster_code)) AS codes
RETURN e.id AS id, e.name_zh AS name_zh, ckg_label(e) AS class, clusters, codes
ORDER BY clusters DESC, id
