"""The schema is derived from ontology.ttl, and the ontology keeps its own rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import OWL

from graph.errors import SchemaError
from graph.schema import CKG, ONTOLOGY_PATH, Schema, camel_to_snake, camel_to_upper_snake, load_schema


def test_ontology_parses_and_every_relationship_is_complete() -> None:
    g = Graph().parse(ONTOLOGY_PATH)
    rels = [p for p in g.subjects(RDF.type, OWL.ObjectProperty) if str(p).startswith(str(CKG))]
    assert len(rels) >= 25
    for rel in rels:
        assert g.value(rel, RDFS.domain) is not None, rel
        assert g.value(rel, RDFS.range) is not None, rel
        has_stage = g.value(rel, CKG.stage) is not None
        structural = (rel, CKG.structural, Literal(True)) in g
        assert has_stage != structural, f"{rel}: needs exactly one of a stage or structural"
        langs = {label.language for label in g.objects(rel, RDFS.label)}  # type: ignore[attr-defined]
        assert {"zh", "en"} <= langs, rel


def test_every_class_aligns_to_a_standard_vocabulary(schema: Schema) -> None:
    for cls in schema.node_classes:
        chain = [cls]
        standard: set[str] = set()
        while chain:
            current = chain.pop()
            standard.update(current.standard_types)
            chain.extend(schema.classes[p] for p in current.parents)
        assert standard, f"{cls.name} has no standard superclass"


def test_each_stage_has_relationship_types(schema: Schema) -> None:
    for stage in schema.stages:
        assert any(r.stage == stage.key for r in schema.relationships.values()), stage.key
    assert [s.labels.zh for s in schema.stages] == ["基础研究", "技术攻关", "成果转化", "科技金融", "人才支撑"]


def test_subclasses_inherit_properties_and_relationships(schema: Schema) -> None:
    university = schema.node_class("University")
    assert {"name_zh", "name_en", "source_file", "designations"} <= set(university.property_names)
    # HOSTED_BY ranges over ResearchInstitution, so a lab hosted by a university is allowed
    assert schema.rel_type("HOSTED_BY").allows("Laboratory", "University")
    assert not schema.rel_type("HOSTED_BY").allows("City", "University")
    assert schema.node_class("Enterprise").get_property("roles").store_type == "STRING[]"
    assert schema.node_class("City").get_property("latitude").store_type == "DOUBLE"


def test_abstract_classes_hold_no_nodes(schema: Schema) -> None:
    names = {c.name for c in schema.node_classes}
    assert "Organization" not in names and "Place" not in names and "Entity" not in names
    with pytest.raises(SchemaError):
        schema.node_class("Organization")


@pytest.mark.parametrize(
    ("camel", "snake", "upper"),
    [
        ("nameZh", "name_zh", "NAME_ZH"),
        ("hostedBy", "hosted_by", "HOSTED_BY"),
        ("target2025", "target_2025", "TARGET_2025"),
    ],
)
def test_name_conversions(camel: str, snake: str, upper: str) -> None:
    assert camel_to_snake(camel) == snake
    assert camel_to_upper_snake(camel) == upper


def test_a_relationship_without_a_stage_is_rejected(tmp_path: Path) -> None:
    text = ONTOLOGY_PATH.read_text(encoding="utf-8").replace(
        "ckg:trains a owl:ObjectProperty ; ckg:stage ckg:TalentSupport ;", "ckg:trains a owl:ObjectProperty ;"
    )
    broken = tmp_path / "broken.ttl"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match="trains"):
        load_schema(broken)


def test_a_missing_label_language_is_rejected(tmp_path: Path) -> None:
    text = ONTOLOGY_PATH.read_text(encoding="utf-8").replace('"培养人才"@zh , ', "")
    broken = tmp_path / "broken.ttl"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match="@zh and @en"):
        load_schema(broken)


@pytest.mark.parametrize(
    "addition",
    [
        "<https://w3id.org/clusterkg/ontology#Lab)DETACH> a owl:Class ; rdfs:subClassOf ckg:Organization ; "
        'rdfs:label "坏"@zh , "bad"@en .',
        "ckg:note-x a owl:DatatypeProperty ; rdfs:domain ckg:Laboratory ; rdfs:range xsd:string ; "
        'rdfs:label "坏"@zh , "bad"@en .',
        "<https://w3id.org/clusterkg/ontology#funds'x> a owl:ObjectProperty ; ckg:stage ckg:SciTechFinance ; "
        'rdfs:domain ckg:Laboratory ; rdfs:range ckg:Laboratory ; rdfs:label "坏"@zh , "bad"@en .',
    ],
    ids=["class", "property", "relationship"],
)
def test_a_name_that_is_not_a_plain_identifier_is_rejected(tmp_path: Path, addition: str) -> None:
    """Names are pasted into Cypher text, so an ontology term whose name could end a label and start a clause (a
    parenthesis, a quote, a hyphen) stops the schema from loading instead of reaching a statement."""
    broken = tmp_path / "broken.ttl"
    broken.write_text(ONTOLOGY_PATH.read_text(encoding="utf-8") + "\n" + addition + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="not a plain identifier"):
        load_schema(broken)
