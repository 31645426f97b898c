// name: stage_map
// title: {zh: 各市创新主体分布, en: Entities per city by stage}
// description: >
//   Across all clusters, how many entities of one stage (or of any stage, or enterprises: 'industry')
//   are located in each of the 21 cities; cities with none show 0 (counts kept by every write to the graph, graph/aggregates.py: no scan).
// params:
//   stage: {type: string, default: all, help: "环节代码（basic_research 等）、industry，或 all（全部） / a stage key (basic_research …), industry, or all"}
// stage: all
// kind: map
// ordered: true
MATCH (city:City)
OPTIONAL MATCH (t:Tally)
WHERE t.tally_kind = 'city_stage' AND t.tally_city = city.id AND ($stage = 'all' OR t.tally_stage = $stage)
RETURN city.admin_code AS admin_code, city.name_zh AS city, coalesce(sum(t.tally_count), 0) AS entities
ORDER BY admin_code
