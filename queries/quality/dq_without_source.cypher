// name: dq_without_source
// title: {zh: 缺少来源的事实, en: Facts without a source}
// description: >
//   Entities that cannot say which file they came from (should be none) or cite no URL, by class (counts kept by
//   every write to the graph, graph/quality_tallies.py: no scan).
// stage: quality
// kind: table
// ordered: true
MATCH (t:Tally)
WHERE t.tally_kind IN ['without_file', 'without_url']
RETURN t.tally_class AS class, sum(CASE WHEN t.tally_kind = 'without_file' THEN t.tally_count ELSE 0 END) AS without_file,
       sum(CASE WHEN t.tally_kind = 'without_url' THEN t.tally_count ELSE 0 END) AS without_cited_url
ORDER BY class
