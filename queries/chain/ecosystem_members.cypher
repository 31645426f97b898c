// name: ecosystem_members
// title: {zh: 集群成员（分析用）, en: Cluster members (for analytics)}
// description: Every (entity, cluster) membership with the entity's class and stage — the input of the chain analytics.
// params:
//   sourced_only: {type: bool, default: false, help: "只含来源陈述的关联 / only ties a source states"}
// stage: all
// kind: table
MATCH (e)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
RETURN e.id AS id, e.name_zh AS name_zh, ckg_label(e) AS class,
       CASE WHEN ckg_label(e) = 'Enterprise' THEN 'industry' ELSE e.chain_stage END AS stage, c.cluster_code AS cluster
// a page's read stops at the row cap: the database stops there too (catalog.py: $row_cap); whole pulls have no cap
LIMIT $row_cap
