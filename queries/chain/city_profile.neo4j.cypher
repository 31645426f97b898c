// Neo4j: from the city and its districts to their entities, not a scan of every LOCATED_IN tie (LadybugDB cannot
// concatenate node lists; its plan for the main body is already fast). Same answer.
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city OR city.name_en = $city
OPTIONAL MATCH (part)-[:PART_OF]->(city)
WITH city, [city] + collect(part) AS places
UNWIND places AS place
MATCH (e)-[:LOCATED_IN]->(place)
RETURN city.name_zh AS city,
       CASE WHEN ckg_label(e) = 'Enterprise' THEN 'industry' ELSE coalesce(e.chain_stage, 'other') END AS stage,
       ckg_label(e) AS class, count(DISTINCT e) AS entities
ORDER BY stage, class
