// LadybugDB's SHORTEST starts at one step and filters its last node too (only non-hubs are expanded).
MATCH (m)
WHERE m.id = $id
MATCH (m)-[r]-(o)
RETURN m.id AS from_id, o.id AS to_id, label(r) AS relationship, label(o) AS to_class, o.name_zh AS to_name
UNION ALL
MATCH (a)
WHERE a.id = $id
MATCH p = (a)-[* SHORTEST 1..2 (r, n | WHERE NOT label(n) IN $stops)]-(m)
WHERE length(p) <= $radius AND m.id <> $id
MATCH (m)-[r]-(o)
RETURN m.id AS from_id, o.id AS to_id, label(r) AS relationship, label(o) AS to_class, o.name_zh AS to_name
