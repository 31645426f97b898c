// LadybugDB allows ORDER BY in a WITH only before SKIP or LIMIT: an institution's hosts are sorted after they are
// collected (list_sort), where Neo4j collects them in the order of the WITH before.
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[:SERVES_CLUSTER]->(c)
WHERE ckg_label(e) IN ['Laboratory', 'ResearchInstitution', 'University', 'InnovationCenter', 'ResearchInfrastructure']
OPTIONAL MATCH (e)-[:HOSTED_BY|LED_BY]->(h)
WITH e, list_sort(collect(DISTINCT h.name_zh)) AS hosts
OPTIONAL MATCH (e)-[:LOCATED_IN]->(city:City)
RETURN e.name_zh AS institution, ckg_label(e) AS class, e.level AS level, hosts, city.name_zh AS city,
       e.source_file AS source_file, e.source_row AS source_row, e.confidence AS confidence
ORDER BY class, institution, source_file, source_row
