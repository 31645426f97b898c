// Neo4j: from the city and its districts to their entities, not a scan of every LOCATED_IN tie; sorted and cut
// (catalog.py: $row_cap) before the names and coordinates are read. Same answer as the main body.
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city
OPTIONAL MATCH (part)-[:PART_OF]->(city)
WITH city, [city] + collect(part) AS places
UNWIND places AS place
MATCH (e)-[:LOCATED_IN]->(place)
WHERE (e.chain_stage IS NOT NULL OR ckg_label(e) = 'Enterprise')
  AND ($stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage)
  AND (NOT $with_coordinates OR (e.latitude IS NOT NULL AND e.longitude IS NOT NULL))
  AND ($cluster = 'all' OR EXISTS {
        MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster })
WITH e, CASE WHEN ckg_label(place) = 'District' THEN place.admin_code ELSE NULL END AS district_code
ORDER BY e.id, district_code LIMIT $row_cap
RETURN e.id AS id, e.name_zh AS name_zh, ckg_label(e) AS class, district_code,
       e.latitude AS latitude, e.longitude AS longitude
ORDER BY id, district_code
