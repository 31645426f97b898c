// name: dq_low_confidence
// title: {zh: 低置信度事实, en: Low-confidence facts}
// description: Entities whose source rates them below 'high' (medium, unverified, derived from a reference), by class and confidence.
// stage: quality
// kind: table
// ordered: true
MATCH (n)
WHERE n.confidence IS NOT NULL AND n.confidence <> 'high'
WITH n ORDER BY n.id SKIP 0
RETURN ckg_label(n) AS class, n.confidence AS confidence, count(n) AS entities, collect(n.name_zh)[0..5] AS examples
ORDER BY class, confidence
