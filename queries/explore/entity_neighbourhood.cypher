// name: entity_neighbourhood
// title: {zh: 实体邻域, en: "An entity's neighbourhood"}
// description: The entities within 1 to 3 relationships of one entity (each reached once), nearest first, capped at limit.
// params:
//   id: {type: string, required: true, help: "the entity's id"}
//   hops: {type: int, default: 1, help: "1, 2 or 3"}
//   limit: {type: int, default: 200, help: "at most this many neighbours"}
// stage: explore
// kind: graph
// ordered: true
MATCH p = (a)-[*1..3]-(b)
WHERE a.id = $id AND length(p) <= $hops AND b.id <> $id
WITH b, min(length(p)) AS distance
RETURN b.id AS id, ckg_label(b) AS class, b.name_zh AS name_zh, b.name_en AS name_en, distance
ORDER BY distance, id
LIMIT $limit
