// name: projects_led_in_guangdong
// title: {zh: 广东牵头的国家重点研发计划项目, en: National key R&D projects led from Guangdong}
// description: Projects of the 2018–2020 national key R&D programme whose lead institution is located in a Guangdong city.
// stage: technology_breakthrough
// kind: table
// ordered: true
MATCH (o)-[:LEADS_PROJECT]->(p:Project)
MATCH (o)-[:LOCATED_IN]->(city:City)
// sorted and cut (catalog.py: $row_cap) before the projects' and leaders' properties are read
WITH o, p, city ORDER BY p.project_no LIMIT $row_cap
RETURN p.project_no AS project_no, p.name_zh AS title, p.year AS year, p.programme AS programme,
       o.name_zh AS lead_institution, city.name_zh AS city, p.funds_wan_cny AS funds_wan_cny
ORDER BY project_no
