// name: entity_clusters
// title: {zh: 主体所属集群及依据, en: "Why an entity is in its clusters"}
// description: >
//   Every cluster an entity belongs to or serves, and why: the source row that states the tie, or the
//   attribution rule that inferred it with its evidence and every rule that fired (source_refs).
// params:
//   id: {type: string, required: true, help: "主体的标识（如 enterprise/…） / the entity's id (e.g. enterprise/…)"}
// stage: explore
// kind: table
// ordered: true
MATCH (e {id: $id})-[r:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
RETURN c.cluster_code AS cluster, c.name_zh AS cluster_zh, c.name_en AS cluster_en,
       CASE WHEN coalesce(r.derived, false) THEN 'inferred' ELSE 'sourced' END AS tie, r.rule AS rule,
       r.evidence AS evidence, r.confidence AS confidence, r.source_file AS source_file, r.source_row AS source_row,
       r.source_refs AS source_refs
ORDER BY cluster
