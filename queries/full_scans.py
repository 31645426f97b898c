"""What the tallied queries (city_cluster_matrix, stage_map, cluster_list, city_district_counts,
entities_without_city_count, cluster_chain, cluster_chain_classes, cluster_chain_links, city_profile, and the quality
page's dq_low_confidence, dq_orphans, dq_without_source) computed before the counts were maintained: full scans of the
graph, kept as the definition the maintained counts must meet. The tests check the queries against them on every
kind of write; bench/queries_aggregates.py times them side by side."""

FULL_SCANS = {
    "city_cluster_matrix": """
        MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
        MATCH (e)-[:LOCATED_IN]->(city:City)
        RETURN city.name_zh AS city, city.admin_code AS admin_code, c.cluster_code AS cluster,
               count(DISTINCT e) AS entities
        ORDER BY admin_code, cluster""",
    "stage_map": """
        MATCH (city:City)
        OPTIONAL MATCH (e)-[:LOCATED_IN]->(city)
        WITH city, e, CASE WHEN e IS NULL THEN NULL WHEN ckg_label(e) = 'Enterprise' THEN 'industry'
                      ELSE e.chain_stage END AS stage
        RETURN city.admin_code AS admin_code, city.name_zh AS city,
               count(DISTINCT CASE WHEN stage IS NOT NULL AND ($stage = 'all' OR stage = $stage) THEN e.id
                              ELSE NULL END) AS entities
        ORDER BY admin_code""",
    "cluster_list": """
        MATCH (c:IndustryCluster)
        OPTIONAL MATCH (e:Enterprise)-[:IN_CLUSTER]->(c)
        WITH c, count(DISTINCT e) AS enterprises
        OPTIONAL MATCH (s)-[:SERVES_CLUSTER]->(c)
        WITH c, enterprises, count(DISTINCT s) AS serving
        OPTIONAL MATCH (a:GovernmentAgency)-[:LEADS_CLUSTER]->(c)
        RETURN c.cluster_code AS code, c.name_zh AS name_zh, c.name_en AS name_en, c.kind AS kind,
               a.name_zh AS lead_department, enterprises, serving AS serving_entities
        ORDER BY code""",
    "city_district_counts": """
        MATCH (city:City)
        WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city
        MATCH (e)-[:LOCATED_IN]->(place)
        WHERE (place.id = city.id OR EXISTS { MATCH (place)-[:PART_OF]->(city) })
          AND (e.chain_stage IS NOT NULL OR ckg_label(e) = 'Enterprise')
          AND ($stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage)
          AND ($cluster = 'all' OR EXISTS {
                MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
                WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster })
        WITH e, min(CASE WHEN ckg_label(place) = 'District' THEN place.admin_code ELSE NULL END) AS district_code
        RETURN district_code, e.latitude IS NOT NULL AND e.longitude IS NOT NULL AS with_coordinates,
               count(*) AS entities
        ORDER BY district_code, with_coordinates""",
    "entities_without_city_count": """
        MATCH (e)
        WHERE (e.chain_stage IS NOT NULL OR ckg_label(e) = 'Enterprise')
          AND ($stage = 'all' OR coalesce(e.chain_stage, 'industry') = $stage)
          AND ($cluster = 'all' OR EXISTS {
                MATCH (e)-[:SERVES_CLUSTER|IN_CLUSTER]->(c:IndustryCluster)
                WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster })
          AND NOT EXISTS { MATCH (e)-[:LOCATED_IN]->(:City) }
        RETURN count(*) AS entities""",
    "cluster_chain": """
        MATCH (c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
        MATCH (s:ChainStage)
        OPTIONAL MATCH (e)-[r:SERVES_CLUSTER|IN_CLUSTER]->(c)
        WHERE e.chain_stage = replace(s.id, 'stage/', '') AND (NOT $sourced_only OR NOT coalesce(r.derived, false))
        RETURN s.stage_order AS stage_order, replace(s.id, 'stage/', '') AS stage, count(DISTINCT e) AS entities,
               count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END) AS sourced
        ORDER BY stage_order""",
    "cluster_chain_classes": """
        MATCH (c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
        MATCH (e)-[r:SERVES_CLUSTER|IN_CLUSTER]->(c)
        WHERE NOT $sourced_only OR NOT coalesce(r.derived, false)
        WITH coalesce(e.chain_stage, 'industry') AS stage, ckg_label(e) AS class, count(DISTINCT e) AS entities,
             count(DISTINCT CASE WHEN coalesce(r.derived, false) THEN NULL ELSE e.id END) AS sourced
        OPTIONAL MATCH (s:ChainStage {id: 'stage/' + stage})
        RETURN coalesce(s.stage_order, 6) AS stage_order, stage, class, entities, sourced
        ORDER BY stage_order, class""",
    "cluster_chain_links": """
        MATCH (c:IndustryCluster)
        WHERE c.cluster_code = $cluster OR c.name_zh = $cluster OR c.name_en = $cluster
        MATCH (a)-[:SERVES_CLUSTER|IN_CLUSTER]->(c)
        // OPTIONAL and then filtered: LadybugDB 0.22 drops rows from a plain MATCH of every relationship table after
        // this join at a million nodes (E01 at scale 150: 196,808 of 412,718 ties; OPTIONAL and typed matches agree)
        OPTIONAL MATCH (a)-[r]->(b)
        WITH a, r, b
        WHERE r IS NOT NULL
          AND NOT ckg_type(r) IN ['LOCATED_IN', 'SERVES_CLUSTER', 'IN_CLUSTER', 'PART_OF', 'IN_INDUSTRY']
        RETURN coalesce(a.chain_stage, 'industry') AS from_stage, ckg_type(r) AS relationship,
               coalesce(b.chain_stage, CASE WHEN ckg_label(b) = 'Enterprise' THEN 'industry' ELSE 'none' END)
                 AS to_stage,
               count(*) AS links
        ORDER BY from_stage, relationship, to_stage""",
    "city_profile": """
        MATCH (city:City)
        WHERE city.name_zh = $city OR city.name_zh = $city + '市' OR city.admin_code = $city OR city.name_en = $city
        MATCH (e)-[:LOCATED_IN]->(place)
        WHERE place.id = city.id OR EXISTS { MATCH (place)-[:PART_OF]->(city) }
        RETURN city.name_zh AS city,
               CASE WHEN ckg_label(e) = 'Enterprise' THEN 'industry' ELSE coalesce(e.chain_stage, 'other') END AS stage,
               ckg_label(e) AS class, count(DISTINCT e) AS entities
        ORDER BY stage, class""",
    "dq_low_confidence": """
        MATCH (n)
        WHERE n.confidence IS NOT NULL AND n.confidence <> 'high'
        WITH n ORDER BY n.id SKIP 0
        RETURN ckg_label(n) AS class, n.confidence AS confidence, count(n) AS entities,
               collect(n.name_zh)[0..5] AS examples
        ORDER BY class, confidence""",
    "dq_orphans": """
        MATCH (n)
        WHERE NOT EXISTS { MATCH (n)-[]-() } AND NOT ckg_label(n) IN ['IngestRun', 'Edition', 'Tally', 'SourceList']
        WITH n ORDER BY n.id SKIP 0
        RETURN ckg_label(n) AS class, count(n) AS orphans, collect(n.name_zh)[0..5] AS examples
        ORDER BY class""",
    "dq_without_source": """
        MATCH (n)
        WHERE NOT ckg_label(n) IN ['IngestRun', 'Edition', 'Tally'] AND (n.source_file IS NULL OR n.source_url IS NULL)
        RETURN ckg_label(n) AS class, sum(CASE WHEN n.source_file IS NULL THEN 1 ELSE 0 END) AS without_file,
               sum(CASE WHEN n.source_url IS NULL THEN 1 ELSE 0 END) AS without_cited_url
        ORDER BY class""",
}
