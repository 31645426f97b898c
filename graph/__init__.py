"""The graph layer: the model derived from ontology.ttl and the stores that hold it."""
