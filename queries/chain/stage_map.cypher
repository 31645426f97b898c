// name: stage_map
// title: {zh: 各市创新主体分布, en: Entities per city by stage}
// description: >
//   Across all clusters, how many entities of one stage (or of any stage, or enterprises: 'industry')
//   are located in each of the 21 cities; cities with none show 0.
// params:
//   stage: {type: string, default: all, help: "a stage key (basic_research …), industry, or all"}
// stage: all
// kind: map
// ordered: true
MATCH (city:City)
OPTIONAL MATCH (e)-[:LOCATED_IN]->(city)
WITH city, e, CASE WHEN e IS NULL THEN NULL WHEN ckg_label(e) = 'Enterprise' THEN 'industry' ELSE e.chain_stage END AS stage
RETURN city.admin_code AS admin_code, city.name_zh AS city,
       count(DISTINCT CASE WHEN stage IS NOT NULL AND ($stage = 'all' OR stage = $stage) THEN e.id ELSE NULL END) AS entities
ORDER BY admin_code
