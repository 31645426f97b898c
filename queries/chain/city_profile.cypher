// name: city_profile
// title: {zh: 城市画像, en: "A city's profile"}
// description: A city's entities by class and stage (districts included), the basis of comparing cities.
// params:
//   city: {type: string, default: 东莞市, help: "city name (广州市 or 广州) or 6-digit admin code"}
// stage: all
// kind: table
// ordered: true
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city OR city.name_en = $city
MATCH (e)-[:LOCATED_IN]->(place)
WHERE place.id = city.id OR EXISTS { MATCH (place)-[:PART_OF]->(city) }
RETURN city.name_zh AS city,
       CASE WHEN ckg_label(e) = 'Enterprise' THEN 'industry' ELSE coalesce(e.chain_stage, 'other') END AS stage,
       ckg_label(e) AS class, count(DISTINCT e) AS entities
ORDER BY stage, class
