// name: entity_edges
// title: {zh: 实体的直接关系, en: "An entity's relationships"}
// description: Every relationship of one entity, in either direction, with the other end and the relationship's source.
// params:
//   id: {type: string, required: true, help: "主体的标识 / the entity's id"}
// stage: explore
// kind: graph
MATCH (a)-[r]->(b)
WHERE a.id = $id
RETURN ckg_type(r) AS relationship, 'out' AS direction, b.id AS other_id, ckg_label(b) AS other_class,
       b.name_zh AS other_name, r.source_file AS source_file, r.source_row AS source_row
UNION ALL
MATCH (a)<-[r]-(b)
WHERE a.id = $id
RETURN ckg_type(r) AS relationship, 'in' AS direction, b.id AS other_id, ckg_label(b) AS other_class,
       b.name_zh AS other_name, r.source_file AS source_file, r.source_row AS source_row
