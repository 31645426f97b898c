// name: cluster_chain
// title: {zh: 集群创新链：各环节主体数, en: "A cluster's chain: entities per stage"}
// description: >
//   For one cluster, how many entities serve it at each of the five chain stages — always five rows, a
//   stage without any being 0 ("no data") — counting all ties and, beside them, only the ties a source
//   states (not inferred by an attribution rule). With sourced_only, inferred ties are left out of both.
// params:
//   cluster: {type: string, default: E01, help: "cluster code (P01–P10, E01–E10) or Chinese or English name"}
//   sourced_only: {type: bool, default: false, help: "count only ties a source states"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (s:ChainStage)
OPTIONAL MATCH (e)-[r:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE e.chain_stage = replace(s.id, 'stage/', '') AND (NOT $sourced_only OR NOT coalesce(r.derived, false))
RETURN s.stage_order AS stage_order, replace(s.id, 'stage/', '') AS stage, count(DISTINCT e) AS entities,
       count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END) AS sourced
ORDER BY stage_order
