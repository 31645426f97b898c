// name: lab_hosts
// title: {zh: 实验室及其依托单位, en: Laboratories and their hosts}
// description: Every laboratory and infrastructure with the institutions hosting it and how the host was matched.
// stage: basic_research
// kind: table
// ordered: true
MATCH (l)-[r:HOSTED_BY]->(h)
RETURN ckg_label(l) AS class, l.name_zh AS name_zh, l.level AS level, h.name_zh AS host, ckg_label(h) AS host_class,
       r.match_rule AS match_rule, r.match_confidence AS match_confidence
ORDER BY class, name_zh, host
