// LadybugDB's collect() does not keep an ORDER BY's order: the set of departments is sorted with list_sort.
MATCH (d:PolicyDocument)-[:HAS_MEASURE]->(m:PolicyMeasure)-[:HAS_TARGET]->(t:PolicyTarget)
OPTIONAL MATCH (a:GovernmentAgency)-[r:RESPONSIBLE_FOR]->(m)
WHERE r.role = '按职责分工负责'
RETURN d.doc_number AS document, m.measure_no AS measure, t.metric AS metric, t.target_value AS value, t.unit AS unit,
       t.deadline_year AS deadline, t.scope AS scope, list_sort(collect(DISTINCT a.name_zh)) AS departments
ORDER BY measure, metric
