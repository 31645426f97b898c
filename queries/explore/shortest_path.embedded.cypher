// LadybugDB spells shortest paths as a recursive pattern and has no list comprehensions.
MATCH (a {id: $from_id})
MATCH (b {id: $to_id})
MATCH p = (a)-[* SHORTEST 1..6]-(b)
RETURN list_transform(nodes(p), n -> n.id) AS ids, list_transform(nodes(p), n -> n.name_zh) AS names,
       list_transform(rels(p), r -> label(r)) AS relationships, length(p) AS length
