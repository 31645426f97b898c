// LadybugDB's SHORTEST starts at one step and filters its last node too (only non-hubs are expanded). The far end
// is told apart from the start as a node (m <> a; ids are unique): a test of m.id made LadybugDB 0.22 start the
// walk from every node instead, 20-35 s on the bundled data for a stage with six ties.
MATCH (m)
WHERE m.id = $id
MATCH (m)-[r]-(o)
RETURN m.id AS from_id, o.id AS to_id, label(r) AS relationship, label(o) AS to_class, o.name_zh AS to_name
UNION ALL
MATCH (a)
WHERE a.id = $id
MATCH p = (a)-[* SHORTEST 1..2 (r, n | WHERE NOT label(n) IN $stops)]-(m)
WHERE length(p) <= $radius AND m <> a
MATCH (m)-[r]-(o)
RETURN m.id AS from_id, o.id AS to_id, label(r) AS relationship, label(o) AS to_class, o.name_zh AS to_name
