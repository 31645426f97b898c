// name: cluster_list
// title: {zh: 二十个产业集群, en: The 20 strategic industry clusters}
// description: Each cluster with its kind, lead department and how many enterprises and other entities serve it.
// stage: all
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
OPTIONAL MATCH (e:Enterprise)-[:IN_CLUSTER]->(c)
WITH c, count(DISTINCT e) AS enterprises
OPTIONAL MATCH (s)-[:SERVES_CLUSTER]->(c)
WITH c, enterprises, count(DISTINCT s) AS serving
OPTIONAL MATCH (a:GovernmentAgency)-[:LEADS_CLUSTER]->(c)
RETURN c.cluster_code AS code, c.name_zh AS name_zh, c.name_en AS name_en, c.kind AS kind,
       a.name_zh AS lead_department, enterprises, serving AS serving_entities
ORDER BY code
