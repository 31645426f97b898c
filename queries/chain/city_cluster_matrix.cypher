// name: city_cluster_matrix
// title: {zh: 城市×集群矩阵, en: City-by-cluster matrix}
// description: For each city and cluster, how many entities of the cluster are located in the city.
// stage: all
// kind: table
// ordered: true
MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
MATCH (e)-[:LOCATED_IN]->(city:City)
RETURN city.name_zh AS city, city.admin_code AS admin_code, c.cluster_code AS cluster, count(DISTINCT e) AS entities
ORDER BY admin_code, cluster
