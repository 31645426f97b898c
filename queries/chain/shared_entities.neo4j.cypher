// Neo4j: each entity's memberships counted from its relationship degrees (COUNT without a property test reads
// the degree Neo4j keeps per node and type, ≈ 3× faster at a million nodes than grouping every membership).
// count = count(DISTINCT c) of the main body because a membership type's end is always a cluster, a store keeps
// one tie per (entity, type, cluster) (MERGE), and no class starts both types (ontology.ttl;
// tests/test_queries.py checks both facts of the schema).
MATCH (e:Entity)
WITH e, CASE WHEN $sourced_only
             THEN COUNT { (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->() WHERE NOT coalesce(m.derived, false) }
             ELSE COUNT { (e)-[:SERVES_CLUSTER|IN_CLUSTER]->() } END AS clusters
WHERE clusters >= $min_clusters
WITH e, clusters ORDER BY clusters DESC, e.id LIMIT $row_cap
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH e, clusters, c ORDER BY c.cluster_code
WITH e, clusters, collect(DISTINCT c.cluster_code) AS codes
RETURN e.id AS id, e.name_zh AS name_zh, ckg_label(e) AS class, clusters, codes
ORDER BY clusters DESC, id
