// name: dq_orphans
// title: {zh: 孤立节点, en: Orphan nodes}
// description: Entities with no relationship at all, by class (ingest runs and the GB/T 4754 sections excluded).
// stage: quality
// kind: table
// ordered: true
MATCH (n)
WHERE NOT EXISTS { MATCH (n)-[]-() } AND NOT ckg_label(n) IN ['IngestRun', 'Edition', 'Tally', 'SourceList']
WITH n ORDER BY n.id SKIP 0
RETURN ckg_label(n) AS class, count(n) AS orphans, collect(n.name_zh)[0..5] AS examples
ORDER BY class
