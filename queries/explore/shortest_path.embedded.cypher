// LadybugDB spells shortest paths as a recursive pattern and has no list comprehensions. Its SHORTEST filters
// every node after the first, the last included: the target is let through by its id.
MATCH (a)
WHERE a.id = $from_id
MATCH (b)
WHERE b.id = $to_id
MATCH p = (a)-[* SHORTEST 1..6 (r, n | WHERE n.id = $to_id OR NOT label(n) IN $stops)]-(b)
RETURN list_transform(nodes(p), n -> n.id) AS ids, list_transform(nodes(p), n -> n.name_zh) AS names,
       list_transform(rels(p), r -> label(r)) AS relationships, length(p) AS length
