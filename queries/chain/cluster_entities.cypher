// name: cluster_entities
// title: {zh: 集群创新链主体清单, en: "A cluster's chain: every entity"}
// description: Every entity that serves the cluster or belongs to it, with its stage, class, city and source.
// params:
//   cluster: {type: string, default: E01, help: "cluster code or name"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c)
OPTIONAL MATCH (e)-[:LOCATED_IN]->(place:City)
RETURN coalesce(e.chain_stage, 'industry') AS stage, ckg_label(e) AS class, e.id AS id, e.name_zh AS name_zh,
       e.name_en AS name_en, place.name_zh AS city, e.confidence AS confidence, e.source_file AS source_file,
       e.source_row AS source_row
ORDER BY stage, class, id, city
