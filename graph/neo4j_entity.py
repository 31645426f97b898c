"""The ``Entity`` label on Neo4j, and the full-text index of entity names that rides on it.

Every node of a fact class (below ckg:Entity in the ontology) also carries the label ``Entity``, with a
unique constraint on ``id``: a lookup by id that does not know the class (``MATCH (n:Entity {id: $id})``) is
then one index seek instead of a scan of every label. The class label stays the node's identity: exports,
RDF, digests and editions read classes from the schema (``MATCH (n:Enterprise)``), never ``labels(n)``
wholesale, and ``class_label`` below is how a query or the driver's node conversion skips ``Entity``.

The full-text index ``ckg_entity_names`` (Lucene, the ``cjk`` analyzer: overlapping bigrams of Chinese text,
lower-cased words of Latin text) covers the names ``search_entities`` matches; queries/search.py turns the
user's text into a Lucene query that finds a superset of the matches, then the exact test runs on those.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.schema import Schema

ENTITY = "Entity"
NAME_INDEX = "ckg_entity_names"
NAME_PROPERTIES = ("name_zh", "name_en", "aliases")
NAME_ANALYZER = "cjk"
BACKFILL_BATCH = 50_000


def entity_labels(schema: Schema) -> frozenset[str]:
    return frozenset(c.name for c in schema.entity_classes)


def class_label(labels: Iterable[str]) -> str | None:
    """A node's class among its labels (``Entity`` is the lookup label every fact node also has)."""
    for label in labels:
        if label != ENTITY:
            return label
    return None


def schema_statements() -> list[str]:
    props = ", ".join(f"n.{p}" for p in NAME_PROPERTIES)
    return [
        f"CREATE CONSTRAINT ckg_{ENTITY}_id IF NOT EXISTS FOR (n:{ENTITY}) REQUIRE n.id IS UNIQUE",
        # the quality page lists the entities created from references (dq_derived_entities): a seek, not a scan
        f"CREATE INDEX ckg_{ENTITY}_confidence IF NOT EXISTS FOR (n:{ENTITY}) ON (n.confidence)",
        f"CREATE FULLTEXT INDEX {NAME_INDEX} IF NOT EXISTS FOR (n:{ENTITY}) ON EACH [{props}] "
        f"OPTIONS {{indexConfig: {{`fulltext.analyzer`: '{NAME_ANALYZER}', `fulltext.eventually_consistent`: false}}}}",
    ]


def backfill_statement(label: str) -> str:
    """Label nodes loaded before the Entity label existed, a batch per run (a hub's class is large)."""
    return f"MATCH (n:{label}) WHERE NOT n:{ENTITY} WITH n LIMIT $batch SET n:{ENTITY} RETURN count(n) AS n"
