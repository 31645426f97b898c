// name: cluster_chain_classes
// title: {zh: 集群创新链：各环节各类主体数, en: "A cluster's chain: entities per stage and class"}
// description: >
//   For one cluster, how many entities of each class serve it at each chain stage (enterprises in the
//   cluster appear under 'industry'), with the number whose tie a source states beside the total.
// params:
//   cluster: {type: string, default: E01, help: "cluster code (P01–P10, E01–E10) or Chinese or English name"}
//   sourced_only: {type: bool, default: false, help: "count only ties a source states"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[r:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE NOT $sourced_only OR NOT coalesce(r.derived, false)
// counted first, then the few (stage, class) rows look up their stage's order — not every member
WITH coalesce(e.chain_stage, 'industry') AS stage, ckg_label(e) AS class, count(DISTINCT e) AS entities,
     count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END) AS sourced
OPTIONAL MATCH (s:ChainStage {id: 'stage/' + stage})
RETURN coalesce(s.stage_order, 6) AS stage_order, stage, class, entities, sourced
ORDER BY stage_order, class
