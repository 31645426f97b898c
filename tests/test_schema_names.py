"""An ontology name is pasted into Cypher unquoted: a word either store refuses as a name stops the schema's loading,
and the list of such words is what the stores refuse, tried on the real stores."""

from __future__ import annotations

import re
from pathlib import Path

import ladybug
import pytest

from graph.errors import SchemaError
from graph.neo4j_connect import connect
from graph.schema import ONTOLOGY_PATH, RESERVED_WORDS, load_schema
from graph.settings import Settings

# Every keyword of LadybugDB 0.22's Cypher grammar (its parser's token accessors, named in the library's symbols); the
# test adds every upper-case word the library holds as a string of its own (function names, options, lexer-only
# keywords such as COMMIT_SKIP_CHECKPOINT).
GRAMMAR_KEYWORDS = """ACYCLIC ADD ALL ALTER ANALYZE AND ANY AS ASC ASCENDING ATTACH BEGIN BY CALL CASE CAST
    CHECKPOINT COLUMN
    COMMENT COMMIT CONTAINS COPY COUNT CREATE CSR CYCLE DATABASE DBTYPE DECIMAL DEFAULT DELETE DESC DESCENDING
    DETACH DISTINCT DROP ELSE END ENDS EXISTS EXPLAIN EXPORT EXTENSION FALSE FOR FORCE FROM GLOB GRAPH GROUP
    HASH HEADERS HINT IF IMPORT IN INCREMENT INDEX INSTALL IS JOIN KEY LIMIT LIST LOAD LOGICAL MACRO MAP MATCH
    MAXVALUE MERGE MINVALUE MULTI_JOIN NO NODE NONE NOT NULL ON ONLY OPTIONAL OPTIONS OR ORDER PARTITION
    PARTITIONS PASSWORD PRIMARY PROFILE PROJECT RANGE READ REL RENAME RETURN ROLE ROLLBACK SEQUENCE SET SHORTEST
    SINGLE SKIP SORTED START STARTS STRUCT TABLE THEN TO TRAIL TRANSACTION TRUE TYPE UNINSTALL UNION UNWIND
    UPDATE USE USER WHEN WHERE WITH WRITE WSHORTEST XOR YIELD""".split()  # noqa: SIM905


def _library_words() -> set[str]:
    library = next(Path(ladybug.__file__).parent.glob("_lbug*.so"))
    return {m.decode() for m in re.findall(rb"(?<=\x00)[A-Z][A-Z_]{1,40}(?=\x00)", library.read_bytes())}


def _refused_by_ladybug(connection: ladybug.Connection, word: str, n: int) -> bool:
    """Whether LadybugDB refuses ``word`` as a node table's, a relationship table's or a property's name."""
    statements = (
        (f"CREATE NODE TABLE {word}(id STRING, PRIMARY KEY(id))", f"DROP TABLE {word}"),
        (f"CREATE REL TABLE {word}(FROM Anchor TO Anchor, x STRING)", f"DROP TABLE {word}"),
        (f"CREATE NODE TABLE Holder{n}(id STRING, {word} STRING, PRIMARY KEY(id))", f"DROP TABLE Holder{n}"),
    )
    if n % 25 == 0:  # a dropped table's pages stay in the buffer pool until a checkpoint
        connection.execute("CHECKPOINT")
    refused = 0
    for create, drop in statements:
        try:
            connection.execute(create)
        except RuntimeError:
            refused += 1
        else:
            connection.execute(drop)
    assert refused in (0, 3), f"{word}: refused in some places only"  # the check treats every name alike
    return refused == 3


def test_the_reserved_words_are_the_words_ladybugdb_refuses_in_any_case(tmp_path: Path) -> None:
    database = ladybug.Database(str(tmp_path / "names.lbdb"), buffer_pool_size=256 << 20)
    connection = ladybug.Connection(database)
    connection.execute("CREATE NODE TABLE Anchor(id STRING, PRIMARY KEY(id))")
    candidates = sorted(set(GRAMMAR_KEYWORDS) | _library_words())
    assert len(candidates) > 500  # the library's words were found
    refused = {word for n, word in enumerate(candidates) if _refused_by_ladybug(connection, word, n)}
    assert refused == RESERVED_WORDS
    for n, word in enumerate(sorted(RESERVED_WORDS)):  # names are not case-sensitive
        assert _refused_by_ladybug(connection, word.lower(), 1000 + n)
        assert _refused_by_ladybug(connection, word.capitalize(), 2000 + n)


@pytest.mark.neo4j
def test_neo4j_takes_every_keyword_the_schema_lets_through(neo4j_settings: Settings) -> None:
    """Each grammar keyword the schema accepts parses on Neo4j as a label, a relationship type and a property
    (EXPLAIN: planned, not run)."""
    driver = connect(neo4j_settings)
    refused = []
    try:
        with driver.session(database=neo4j_settings.neo4j_database) as session:
            for word in sorted(set(GRAMMAR_KEYWORDS) - RESERVED_WORDS):
                try:
                    query = f"EXPLAIN MATCH (n:{word})-[r:{word}]->(m) WHERE n.{word} = 1 RETURN r.{word}"
                    session.run(query).consume()
                except Exception:  # a syntax error: this word cannot name things unquoted
                    refused.append(word)
    finally:
        driver.close()
    assert refused == []


@pytest.mark.parametrize(
    ("addition", "name"),
    [
        ('ckg:Order a owl:Class ; rdfs:subClassOf ckg:Organization ; rdfs:label "坏"@zh , "bad"@en .', "Order"),
        (
            "ckg:desc a owl:DatatypeProperty ; rdfs:domain ckg:Laboratory ; rdfs:range xsd:string ; "
            'rdfs:label "坏"@zh , "bad"@en .',
            "desc",
        ),
        (
            "ckg:union a owl:ObjectProperty ; ckg:stage ckg:SciTechFinance ; rdfs:domain ckg:Laboratory ; "
            'rdfs:range ckg:Laboratory ; rdfs:label "坏"@zh , "bad"@en .',
            "UNION",
        ),
    ],
    ids=["class", "property", "relationship"],
)
def test_a_reserved_word_as_an_ontology_name_stops_the_schema_loading(tmp_path: Path, addition: str, name: str) -> None:
    broken = tmp_path / "reserved.ttl"
    broken.write_text(ONTOLOGY_PATH.read_text(encoding="utf-8") + "\n" + addition + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=f"'{name}'.*保留字.*reserved word"):
        load_schema(broken)
