// name: dq_orphans
// title: {zh: 孤立节点, en: Orphan nodes}
// description: >
//   Entities with no relationship at all, by class (source lists excluded; counts kept by every write to the
//   graph, graph/quality_tallies.py: no scan).
// stage: quality
// kind: table
// ordered: true
MATCH (t:Tally)
WHERE t.tally_kind = 'orphans'
RETURN t.tally_class AS class, t.tally_count AS orphans, t.tally_examples AS examples
ORDER BY class
