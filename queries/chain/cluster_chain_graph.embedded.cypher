// LadybugDB plans a filtered OPTIONAL MATCH or an EXISTS subquery as a hash join over every relationship table
// (≈ 0.15 s at a million nodes even for an empty cluster), and an unfiltered one as a walk from each member: the
// ties are walked unfiltered, then sorted out. Every member has at least its membership tie, so a member with no
// other tie still gets its one row (the struct of nulls). The members are cut at $row_cap before the walk: each
// member gives at least one row, so a cut answer still has more rows than the cap and is still reported cut. The
// members' own ties are cut at $row_cap rows too: a store reads no more (≈ 6 rows a member at a million nodes).
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (a)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH c, a LIMIT $row_cap
OPTIONAL MATCH (a)-[r]->(b)
WITH c, a, collect(CASE WHEN NOT ckg_type(r) IN ['LOCATED_IN', 'SERVES_CLUSTER', 'IN_CLUSTER', 'PART_OF', 'IN_INDUSTRY']
                        THEN {relationship: ckg_type(r), id: b.id, name: b.name_zh, class: ckg_label(b),
                              stage: coalesce(b.chain_stage, 'industry')}
                        ELSE NULL END) AS ties
UNWIND CASE WHEN size(ties) = 0
            THEN [{relationship: CAST(NULL AS STRING), id: CAST(NULL AS STRING), name: CAST(NULL AS STRING),
                   class: CAST(NULL AS STRING), stage: CAST(NULL AS STRING)}]
            ELSE ties END AS tie
RETURN a.id AS member_id, coalesce(a.id, '') AS from_id, a.name_zh AS from_name, ckg_label(a) AS from_class,
       coalesce(a.chain_stage, 'industry') AS from_stage, tie.relationship AS relationship, tie.id AS to_id,
       tie.name AS to_name, tie.class AS to_class, coalesce(tie.stage, 'industry') AS to_stage,
       c.id AS cluster_id, c.name_zh AS cluster_name
LIMIT $row_cap
UNION ALL
MATCH (c:IndustryCluster)
WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
MATCH (a)-[m:SERVES_CLUSTER|IN_CLUSTER]->(c)
WHERE NOT $sourced_only OR NOT coalesce(m.derived, false)
WITH c, a LIMIT $row_cap
OPTIONAL MATCH (a)<-[r]-(b)
WITH c, a, r, b
WHERE r IS NOT NULL AND NOT ckg_type(r) IN ['LOCATED_IN', 'SERVES_CLUSTER', 'IN_CLUSTER', 'PART_OF', 'IN_INDUSTRY']
// b is outside the cluster: none of its ties to c is a membership the toggle counts (b's ties are walked from b;
// a match that binds both ends is planned as a join over every member of c)
OPTIONAL MATCH (b)-[n]->(x)
WITH c, a, r, b, count(CASE WHEN id(x) = id(c) AND ckg_type(n) IN ['SERVES_CLUSTER', 'IN_CLUSTER']
                             AND (NOT $sourced_only OR NOT coalesce(n.derived, false)) THEN 1 ELSE NULL END) AS inside
WHERE inside = 0
RETURN a.id AS member_id, b.id AS from_id, b.name_zh AS from_name, ckg_label(b) AS from_class,
       coalesce(b.chain_stage, 'industry') AS from_stage, ckg_type(r) AS relationship, a.id AS to_id,
       a.name_zh AS to_name, ckg_label(a) AS to_class, coalesce(a.chain_stage, 'industry') AS to_stage,
       c.id AS cluster_id, c.name_zh AS cluster_name
