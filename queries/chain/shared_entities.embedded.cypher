// LadybugDB: memberships counted with count(*), equal to count(DISTINCT c) here because a store keeps one tie per
// (entity, type, cluster) and no class starts both membership types (tests/test_queries.py checks the schema),
// and half the cost at a million nodes. The codes of the rows kept are read by walking each one's ties
// unfiltered and keeping the memberships (a filtered match is planned as a join over every membership).
// collect() skips nulls and does not keep an ORDER BY's order: the set of codes is sorted with list_sort.
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH e, count(*) AS clusters
WHERE clusters >= $min_clusters
WITH e, clusters ORDER BY clusters DESC, e.id LIMIT $row_cap
OPTIONAL MATCH (e)-[m]->(c)
WITH e, clusters,
     list_sort(collect(DISTINCT CASE WHEN ckg_type(m) IN ['SERVES_CLUSTER', 'IN_CLUSTER'] AND ckg_label(c) = 'IndustryCluster'
                                          AND (NOT $sourced_only OR NOT coalesce(m.derived, false))
                                     THEN c.cluster_code ELSE NULL END)) AS codes
RETURN e.id AS id, e.name_zh AS name_zh, ckg_label(e) AS class, clusters, codes
ORDER BY clusters DESC, id
