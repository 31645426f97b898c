// name: cluster_chain_graph
// title: {zh: 集群创新链图, en: "A cluster's chain as a graph"}
// description: >
//   Edges for drawing the chain: each entity's membership of the cluster, and its non-structural
//   relationships to other entities, with both ends' stage, class and name.
// params:
//   cluster: {type: string, default: E01, help: "cluster code or name"}
// stage: all
// kind: graph
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (a)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c)
OPTIONAL MATCH (a)-[r]->(b)
WHERE NOT ckg_type(r) IN ['LOCATED_IN', 'SERVES_CLUSTER', 'IN_CLUSTER', 'PART_OF', 'IN_INDUSTRY']
RETURN a.id AS from_id, a.name_zh AS from_name, ckg_label(a) AS from_class, coalesce(a.chain_stage, 'industry') AS from_stage,
       ckg_type(r) AS relationship, b.id AS to_id, b.name_zh AS to_name, ckg_label(b) AS to_class,
       coalesce(b.chain_stage, 'industry') AS to_stage, c.id AS cluster_id, c.name_zh AS cluster_name
