// Neo4j: from the index on the Entity label's confidence (graph/neo4j_entity.py), not a scan of every node. Only
// fact nodes carry a confidence, and every fact node carries Entity: the same answer as the main body.
MATCH (n:Entity)
WHERE n.confidence = 'derived'
RETURN ckg_label(n) AS class, n.name_zh AS name_zh, n.source_file AS referenced_in, n.source_row AS row
ORDER BY class, name_zh
LIMIT $limit
