// name: entities_without_city
// title: {zh: 未落到城市的主体, en: Entities without a city}
// description: >
//   Chain entities and enterprises (optionally of one cluster and one stage) with no LOCATED_IN tie to a city:
//   the map cannot draw them, so the map page counts and lists them.
// params:
//   cluster: {type: string, default: all, help: "集群代码或名称，或 all（全部） / cluster code or name, or all"}
//   stage: {type: string, default: all, help: "环节代码（basic_research 等）、industry，或 all（全部） / a stage key (basic_research …), industry, or all"}
// stage: all
// kind: table
// ordered: true
MATCH (e)
WHERE (e.chain_stage IS NOT NULL OR ckg_label(e) = 'Enterprise')
  AND ($stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage)
  AND ($cluster = 'all' OR EXISTS {
        MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster })
  AND NOT EXISTS { MATCH (e)-[:LOCATED_IN]->(:City) }
RETURN ckg_label(e) AS class, e.id AS id, e.name_zh AS name_zh, coalesce(e.chain_stage, 'industry') AS stage,
       e.source_file AS source_file, e.source_row AS source_row
ORDER BY class, name_zh, id
