// name: shared_entities
// title: {zh: 跨集群共享主体, en: Entities shared by several clusters}
// description: Entities that serve or belong to at least min_clusters clusters — the bridges between chains.
// params:
//   sourced_only: {type: bool, default: false, help: "只含来源陈述的关联 / only ties a source states"}
//   min_clusters: {type: int, default: 2, help: "至少这么多个集群 / at least this many clusters"}
// stage: all
// kind: table
// ordered: true
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH e, count(DISTINCT c) AS clusters
WHERE clusters >= $min_clusters
// Counted, then sorted and cut (catalog.py: $row_cap) before the codes are collected for the rows kept: collecting
// every entity's codes first needs more memory than Neo4j lets one query use at a million nodes.
WITH e, clusters ORDER BY clusters DESC, e.id LIMIT $row_cap
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
// The codes are a set: sorted (before collect, which keeps the order) so both stores answer alike.
WITH e, clusters, c ORDER BY c.cluster_code
WITH e, clusters, collect(DISTINCT c.cluster_code) AS codes
RETURN e.id AS id, e.name_zh AS name_zh, ckg_label(e) AS class, clusters, codes
ORDER BY clusters DESC, id
