// name: cluster_chain
// title: {zh: 集群创新链：各环节主体数, en: "A cluster's chain: entities per stage"}
// description: >
//   For one cluster, how many entities serve it at each of the five chain stages — always five rows, a
//   stage without any being 0 ("no data") — counting all ties and, beside them, only the ties a source
//   states (not inferred by an attribution rule). With sourced_only, inferred ties are left out of both.
//   Whole at any size: counts kept by every write to the graph (graph/chain_tallies.py: no scan).
// params:
//   cluster: {type: string, default: E01, help: "集群代码（P01–P10、E01–E10）或中文、英文名称 / cluster code (P01–P10, E01–E10) or Chinese or English name"}
//   sourced_only: {type: bool, default: false, help: "只计来源陈述的关联 / count only ties a source states"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
WITH collect(c.id) AS clusters
WHERE size(clusters) > 0
MATCH (s:ChainStage)
WITH s, replace(s.id, 'stage/', '') AS stage, clusters
OPTIONAL MATCH (t:Tally)
WHERE t.tally_kind IN ['members', 'members_sourced'] AND t.tally_cluster IN clusters AND t.tally_stage = stage
WITH s, stage, sum(CASE WHEN t.tally_kind = 'members' THEN t.tally_count ELSE 0 END) AS every,
     sum(CASE WHEN t.tally_kind = 'members_sourced' THEN t.tally_count ELSE 0 END) AS sourced
RETURN s.stage_order AS stage_order, stage, CASE WHEN $sourced_only THEN sourced ELSE every END AS entities, sourced
ORDER BY stage_order
