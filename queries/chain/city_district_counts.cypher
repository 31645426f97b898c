// name: city_district_counts
// title: {zh: 城市各县区主体数, en: "A city's entities per district"}
// description: >
//   How many of one city's chain entities and enterprises (optionally of one cluster and one stage) the graph
//   places in each of its districts (one district per entity: the lowest code when ties name several; null when
//   only the city is known), and how many of them have coordinates. The map page's district counts, whole at any
//   size; city_district_entities lists the entities themselves.
// params:
//   city: {type: string, default: 深圳市, help: "city name (广州市 or 广州) or 6-digit admin code"}
//   cluster: {type: string, default: all, help: "cluster code or name, or all"}
//   stage: {type: string, default: all, help: "a stage key (basic_research …), industry, or all"}
// stage: all
// kind: table
// ordered: true
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city
MATCH (e)-[:LOCATED_IN]->(place)
WHERE (place.id = city.id OR EXISTS { MATCH (place)-[:PART_OF]->(city) })
  AND (e.chain_stage IS NOT NULL OR ckg_label(e) = 'Enterprise')
  AND ($stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage)
  AND ($cluster = 'all' OR EXISTS {
        MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster })
WITH e, min(CASE WHEN ckg_label(place) = 'District' THEN place.admin_code ELSE NULL END) AS district_code
RETURN district_code, e.latitude IS NOT NULL AND e.longitude IS NOT NULL AS with_coordinates, count(*) AS entities
ORDER BY district_code, with_coordinates
