// name: city_district_counts
// title: {zh: 城市各县区主体数, en: "A city's entities per district"}
// description: >
//   How many of one city's chain entities and enterprises (optionally of one cluster and one stage) the graph
//   places in each of its districts (one district per entity: the lowest code when ties name several; null when
//   only the city is known), and how many of them have coordinates. The map page's district counts, whole at any
//   size (counts kept by every write to the graph, graph/map_tallies.py: no scan); city_district_entities
//   lists the entities themselves.
// params:
//   city: {type: string, default: 深圳市, help: "城市名（广州市或广州）或六位行政区划代码 / city name (广州市 or 广州) or 6-digit admin code"}
//   cluster: {type: string, default: all, help: "集群代码或名称，或 all（全部） / cluster code or name, or all"}
//   stage: {type: string, default: all, help: "环节代码（basic_research 等）、industry，或 all（全部） / a stage key (basic_research …), industry, or all"}
// stage: all
// kind: table
// ordered: true
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city
OPTIONAL MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
WITH city, collect(c.id) AS clusters
MATCH (t:Tally)
WHERE t.tally_kind IN ['city_district', 'city_district_xy'] AND t.tally_city = city.id
  AND (($cluster = 'all' AND t.tally_cluster IS NULL) OR t.tally_cluster IN clusters)
  AND ($stage = 'all' OR t.tally_stage = $stage)
RETURN t.tally_detail AS district_code, t.tally_kind = 'city_district_xy' AS with_coordinates,
       sum(t.tally_count) AS entities
ORDER BY district_code, with_coordinates
