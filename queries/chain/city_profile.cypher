// name: city_profile
// title: {zh: 城市画像, en: "A city's profile"}
// description: >
//   A city's entities by class and stage (districts included), the basis of comparing cities.
//   Whole at any size: counts kept by every write to the graph (graph/city_class_tallies.py: no scan).
// params:
//   city: {type: string, default: 东莞市, help: "城市名（广州市或广州）或六位行政区划代码 / city name (广州市 or 广州) or 6-digit admin code"}
// stage: all
// kind: table
// ordered: true
MATCH (city:City)
WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city OR city.name_en = $city
MATCH (t:Tally)
WHERE t.tally_kind = 'city_class' AND t.tally_city = city.id
RETURN city.name_zh AS city, t.tally_stage AS stage, t.tally_class AS class, sum(t.tally_count) AS entities
ORDER BY stage, class
