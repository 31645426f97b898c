// name: cluster_chain_graph
// title: {zh: 集群创新链图, en: "A cluster's chain as a graph"}
// description: >
//   Edges for drawing the chain and scoring it: each member of the cluster (member_id), and every
//   non-structural relationship it takes part in — its own, and those pointing at it from entities outside
//   the cluster — with both ends' stage, class and name.
// params:
//   cluster: {type: string, default: E01, help: "集群代码或名称 / cluster code or name"}
//   sourced_only: {type: bool, default: false, help: "只含来源陈述的关联 / only ties a source states"}
// stage: all
// kind: graph
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (a)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
OPTIONAL MATCH (a)-[r]->(b)
WHERE NOT ckg_type(r) IN ['LOCATED_IN', 'SERVES_CLUSTER', 'IN_CLUSTER', 'PART_OF', 'IN_INDUSTRY']
// (coalesce: LadybugDB merges two identical expressions of one RETURN, which misaligns the UNION's columns)
RETURN a.id AS member_id, coalesce(a.id, '') AS from_id, a.name_zh AS from_name, ckg_label(a) AS from_class,
       coalesce(a.chain_stage, 'industry') AS from_stage, ckg_type(r) AS relationship, b.id AS to_id,
       b.name_zh AS to_name, ckg_label(b) AS to_class, coalesce(b.chain_stage, 'industry') AS to_stage,
       c.id AS cluster_id, c.name_zh AS cluster_name
UNION ALL
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (a)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
MATCH (a)<-[r]-(b)
WHERE NOT ckg_type(r) IN ['LOCATED_IN', 'SERVES_CLUSTER', 'IN_CLUSTER', 'PART_OF', 'IN_INDUSTRY']
  AND NOT EXISTS { MATCH (b)-[n:SERVES_CLUSTER|IN_CLUSTER]->(c) WHERE NOT $sourced_only OR NOT coalesce(n.derived, false) }
RETURN a.id AS member_id, b.id AS from_id, b.name_zh AS from_name, ckg_label(b) AS from_class,
       coalesce(b.chain_stage, 'industry') AS from_stage, ckg_type(r) AS relationship, a.id AS to_id,
       a.name_zh AS to_name, ckg_label(a) AS to_class, coalesce(a.chain_stage, 'industry') AS to_stage,
       c.id AS cluster_id, c.name_zh AS cluster_name
