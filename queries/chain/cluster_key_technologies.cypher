// name: cluster_key_technologies
// title: {zh: 三单一图：关键技术清单, en: "Key-technology list (三单一图)"}
// description: >
//   Key technologies of a cluster: Technology nodes that serve it, and the research fields of the labs,
//   infrastructure and innovation centres that serve it (no official key-technology list is loaded yet).
// params:
//   cluster: {type: string, default: E01, help: "集群代码或名称 / cluster code or name"}
// stage: technology_breakthrough
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e)-[:SERVES_CLUSTER]->(c)
WHERE ckg_label(e) IN ['Technology', 'Laboratory', 'ResearchInfrastructure', 'InnovationCenter']
  AND (ckg_label(e) = 'Technology' OR e.field IS NOT NULL)
RETURN coalesce(e.field, e.name_zh) AS technology, ckg_label(e) AS from_class, e.name_zh AS from_entity,
       e.source_file AS source_file, e.source_row AS source_row, e.confidence AS confidence
ORDER BY technology, from_entity
