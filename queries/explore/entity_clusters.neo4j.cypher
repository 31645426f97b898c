// Neo4j: the Entity label's unique index finds the node in one seek (graph/neo4j_entity.py); no label scan.
MATCH (e:Entity {id: $id})-[r:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
RETURN c.cluster_code AS cluster, c.name_zh AS cluster_zh, c.name_en AS cluster_en,
       CASE WHEN coalesce(r.derived, false) THEN 'inferred' ELSE 'sourced' END AS tie, r.rule AS rule,
       r.evidence AS evidence, r.confidence AS confidence, r.source_file AS source_file, r.source_row AS source_row,
       r.source_refs AS source_refs
ORDER BY cluster
