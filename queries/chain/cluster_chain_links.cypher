// name: cluster_chain_links
// title: {zh: 集群创新链：环节之间的联系, en: "A cluster's chain: links between stages"}
// description: >
//   Relationships from the cluster's entities to entities with a chain stage (hosts, lead organisations,
//   operators, managers …), counted by the stages they join. Structural links (location, membership) are left out.
// params:
//   cluster: {type: string, default: E01, help: "cluster code or name"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (a)-[:SERVES_CLUSTER|IN_CLUSTER]->(c)
MATCH (a)-[r]->(b)
WHERE NOT ckg_type(r) IN ['LOCATED_IN', 'SERVES_CLUSTER', 'IN_CLUSTER', 'PART_OF', 'IN_INDUSTRY']
RETURN coalesce(a.chain_stage, 'industry') AS from_stage, ckg_type(r) AS relationship,
       coalesce(b.chain_stage, 'industry') AS to_stage, count(*) AS links
ORDER BY from_stage, relationship, to_stage
