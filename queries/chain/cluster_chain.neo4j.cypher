// Neo4j: the cluster's members are read once and counted per stage, then matched to the five stages (the main
// body expands every member once per stage, 5× the work on a cluster of 300,000). Same answer, also when the
// parameter names no cluster (no row) or more than one (counted together).
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
OPTIONAL MATCH (e)-[r:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE e.chain_stage IS NOT NULL AND (NOT $sourced_only OR NOT coalesce(r.derived, false))
WITH e.chain_stage AS key, count(DISTINCT e) AS entities,
     count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END) AS sourced
WITH collect({key: key, entities: entities, sourced: sourced}) AS counts, count(*) AS groups
WHERE groups > 0
MATCH (s:ChainStage)
WITH s, replace(s.id, 'stage/', '') AS stage, counts
WITH s, stage, [x IN counts WHERE x.key = stage] AS hit
RETURN s.stage_order AS stage_order, stage, coalesce(hit[0].entities, 0) AS entities,
       coalesce(hit[0].sourced, 0) AS sourced
ORDER BY stage_order
