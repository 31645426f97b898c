// name: department_responsibilities
// title: {zh: 各部门负责的措施与目标, en: Measures and targets each department answers for}
// description: Each department named by the notice with the measures it is responsible for and their quantified 2025 targets.
// params:
//   department: {type: string, default: "", help: "部门简称或全称；留空为全部 / a department's short or full name; empty for all"}
// stage: policy
// kind: table
// ordered: true
MATCH (a:GovernmentAgency)-[r:RESPONSIBLE_FOR]->(m:PolicyMeasure)
WHERE $department = '' OR a.name_zh = $department OR a.full_name_zh = $department
OPTIONAL MATCH (m)-[:HAS_TARGET]->(t:PolicyTarget)
RETURN a.name_zh AS department, m.measure_no AS measure, r.role AS role, t.metric AS target_metric,
       t.target_value AS target_value, t.unit AS unit, t.deadline_year AS deadline
ORDER BY department, measure, target_metric
