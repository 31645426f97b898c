// LadybugDB walks repeat relationships unless told otherwise: TRAIL keeps Neo4j's semantics.
MATCH p = (a)-[* TRAIL 1..3]-(b)
WHERE a.id = $id AND length(p) <= $hops AND b.id <> $id
WITH b, min(length(p)) AS distance
RETURN b.id AS id, label(b) AS class, b.name_zh AS name_zh, b.name_en AS name_en, distance
ORDER BY distance, id
LIMIT $limit
