// name: dq_counts
// title: {zh: 各类节点数量, en: Nodes per class}
// description: How many nodes of each class the graph holds.
// stage: quality
// kind: table
// ordered: true
MATCH (n)
RETURN ckg_label(n) AS class, count(n) AS nodes
ORDER BY class
