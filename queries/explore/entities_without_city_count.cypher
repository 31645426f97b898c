// name: entities_without_city_count
// title: {zh: 未落到城市的主体数, en: How many entities have no city}
// description: >
//   How many chain entities and enterprises (optionally of one cluster and one stage) have no LOCATED_IN tie to a
//   city, so that the map cannot draw them: the whole count at any size (counts kept by every write to the graph,
//   graph/map_tallies.py: no scan); entities_without_city lists them.
// params:
//   cluster: {type: string, default: all, help: "集群代码或名称，或 all（全部） / cluster code or name, or all"}
//   stage: {type: string, default: all, help: "环节代码（basic_research 等）、industry，或 all（全部） / a stage key (basic_research …), industry, or all"}
// stage: all
// kind: table
// ordered: true
OPTIONAL MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
WITH collect(c.id) AS clusters
OPTIONAL MATCH (t:Tally)
WHERE t.tally_kind = 'without_city'
  AND (($cluster = 'all' AND t.tally_cluster IS NULL) OR t.tally_cluster IN clusters)
  AND ($stage = 'all' OR t.tally_stage = $stage)
RETURN coalesce(sum(t.tally_count), 0) AS entities
