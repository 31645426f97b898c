// name: measure7_center_coverage
// title: {zh: 措施7：省级技术创新中心、制造业创新中心覆盖, en: "Measure 7: provincial technology and manufacturing innovation centres per cluster"}
// description: >
//   The 2025 target of measure 7: all 20 clusters covered by a provincial technology innovation centre and a
//   provincial manufacturing innovation centre. A cluster without a named centre is a real gap only when the
//   list behind the check is complete; otherwise its status says the list is incomplete (or not loaded).
// stage: policy
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
OPTIONAL MATCH (m:InnovationCenter)-[:SERVES_CLUSTER]->(c)
WHERE m.kind CONTAINS 'manufacturing' AND m.level STARTS WITH 'provincial'
WITH c, count(DISTINCT m) AS manufacturing
OPTIONAL MATCH (t:InnovationCenter)-[:SERVES_CLUSTER]->(c)
WHERE t.kind CONTAINS 'technology' AND t.level STARTS WITH 'provincial'
WITH c, manufacturing, count(DISTINCT t) AS technology
OPTIONAL MATCH (lm:SourceList {list_key: 'provincial_manufacturing_innovation_centers'})
OPTIONAL MATCH (lt:SourceList {list_key: 'provincial_technology_innovation_centers'})
RETURN c.cluster_code AS code, c.name_zh AS cluster, manufacturing AS manufacturing_centres,
       CASE WHEN manufacturing > 0 THEN 'covered' WHEN lm IS NULL THEN 'unknown: no list loaded'
            WHEN lm.complete THEN 'gap' ELSE 'unknown: list incomplete' END AS manufacturing_status,
       technology AS technology_centres,
       CASE WHEN technology > 0 THEN 'covered' WHEN lt IS NULL THEN 'unknown: no list loaded'
            WHEN lt.complete THEN 'gap' ELSE 'unknown: list incomplete' END AS technology_status,
       lm.stated_total AS manufacturing_list_stated_total, lt.notes AS technology_list_note
ORDER BY code
