// name: cluster_rd_institutions
// title: {zh: 三单一图：研发机构清单, en: "R&D-institution list (三单一图)"}
// description: Labs, research institutes, universities, innovation centres and infrastructure serving the cluster, one row each, with its hosts (or leaders) and city.
// params:
//   cluster: {type: string, default: E01, help: "集群代码或名称 / cluster code or name"}
// stage: basic_research
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[:SERVES_CLUSTER]->(c)
WHERE ckg_label(e) IN ['Laboratory', 'ResearchInstitution', 'University', 'InnovationCenter', 'ResearchInfrastructure']
OPTIONAL MATCH (e)-[:HOSTED_BY|LED_BY]->(h)
WITH e, h
ORDER BY h.name_zh
WITH e, collect(DISTINCT h.name_zh) AS hosts
OPTIONAL MATCH (e)-[:LOCATED_IN]->(city:City)
RETURN e.name_zh AS institution, ckg_label(e) AS class, e.level AS level, hosts, city.name_zh AS city,
       e.source_file AS source_file, e.source_row AS source_row, e.confidence AS confidence
ORDER BY class, institution, source_file, source_row
