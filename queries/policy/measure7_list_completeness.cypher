// name: measure7_list_completeness
// title: {zh: 措施7：名单完整性, en: "Measure 7: how complete the centre lists are"}
// description: How many provincial manufacturing and technology innovation centres the graph names, against the total the sources state.
// stage: policy
// kind: table
// ordered: true
MATCH (l:SourceList)
WHERE l.list_key IN ['provincial_manufacturing_innovation_centers', 'provincial_technology_innovation_centers']
OPTIONAL MATCH (m:InnovationCenter)
WHERE m.level STARTS WITH 'provincial'
  AND ((l.list_key STARTS WITH 'provincial_manufacturing' AND m.kind CONTAINS 'manufacturing')
       OR (l.list_key STARTS WITH 'provincial_technology' AND m.kind CONTAINS 'technology'))
RETURN l.list_key AS list, l.name_zh AS name_zh, count(DISTINCT m) AS named_in_graph, l.stated_total AS stated_total,
       l.complete AS complete, l.notes AS notes
ORDER BY list
