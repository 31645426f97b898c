// name: policy_targets
// title: {zh: 2025年量化目标, en: The quantified 2025 targets}
// description: Every quantified target of the notice with its measure, scope and the departments responsible.
// stage: policy
// kind: table
// ordered: true
// The departments are a set: sorted (before collect, which keeps the order) so both stores answer alike.
MATCH (d:PolicyDocument)-[:HAS_MEASURE]->(m:PolicyMeasure)-[:HAS_TARGET]->(t:PolicyTarget)
OPTIONAL MATCH (a:GovernmentAgency)-[r:RESPONSIBLE_FOR]->(m)
WHERE r.role = '按职责分工负责'
WITH d, m, t, a ORDER BY a.name_zh
RETURN d.doc_number AS document, m.measure_no AS measure, t.metric AS metric, t.target_value AS value, t.unit AS unit,
       t.deadline_year AS deadline, t.scope AS scope, collect(DISTINCT a.name_zh) AS departments
ORDER BY measure, metric
