// name: cluster_chain
// title: {zh: 集群创新链：各环节主体数, en: "A cluster's chain: entities per stage"}
// description: >
//   For one cluster, how many entities of each class serve it at each of the five chain stages
//   (enterprises in the cluster appear under 'industry'). A stage with no row is empty in the data.
// params:
//   cluster: {type: string, default: E01, help: "cluster code (P01–P10, E01–E10) or Chinese or English name"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c)
OPTIONAL MATCH (s:ChainStage {id: 'stage/' + e.chain_stage})
RETURN coalesce(s.stage_order, 6) AS stage_order, coalesce(e.chain_stage, 'industry') AS stage,
       ckg_label(e) AS class, count(DISTINCT e) AS entities
ORDER BY stage_order, class
