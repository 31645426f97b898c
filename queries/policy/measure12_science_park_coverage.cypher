// name: measure12_science_park_coverage
// title: {zh: 措施12：高水平大学省级大学科技园覆盖, en: "Measure 12: university science parks at high-level universities"}
// description: >
//   The 2025 target of measure 12: every high-level university in Guangdong has a provincial (or national)
//   university science park. Each listed university with the parks it operates.
// stage: policy
// kind: table
// ordered: true
MATCH (u:University)
WHERE any(d IN u.designations WHERE d CONTAINS '高水平')
OPTIONAL MATCH (p:IncubationCarrier)-[:OPERATED_BY]->(u)
WHERE p.kind CONTAINS 'university_science_park'
WITH u, count(DISTINCT p) AS parks, collect(DISTINCT p.name_zh) AS named
OPTIONAL MATCH (l:SourceList {list_key: 'university_science_parks'})
RETURN u.name_zh AS university, parks, named AS parks_named,
       CASE WHEN parks > 0 THEN 'covered' WHEN l IS NULL THEN 'unknown: no list loaded'
            WHEN l.complete THEN 'gap' ELSE 'unknown: list incomplete' END AS status,
       l.stated_total AS parks_stated_total, l.notes AS list_note
ORDER BY university
