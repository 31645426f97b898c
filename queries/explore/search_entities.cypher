// name: search_entities
// title: {zh: 按名称搜索, en: Search by name}
// description: Entities whose Chinese or English name (or alias) contains the text, case-insensitive, across all classes.
// params:
//   text: {type: string, required: true, help: "名称的一部分，中文或英文 / part of a name, Chinese or English"}
//   limit: {type: int, default: 50, help: "最多这么多个 / at most this many"}
// stage: explore
// kind: table
// ordered: true
WITH toLower($text) AS q
MATCH (n)
WHERE toLower(n.name_zh) CONTAINS q OR toLower(n.name_en) CONTAINS q
   OR any(a IN n.aliases WHERE toLower(a) CONTAINS q)
RETURN n.id AS id, ckg_label(n) AS class, n.name_zh AS name_zh, n.name_en AS name_en
ORDER BY size(n.name_zh), id
LIMIT $limit
