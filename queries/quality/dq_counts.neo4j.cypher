// Neo4j keeps a count per label (its count store): one count per class, each answered without reading a node,
// where the main body reads every node for its labels (0.2 s at a million nodes). Every class of the schema,
// bookkeeping included, is listed (tests/test_queries.py checks the list against ontology.ttl); empty ones
// are dropped as the main body never shows them.
CALL () {
  MATCH (n:ChainStage) RETURN 'ChainStage' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:City) RETURN 'City' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:District) RETURN 'District' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Edition) RETURN 'Edition' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Enterprise) RETURN 'Enterprise' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Fund) RETURN 'Fund' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:GovernmentAgency) RETURN 'GovernmentAgency' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:IncubationCarrier) RETURN 'IncubationCarrier' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:IndustryCategory) RETURN 'IndustryCategory' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:IndustryCluster) RETURN 'IndustryCluster' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:IngestRun) RETURN 'IngestRun' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:InnovationCenter) RETURN 'InnovationCenter' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Laboratory) RETURN 'Laboratory' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Park) RETURN 'Park' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:PolicyDocument) RETURN 'PolicyDocument' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:PolicyMeasure) RETURN 'PolicyMeasure' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:PolicyTarget) RETURN 'PolicyTarget' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Product) RETURN 'Product' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Project) RETURN 'Project' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:ResearchInfrastructure) RETURN 'ResearchInfrastructure' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:ResearchInstitution) RETURN 'ResearchInstitution' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:SourceList) RETURN 'SourceList' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:TalentProgramme) RETURN 'TalentProgramme' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Tally) RETURN 'Tally' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:Technology) RETURN 'Technology' AS class, count(n) AS nodes
  UNION ALL
  MATCH (n:University) RETURN 'University' AS class, count(n) AS nodes
}
WITH class, nodes
WHERE nodes > 0
RETURN class, nodes
ORDER BY class
