// Hubs first (one step from the entity), then a breadth-first SHORTEST through non-hubs: each non-hub once at
// its distance, and the hubs next to those that can still take a step. LadybugDB's SHORTEST starts at one step
// and filters its last node too, so the entity's own hub neighbours are read apart. (Walking `* 1..3` with the
// same filter gives the same answer 5-20x slower; it enumerates every walk.)
MATCH (a)
WHERE a.id = $id
OPTIONAL MATCH (a)-[]-(h)
WHERE label(h) IN $stops AND h.id <> $id
WITH a, collect({id: h.id, class: label(h), name_zh: h.name_zh, name_en: h.name_en, d: 1}) AS hubs
OPTIONAL MATCH p = (a)-[* SHORTEST 1..3 (r, n | WHERE NOT label(n) IN $stops)]-(m)
WHERE length(p) <= $hops AND m.id <> $id
OPTIONAL MATCH (m)-[]-(b)
WHERE length(p) < $hops AND label(b) IN $stops AND b.id <> $id
WITH hubs, collect({id: m.id, class: label(m), name_zh: m.name_zh, name_en: m.name_en, d: length(p)})
     + collect({id: b.id, class: label(b), name_zh: b.name_zh, name_en: b.name_en, d: length(p) + 1}) AS found
UNWIND hubs + found AS x
WITH x.id AS id, x.class AS class, x.name_zh AS name_zh, x.name_en AS name_en, min(x.d) AS distance
WHERE id IS NOT NULL
RETURN id, class, name_zh, name_en, distance
ORDER BY distance, id
LIMIT $limit
