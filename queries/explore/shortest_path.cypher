// name: shortest_path
// title: {zh: 两实体间最短路径, en: Shortest path between two entities}
// description: One shortest chain of relationships (any direction, at most 6) between two entities that passes
//   through no hub (the classes in stops — a city, a cluster, a stage …); either end may be one.
// params:
//   from_id: {type: string, required: true, help: "第一个主体的标识 / the first entity's id"}
//   to_id: {type: string, required: true, help: "第二个主体的标识 / the second entity's id"}
//   stops: {type: list, default: [City, District, Park, IndustryCluster, IndustryCategory, ChainStage, GovernmentAgency, PolicyDocument, PolicyMeasure, PolicyTarget, SourceList, Edition, IngestRun], help: "路径可以止于、但不能穿过的类别（枢纽） / classes a path may end at but not pass through (hubs)"}
// stage: explore
// kind: graph
// parity_columns: [length]
MATCH (a:Entity {id: $from_id}), (b:Entity {id: $to_id})  // Neo4j's text: seeks on the Entity id index
MATCH p = ANY SHORTEST (a)(()--(n) WHERE n.id = $to_id OR none(l IN labels(n) WHERE l IN $stops)){1,6}(b)
RETURN [n IN nodes(p) | n.id] AS ids, [n IN nodes(p) | n.name_zh] AS names, [r IN relationships(p) | type(r)] AS relationships, length(p) AS length
