// name: cluster_entities
// title: {zh: 集群创新链主体清单, en: "A cluster's chain: every entity"}
// description: >
//   Every entity that serves the cluster or belongs to it, with its stage, class, city and source, and how
//   it is tied: stated by a source, or inferred by an attribution rule (its rule and evidence).
// params:
//   cluster: {type: string, default: E01, help: "集群代码或名称 / cluster code or name"}
//   sourced_only: {type: bool, default: false, help: "只含关联由来源陈述的主体 / only entities whose tie a source states"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[r:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE NOT $sourced_only OR NOT coalesce(r.derived, false)
// sorted and cut before the per-row city lookups: the first rows by stage, class, id (catalog.py: $row_cap)
WITH e, r, coalesce(e.chain_stage, 'industry') AS stage, ckg_label(e) AS class
ORDER BY stage, class, e.id LIMIT $row_cap
OPTIONAL MATCH (e)-[:LOCATED_IN]->(place:City)
RETURN stage, class, e.id AS id, e.name_zh AS name_zh,
       e.name_en AS name_en, place.name_zh AS city,
       CASE WHEN coalesce(r.derived, false) THEN 'inferred' ELSE 'sourced' END AS tie, r.rule AS rule,
       r.evidence AS evidence, e.confidence AS confidence, e.source_file AS source_file,
       e.source_row AS source_row
ORDER BY stage, class, id, city
