// name: dq_without_source
// title: {zh: 缺少来源的事实, en: Facts without a source}
// description: Entities and relationships that cannot say which file they came from (should be none) or cite no URL.
// stage: quality
// kind: table
// ordered: true
MATCH (n)
WHERE NOT ckg_label(n) IN ['IngestRun', 'Edition', 'Tally'] AND (n.source_file IS NULL OR n.source_url IS NULL)
RETURN ckg_label(n) AS class, sum(CASE WHEN n.source_file IS NULL THEN 1 ELSE 0 END) AS without_file,
       sum(CASE WHEN n.source_url IS NULL THEN 1 ELSE 0 END) AS without_cited_url
ORDER BY class
