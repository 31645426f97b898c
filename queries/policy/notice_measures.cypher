// name: notice_measures
// title: {zh: 通知的20项措施, en: The notice's 20 measures}
// description: The measures of 粤科函高字〔2022〕895号 in order, with their section, text and number of responsible departments.
// stage: policy
// kind: table
// ordered: true
MATCH (d:PolicyDocument)-[:HAS_MEASURE]->(m:PolicyMeasure)
OPTIONAL MATCH (a:GovernmentAgency)-[r:RESPONSIBLE_FOR]->(m)
WHERE r.role = '按职责分工负责'
RETURN m.measure_no AS measure, m.section AS section, m.text AS text, count(DISTINCT a) AS departments
ORDER BY measure
