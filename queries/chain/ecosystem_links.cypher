// name: ecosystem_links
// title: {zh: 主体间联系（分析用）, en: Links between entities (for analytics)}
// description: >
//   Every non-structural relationship between two entities that have a stage or are enterprises, with both
//   ends' stage — the edges of the chain analytics.
// stage: all
// kind: graph
MATCH (a)-[r:ADMINISTERED_BY|DEVELOPS|FUNDED_BY|HOSTED_BY|INCUBATED_BY|INVESTS_IN|LEADS_PROJECT|LED_BY|MANAGED_BY|OPERATED_BY|PRODUCES|RESEARCHES|SUPPORTS_TALENT|TARGETS_TECHNOLOGY|TRAINS|TRANSFERS_TO]->(b)
// The ontology's non-structural relationships, named (tests/test_queries.py checks the list against ontology.ttl):
// each store then reads those types alone, where "every relationship but the structural ones" read all 3.5 million
// at a million nodes (4× faster on Neo4j, 3× on the embedded store).
WITH a, r, b,
     CASE WHEN ckg_label(a) = 'Enterprise' THEN 'industry' ELSE a.chain_stage END AS from_stage,
     CASE WHEN ckg_label(b) = 'Enterprise' THEN 'industry' ELSE b.chain_stage END AS to_stage
WHERE from_stage IS NOT NULL AND to_stage IS NOT NULL
RETURN a.id AS from_id, a.name_zh AS from_name, b.id AS to_id, b.name_zh AS to_name, ckg_type(r) AS relationship,
       from_stage, to_stage
// a page's read stops at the row cap: the database stops there too (catalog.py: $row_cap); whole pulls have no cap
LIMIT $row_cap
