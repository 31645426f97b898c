// name: city_district_entities
// title: {zh: 城市内各县区的主体, en: "A city's entities and their districts"}
// description: >
//   The chain entities and enterprises of one city (optionally of one cluster and one stage), each with the
//   district the graph places it in (a LOCATED_IN tie to a District of the city; null when only the city is
//   known) and its coordinates when a source gives them. The map page places those with coordinates and no
//   stated district by the district boundaries (with_coordinates: only those with coordinates).
// params:
//   city: {type: string, default: 深圳市, help: "城市名（广州市或广州）或六位行政区划代码 / city name (广州市 or 广州) or 6-digit admin code"}
//   cluster: {type: string, default: all, help: "集群代码或名称，或 all（全部） / cluster code or name, or all"}
//   stage: {type: string, default: all, help: "环节代码（basic_research 等）、industry，或 all（全部） / a stage key (basic_research …), industry, or all"}
//   with_coordinates: {type: bool, default: false, help: "只含有坐标的主体（地图按坐标放置的） / only entities with coordinates (what the map places by them)"}
// stage: all
// kind: table
// ordered: true
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city
// from the city and its districts to their entities (a place tested in the WHERE is a scan of every LOCATED_IN tie)
MATCH (place)-[:PART_OF*0..1]->(city)
MATCH (e)-[:LOCATED_IN]->(place)
WHERE (e.chain_stage IS NOT NULL OR ckg_label(e) = 'Enterprise')
  AND ($stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage)
  AND (NOT $with_coordinates OR (e.latitude IS NOT NULL AND e.longitude IS NOT NULL))
  AND ($cluster = 'all' OR EXISTS {
        MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster })
// sorted and cut (catalog.py: $row_cap) before the names and coordinates are read
WITH e, CASE WHEN ckg_label(place) = 'District' THEN place.admin_code ELSE NULL END AS district_code
ORDER BY e.id, district_code LIMIT $row_cap
RETURN e.id AS id, e.name_zh AS name_zh, ckg_label(e) AS class, district_code,
       e.latitude AS latitude, e.longitude AS longitude
ORDER BY id, district_code
