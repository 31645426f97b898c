// name: city_cluster_matrix
// title: {zh: 城市×集群矩阵, en: City-by-cluster matrix}
// description: >
//   For each city and cluster, how many entities of the cluster are located in the city
//   (counts kept by every write to the graph, graph/aggregates.py: no scan).
// stage: all
// kind: table
// ordered: true
MATCH (t:Tally)
WHERE t.tally_kind = 'city_cluster'
MATCH (city:City {id: t.tally_city})
MATCH (c:IndustryCluster {id: t.tally_cluster})
RETURN city.name_zh AS city, city.admin_code AS admin_code, c.cluster_code AS cluster, t.tally_count AS entities
ORDER BY admin_code, cluster
