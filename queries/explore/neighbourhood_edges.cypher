// name: neighbourhood_edges
// title: {zh: 邻域内的关系, en: "The relationships around an entity"}
// description: Every relationship of an entity and of the entities within radius steps of it (0, 1 or 2),
//   walking through no hub (the classes in stops); a hub is reached but its own relationships are not read.
//   The bounded graph in which the next-shortest paths between two entities are looked for.
// params:
//   id: {type: string, required: true, help: "主体的标识 / the entity's id"}
//   radius: {type: int, default: 1, help: "0、1 或 2 / 0, 1 or 2"}
//   stops: {type: list, default: [City, District, Park, IndustryCluster, IndustryCategory, ChainStage, GovernmentAgency, PolicyDocument, PolicyMeasure, PolicyTarget, SourceList, Edition, IngestRun], help: "不穿过的类别（枢纽） / classes not walked through (hubs)"}
// stage: explore
// kind: table
MATCH (m:Entity {id: $id})-[r]-(o)  // Neo4j's text: one seek on the Entity id index (a node without it is not explored)
RETURN m.id AS from_id, o.id AS to_id, type(r) AS relationship, ckg_label(o) AS to_class, o.name_zh AS to_name
UNION ALL
MATCH (a:Entity {id: $id})  // Neo4j's text (LadybugDB has its own): one seek on the Entity id index, not a scan of every node
MATCH p = ANY SHORTEST (a)(()--(n) WHERE none(l IN labels(n) WHERE l IN $stops)){1,2}(m)
WHERE length(p) <= $radius AND m.id <> $id
MATCH (m)-[r]-(o)
RETURN m.id AS from_id, o.id AS to_id, type(r) AS relationship, ckg_label(o) AS to_class, o.name_zh AS to_name
