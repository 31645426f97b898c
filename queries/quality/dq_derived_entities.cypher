// name: dq_derived_entities
// title: {zh: 由引用新建的实体, en: Entities created from references}
// description: >
//   Entities that no list names but a row refers to (a lab's host, a project's lead institution), created with
//   a class read from the name — worth a curator's look.
// params:
//   limit: {type: int, default: 500, help: "最多这么多个 / at most this many"}
// stage: quality
// kind: table
// ordered: true
MATCH (n)
WHERE n.confidence = 'derived'
RETURN ckg_label(n) AS class, n.name_zh AS name_zh, n.source_file AS referenced_in, n.source_row AS row
ORDER BY class, name_zh
LIMIT $limit
