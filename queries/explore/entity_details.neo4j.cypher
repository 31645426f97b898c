// Neo4j: the Entity label's unique index finds the node in one seek (graph/neo4j_entity.py); no label scan.
MATCH (n:Entity {id: $id})
RETURN n AS entity, ckg_label(n) AS class, n.source_refs AS sources, n.source_url AS cited_source
