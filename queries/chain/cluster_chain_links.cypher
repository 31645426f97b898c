// name: cluster_chain_links
// title: {zh: 集群创新链：环节之间的联系, en: "A cluster's chain: links between stages"}
// description: >
//   Relationships from the cluster's entities to entities with a chain stage (hosts, lead organisations,
//   operators, managers …), counted by the stages they join. Structural links (location, membership) are left out.
//   Whole at any size: counts kept by every write to the graph (graph/member_link_tallies.py: no scan).
// params:
//   cluster: {type: string, default: E01, help: "集群代码或名称 / cluster code or name"}
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (t:Tally)
WHERE t.tally_kind = 'member_links' AND t.tally_cluster = c.id
RETURN t.tally_stage AS from_stage, t.tally_class AS relationship, t.tally_detail AS to_stage,
       sum(t.tally_count) AS links
ORDER BY from_stage, relationship, to_stage
