// name: cluster_list
// title: {zh: 二十个产业集群, en: The 20 strategic industry clusters}
// description: >
//   Each cluster with its kind, lead department and how many enterprises and other entities serve
//   it (counts kept by every write to the graph, graph/aggregates.py: no scan).
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
OPTIONAL MATCH (te:Tally)
WHERE te.tally_kind = 'cluster_enterprises' AND te.tally_cluster = c.id
WITH c, coalesce(te.tally_count, 0) AS enterprises
OPTIONAL MATCH (ts:Tally)
WHERE ts.tally_kind = 'cluster_serving' AND ts.tally_cluster = c.id
WITH c, enterprises, coalesce(ts.tally_count, 0) AS serving
OPTIONAL MATCH (a:GovernmentAgency)-[:LEADS_CLUSTER]->(c)
RETURN c.cluster_code AS code, c.name_zh AS name_zh, c.name_en AS name_en, c.kind AS kind,
       a.name_zh AS lead_department, enterprises, serving AS serving_entities
ORDER BY code
