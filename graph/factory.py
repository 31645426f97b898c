"""Open the store the settings ask for: Neo4j when NEO4J_URI is set, the embedded store otherwise."""

from __future__ import annotations

from graph.schema import Schema, default_schema
from graph.settings import Settings
from graph.store import GraphStore, ReadLimits


def open_store(
    settings: Settings | None = None, *, schema: Schema | None = None, read_only: bool = False
) -> GraphStore:
    settings = settings or Settings.from_env()
    schema = schema or default_schema()
    if settings.backend == "neo4j":
        from graph.neo4j_store import Neo4jStore

        return Neo4jStore.from_settings(settings, schema)
    from graph.embedded_store import EmbeddedStore

    return EmbeddedStore(
        settings.embedded_path,
        schema,
        read_only=read_only,
        buffer_pool_mb=settings.buffer_pool_mb or 1024,
        read_limits=ReadLimits.from_settings(settings),
    )
