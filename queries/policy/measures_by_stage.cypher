// name: measures_by_stage
// title: {zh: 各环节政策措施, en: Measures per chain stage}
// description: The notice's 20 measures grouped by the chain stage they address (ClusterKG's reading, data/policy/measure_stages.yaml).
// stage: policy
// kind: table
// ordered: true
MATCH (m:PolicyMeasure)-[:ADDRESSES_STAGE]->(s:ChainStage)
RETURN s.stage_order AS stage_order, s.name_zh AS stage, m.measure_no AS measure, m.section AS section
ORDER BY stage_order, measure
