// name: dq_low_confidence
// title: {zh: 低置信度事实, en: Low-confidence facts}
// description: >
//   Entities whose source rates them below 'high' (medium, unverified, derived from a reference), by class and
//   confidence (counts kept by every write to the graph, graph/quality_tallies.py: no scan).
// stage: quality
// kind: table
// ordered: true
MATCH (t:Tally)
WHERE t.tally_kind = 'low_confidence'
RETURN t.tally_class AS class, t.tally_detail AS confidence, t.tally_count AS entities, t.tally_examples AS examples
ORDER BY class, confidence
