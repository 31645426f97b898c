// name: measure12_accelerator_coverage
// title: {zh: 措施12：国家高新区省级加速器覆盖, en: "Measure 12: provincial accelerators in national high-tech zones"}
// description: >
//   The 2025 target of measure 12: every national high-tech zone has a provincial accelerator. Each zone with
//   the accelerators located in it; without a complete accelerator list a missing one is 'unknown', not a gap.
// stage: policy
// kind: table
// ordered: true
MATCH (z:Park)
WHERE z.kind = 'high_tech_zone' AND z.level = 'national'
OPTIONAL MATCH (a:IncubationCarrier)-[:LOCATED_IN]->(z)
WHERE a.kind = 'accelerator'
WITH z, count(DISTINCT a) AS accelerators, collect(DISTINCT a.name_zh) AS named
OPTIONAL MATCH (l:SourceList {list_key: 'provincial_accelerators'})
OPTIONAL MATCH (z)-[:LOCATED_IN]->(city:City)
RETURN z.name_zh AS zone, city.name_zh AS city, accelerators, named AS accelerators_named,
       CASE WHEN accelerators > 0 THEN 'has an accelerator (level as sourced)' WHEN l IS NULL THEN 'unknown: no list of provincial accelerators loaded'
            WHEN l.complete THEN 'gap' ELSE 'unknown: list incomplete' END AS status,
       l.notes AS list_note
ORDER BY zone
