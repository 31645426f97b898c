// name: cluster_key_products
// title: {zh: 三单一图：重点产品清单, en: "Key-product list (三单一图)"}
// description: >
//   Key products of a cluster: products of its enterprises where known, else the enterprise's listed
//   industry as the nearest sourced hint (no official key-product list is loaded yet).
// params:
//   cluster: {type: string, default: E01, help: "集群代码或名称 / cluster code or name"}
// stage: achievement_transfer
// kind: table
// ordered: true
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (e:Enterprise)-[:IN_CLUSTER]->(c)
OPTIONAL MATCH (e)-[:PRODUCES]->(p:Product)
// sorted and cut (catalog.py: $row_cap) before the other columns are read: a large cluster has 300,000 enterprises
WITH e, p, e.name_zh AS enterprise, p.name_zh AS product
ORDER BY enterprise, product LIMIT $row_cap
RETURN enterprise, product, e.listed_industry AS listed_industry, e.roles AS roles,
       e.stock_code AS stock_code, e.source_file AS source_file, e.source_row AS source_row
ORDER BY enterprise, product
