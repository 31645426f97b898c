// name: cluster_chain_classes
// title: {zh: 集群创新链：各环节各类主体数, en: "A cluster's chain: entities per stage and class"}
// description: >
//   For one cluster, how many entities of each class serve it at each chain stage (enterprises in the
//   cluster appear under 'industry'), with the number whose tie a source states beside the total.
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
MATCH (t:Tally)
WHERE t.tally_kind IN ['members', 'members_sourced'] AND t.tally_cluster IN clusters
WITH t.tally_stage AS stage, t.tally_class AS class,
     sum(CASE WHEN t.tally_kind = 'members' THEN t.tally_count ELSE 0 END) AS every,
     sum(CASE WHEN t.tally_kind = 'members_sourced' THEN t.tally_count ELSE 0 END) AS sourced
WITH stage, class, CASE WHEN $sourced_only THEN sourced ELSE every END AS entities, sourced
WHERE entities > 0
OPTIONAL MATCH (s:ChainStage {id: 'stage/' + stage})
RETURN coalesce(s.stage_order, 6) AS stage_order, stage, class, entities, sourced
ORDER BY stage_order, class
