// name: cluster_map
// title: {zh: 三单一图：产业地图（各市主体数）, en: "Industry map: entities per city"}
// description: >
//   For one cluster (and optionally one stage), how many of its entities are in each city (for all stages the
//   counts kept by every write are read instead, queries/kept_counts.py: the same answer, no scan).
// params:
//   cluster: {type: string, default: E01, help: "集群代码或名称 / cluster code or name"}
//   stage: {type: string, default: all, help: "环节代码（basic_research 等）、industry，或 all（全部） / a stage key (basic_research …), industry, or all"}
// stage: all
// kind: map
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE $stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage
MATCH (e)-[:LOCATED_IN]->(city:City)
RETURN city.admin_code AS admin_code, city.name_zh AS city, count(DISTINCT e) AS entities
ORDER BY entities DESC, admin_code
