// name: entity_details
// title: {zh: 实体详情与来源, en: An entity with its sources}
// description: One entity's properties, with the files and rows it came from.
// params:
//   id: {type: string, required: true, help: "主体的标识，如 city/441900 / the entity's id, e.g. city/441900"}
// stage: explore
// kind: graph
MATCH (n)
WHERE n.id = $id
RETURN n AS entity, ckg_label(n) AS class, n.source_refs AS sources, n.source_url AS cited_source
