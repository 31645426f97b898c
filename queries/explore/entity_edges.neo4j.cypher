// Neo4j: the Entity label's unique index finds the node in one seek (graph/neo4j_entity.py); no label scan.
MATCH (a:Entity {id: $id})-[r]->(b)
RETURN ckg_type(r) AS relationship, 'out' AS direction, b.id AS other_id, ckg_label(b) AS other_class,
       b.name_zh AS other_name, r.source_file AS source_file, r.source_row AS source_row
UNION ALL
MATCH (a:Entity {id: $id})<-[r]-(b)
RETURN ckg_type(r) AS relationship, 'in' AS direction, b.id AS other_id, ckg_label(b) AS other_class,
       b.name_zh AS other_name, r.source_file AS source_file, r.source_row AS source_row
