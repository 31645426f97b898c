// Neo4j: from the city and its districts to their entities, not a scan of every LOCATED_IN tie (as
// city_district_entities.neo4j.cypher). Same answer as the main body.
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city
OPTIONAL MATCH (part)-[:PART_OF]->(city)
WITH city, [city] + collect(part) AS places
UNWIND places AS place
MATCH (e)-[:LOCATED_IN]->(place)
WHERE (e.chain_stage IS NOT NULL OR ckg_label(e) = 'Enterprise')
  AND ($stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage)
  AND ($cluster = 'all' OR EXISTS {
        MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster })
WITH e, min(CASE WHEN ckg_label(place) = 'District' THEN place.admin_code ELSE NULL END) AS district_code
RETURN district_code, e.latitude IS NOT NULL AND e.longitude IS NOT NULL AS with_coordinates, count(*) AS entities
ORDER BY district_code, with_coordinates
