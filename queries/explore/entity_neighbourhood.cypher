// name: entity_neighbourhood
// title: {zh: 实体邻域, en: "An entity's neighbourhood"}
// description: The entities within 1 to 3 relationships of one entity, nearest first, capped at limit. Hubs (a
//   city, a cluster, a chain stage, an industry category, an agency, a policy … — the classes in stops) appear in
//   the answer but the walk does not pass through them, so a hub's thousands of members are not everyone's
//   neighbours.
// params:
//   id: {type: string, required: true, help: "主体的标识 / the entity's id"}
//   hops: {type: int, default: 1, help: "1、2 或 3 / 1, 2 or 3"}
//   limit: {type: int, default: 200, help: "最多这么多个相邻节点 / at most this many neighbours"}
//   stops: {type: list, default: [City, District, Park, IndustryCluster, IndustryCategory, ChainStage, GovernmentAgency, PolicyDocument, PolicyMeasure, PolicyTarget, SourceList, Edition, IngestRun], help: "显示但不穿过的类别（枢纽） / classes shown but not walked through (hubs)"}
// stage: explore
// kind: graph
// ordered: true

// The nodes reachable through no hub (one shortest path each, a breadth-first search), then one more step.
MATCH (a:Entity {id: $id})  // Neo4j's text (LadybugDB has its own): one seek on the Entity id index, not a scan of every node
MATCH p = ANY SHORTEST (a)(()--(n) WHERE none(l IN labels(n) WHERE l IN $stops)){0,2}(m)
WHERE length(p) < $hops
MATCH (m)--(b)
WHERE b.id <> $id
WITH b, min(length(p)) + 1 AS distance
RETURN b.id AS id, ckg_label(b) AS class, b.name_zh AS name_zh, b.name_en AS name_en, distance
ORDER BY distance, id
LIMIT $limit
