"""The graph schema, derived at run time from ontology.ttl (never written twice by hand).

Node classes become labels (Neo4j) and node tables (LadybugDB); object properties become relationship
types; datatype properties become typed properties. Names follow one rule each way: ontology
``lowerCamelCase`` property ``nameZh`` ↔ graph property ``name_zh``; object property ``hostedBy`` ↔
relationship type ``HOSTED_BY``; class ``Laboratory`` ↔ label ``Laboratory``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, SKOS, XSD

from graph.errors import SchemaError

CKG = Namespace("https://w3id.org/clusterkg/ontology#")
ONTOLOGY_PATH = Path(__file__).resolve().parent.parent / "ontology.ttl"

# How each XSD datatype is stored. Dates stay ISO strings in the stores (their date types differ between
# Neo4j and LadybugDB); they regain xsd:date in RDF. Years are integers.
STORE_TYPES: dict[URIRef, str] = {
    XSD.string: "STRING",
    XSD.anyURI: "STRING",
    XSD.date: "STRING",
    XSD.dateTime: "STRING",
    XSD.integer: "INT64",
    XSD.gYear: "INT64",
    XSD.double: "DOUBLE",
    XSD.decimal: "DOUBLE",
    XSD.boolean: "BOOLEAN",
}


# Labels, relationship types and property names are pasted into Cypher text (values never are: they are
# parameters), so each must be a plain identifier: nothing an ontology says can change what a statement does.
PLAIN_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")


# The words LadybugDB 0.22 refuses as a table, relationship or property name in any letter case: each keyword of its
# grammar and each upper-case word in its library tried as all three (tests/test_schema_names.py tries them again,
# and Neo4j's refusals of the others, on the real stores).
# A name is pasted unquoted, so such a word would stop the store's setup; it stops the schema's loading instead.
RESERVED_WORDS = frozenset(
    """ACYCLIC ALL AND ANY ASC ASCENDING CASE CAST COLUMN COMMIT_SKIP_CHECKPOINT CREATE CSR DBTYPE DEFAULT DESC
    DESCENDING DISTINCT ELSE END ENDS EXISTS FALSE FOR GLOB GROUP HEADERS HINT IN INDEX INSTALL JOIN MACRO
    MULTI_JOIN NONE NOT NULL ON ONLY OPTIONAL OPTIONS OR ORDER PRIMARY PROFILE ROLLBACK_SKIP_CHECKPOINT SHORTEST
    SINGLE SORTED STARTS TABLE THEN TRAIL TRUE UNION UNWIND WHEN WHERE WITH WSHORTEST XOR""".split()  # noqa: SIM905
)


def plain_identifier(name: str, term: object) -> str:
    """``name`` if it is a plain identifier (letters, digits, underscores, a letter first) and no reserved word; a
    SchemaError if not."""
    if not PLAIN_IDENTIFIER.fullmatch(name):
        raise SchemaError(
            f"本体术语 {term} 得出的名称 {name!r} 不是纯标识符（字母开头，仅含字母、数字、下划线，至多 63 个字符） / "
            f"the name {name!r} made from ontology term {term} is not a plain identifier "
            "(a letter, then letters, digits and underscores; at most 63 characters)"
        )
    if name.upper() in RESERVED_WORDS:
        raise SchemaError(
            f"本体术语 {term} 得出的名称 {name!r} 是图查询语言的保留字，存储无法以此命名；请给该术语换一个名称 / "
            f"the name {name!r} made from ontology term {term} is a reserved word of the stores' query language "
            "and cannot name a table or property: give the term another name"
        )
    return name


def camel_to_snake(name: str) -> str:
    """``nameZh`` → ``name_zh``; ``target2025`` → ``target_2025``; ``sizeBnCny`` → ``size_bn_cny``."""
    name = re.sub(r"(?<=[a-z])(?=[0-9])", "_", name)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def camel_to_upper_snake(name: str) -> str:
    """``hostedBy`` → ``HOSTED_BY``."""
    return camel_to_snake(name).upper()


@dataclass(frozen=True)
class Labels:
    zh: str
    en: str


@dataclass(frozen=True)
class PropertySpec:
    """A datatype property as the stores see it."""

    name: str
    iri: str
    datatype: str  # the XSD datatype IRI
    multi_valued: bool
    labels: Labels

    @functools.cached_property
    def store_type(self) -> str:
        base = STORE_TYPES[URIRef(self.datatype)]
        return f"{base}[]" if self.multi_valued else base


@dataclass(frozen=True)
class Stage:
    key: str  # skos:notation, e.g. "basic_research"
    iri: str
    order: int
    labels: Labels


@dataclass(frozen=True)
class NodeClass:
    name: str
    iri: str
    labels: Labels
    parents: tuple[str, ...]  # direct ckg superclasses
    standard_types: tuple[str, ...]  # superclasses outside ckg (org:, schema:, skos: …)
    abstract: bool
    primary_stage: str | None
    properties: tuple[PropertySpec, ...] = ()

    def get_property(self, name: str) -> PropertySpec:
        prop = self._by_name.get(name)
        if prop is None:
            raise SchemaError(f"{self.name} has no property {name!r}")
        return prop

    @functools.cached_property
    def _by_name(self) -> dict[str, PropertySpec]:
        return {p.name: p for p in self.properties}

    @functools.cached_property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)


@dataclass(frozen=True)
class RelType:
    name: str
    iri: str
    labels: Labels
    domain: tuple[str, ...]  # concrete classes allowed at the start
    range: tuple[str, ...]  # concrete classes allowed at the end
    stage: str | None  # a Stage.key, or None when structural
    standard_properties: tuple[str, ...]

    @property
    def structural(self) -> bool:
        return self.stage is None

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((a, b) for a in self.domain for b in self.range)

    def allows(self, from_label: str, to_label: str) -> bool:
        return from_label in self.domain and to_label in self.range


@dataclass(frozen=True)
class Schema:
    classes: dict[str, NodeClass]
    relationships: dict[str, RelType]
    relationship_properties: tuple[PropertySpec, ...]
    stages: tuple[Stage, ...]
    indexed: frozenset[str] = field(default_factory=frozenset)

    @property
    def node_classes(self) -> tuple[NodeClass, ...]:
        """The classes that hold nodes (labels / node tables), in a stable order."""
        return tuple(c for c in self.classes.values() if not c.abstract)

    def is_entity(self, label: str) -> bool:
        """True for the classes of facts (below ckg:Entity); False for bookkeeping such as IngestRun."""
        todo, seen = [label], set()
        while todo:
            name = todo.pop()
            if name == "Entity":
                return True
            if name not in seen and name in self.classes:
                seen.add(name)
                todo.extend(self.classes[name].parents)
        return False

    @property
    def entity_classes(self) -> tuple[NodeClass, ...]:
        """The node classes that hold facts (not bookkeeping), in a stable order."""
        return tuple(c for c in self.node_classes if self.is_entity(c.name))

    def node_class(self, label: str) -> NodeClass:
        cls = self.classes.get(label)
        if cls is None or cls.abstract:
            raise SchemaError(f"unknown node label {label!r}")
        return cls

    def rel_type(self, name: str) -> RelType:
        rel = self.relationships.get(name)
        if rel is None:
            raise SchemaError(f"unknown relationship type {name!r}")
        return rel

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise SchemaError(f"unknown chain stage {key!r}")

    @property
    def relationship_property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.relationship_properties)

    def relationship_property(self, name: str) -> PropertySpec:
        prop = self._relationship_properties_by_name.get(name)
        if prop is None:
            raise SchemaError(f"relationships have no property {name!r}")
        return prop

    @functools.cached_property
    def _relationship_properties_by_name(self) -> dict[str, PropertySpec]:
        return {p.name: p for p in self.relationship_properties}


class _OntologyReader:
    """Turns the RDF of ontology.ttl into a Schema; every rule of the ontology's header lives here."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph

    def local(self, term: object) -> str:
        text = str(term)
        if not text.startswith(str(CKG)):
            raise SchemaError(f"expected a ckg: term, got {text}")
        return text[len(str(CKG)) :]

    def labels(self, term: URIRef) -> Labels:
        found: dict[str, str] = {}
        for label in self.g.objects(term, RDFS.label):
            if isinstance(label, Literal) and label.language in ("zh", "en"):
                found[label.language] = str(label)
        if set(found) != {"zh", "en"}:
            raise SchemaError(f"{term} needs rdfs:label in both @zh and @en")
        return Labels(zh=found["zh"], en=found["en"])

    def flag(self, term: URIRef, annotation: URIRef) -> bool:
        value = self.g.value(term, annotation)
        return isinstance(value, Literal) and value.toPython() is True

    def class_terms(self, node: object) -> list[URIRef]:
        """A class, or the members of an owl:unionOf list."""
        if isinstance(node, URIRef):
            return [node]
        union = self.g.value(node, OWL.unionOf) if isinstance(node, BNode) else None
        if union is None:
            raise SchemaError(f"unsupported class expression {node}")
        return [m for m in Collection(self.g, union) if isinstance(m, URIRef)]

    def ckg_classes(self) -> list[URIRef]:
        return sorted(
            (c for c in self.g.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef) and c.startswith(str(CKG))),
            key=str,
        )

    def read(self) -> Schema:
        class_terms = [c for c in self.ckg_classes() if c != CKG.RelationshipProperty]
        parents = {
            self.local(c): tuple(
                self.local(p) for p in self.g.objects(c, RDFS.subClassOf) if str(p).startswith(str(CKG))
            )
            for c in class_terms
        }
        stages = self.read_stages()
        stage_by_iri = {s.iri: s.key for s in stages}

        def ancestors(name: str) -> list[str]:
            seen: list[str] = []
            todo = [name]
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.append(current)
                todo.extend(parents.get(current, ()))
            return seen

        concrete = {self.local(c) for c in class_terms if not self.flag(c, CKG.abstract)}

        def expand(names: Iterable[str]) -> tuple[str, ...]:
            """Concrete classes at or below the given classes, in ontology order."""
            wanted = set(names)
            return tuple(sorted(c for c in concrete if wanted & set(ancestors(c))))

        node_props: dict[str, list[PropertySpec]] = {}
        rel_props: list[PropertySpec] = []
        indexed: set[str] = set()
        for prop in sorted(self.g.subjects(RDF.type, OWL.DatatypeProperty), key=str):
            if not isinstance(prop, URIRef) or not prop.startswith(str(CKG)):
                continue
            spec = self.read_property(prop)
            if self.flag(prop, CKG.indexed):
                indexed.add(spec.name)
            if (prop, RDF.type, CKG.RelationshipProperty) in self.g:
                rel_props.append(spec)
            for domain in self.g.objects(prop, RDFS.domain):
                for cls in self.class_terms(domain):
                    node_props.setdefault(self.local(cls), []).append(spec)

        classes: dict[str, NodeClass] = {}
        for c in class_terms:
            name = plain_identifier(self.local(c), c)
            props: dict[str, PropertySpec] = {}
            for ancestor in reversed(ancestors(name)):
                for spec in node_props.get(ancestor, []):
                    props.setdefault(spec.name, spec)
            ordered = sorted(props.values(), key=lambda p: (p.name != "id", p.name))
            primary = self.g.value(c, CKG.primaryStage)
            classes[name] = NodeClass(
                name=name,
                iri=str(c),
                labels=self.labels(c),
                parents=parents[name],
                standard_types=tuple(
                    sorted(str(p) for p in self.g.objects(c, RDFS.subClassOf) if not str(p).startswith(str(CKG)))
                ),
                abstract=self.flag(c, CKG.abstract),
                primary_stage=stage_by_iri.get(str(primary)) if primary is not None else None,
                properties=tuple(ordered),
            )

        relationships: dict[str, RelType] = {}
        for prop in sorted(self.g.subjects(RDF.type, OWL.ObjectProperty), key=str):
            if not isinstance(prop, URIRef) or not prop.startswith(str(CKG)):
                continue
            rel = self.read_relationship(prop, expand, stage_by_iri)
            relationships[rel.name] = rel
        for name, node_class in classes.items():
            if not node_class.abstract and "id" not in node_class.property_names:
                raise SchemaError(f"class {name} has no id property")
        return Schema(
            classes=classes,
            relationships=relationships,
            relationship_properties=tuple(rel_props),
            stages=stages,
            indexed=frozenset(indexed),
        )

    def read_property(self, prop: URIRef) -> PropertySpec:
        datatype = self.g.value(prop, RDFS.range)
        if datatype is None or URIRef(str(datatype)) not in STORE_TYPES:
            raise SchemaError(f"{prop} needs an rdfs:range among {sorted(map(str, STORE_TYPES))}")
        return PropertySpec(
            name=plain_identifier(camel_to_snake(self.local(prop)), prop),
            iri=str(prop),
            datatype=str(datatype),
            multi_valued=self.flag(prop, CKG.multiValued),
            labels=self.labels(prop),
        )

    def read_relationship(
        self, prop: URIRef, expand: Callable[[Iterable[str]], tuple[str, ...]], stage_by_iri: dict[str, str]
    ) -> RelType:
        domain = self.g.value(prop, RDFS.domain)
        range_ = self.g.value(prop, RDFS.range)
        if domain is None or range_ is None:
            raise SchemaError(f"{prop} needs rdfs:domain and rdfs:range")
        stage_term = self.g.value(prop, CKG.stage)
        structural = self.flag(prop, CKG.structural)
        if (stage_term is None) == (not structural):
            raise SchemaError(f"{prop} must have exactly one of ckg:stage or ckg:structural true")
        stage = None
        if stage_term is not None:
            stage = stage_by_iri.get(str(stage_term))
            if stage is None:
                raise SchemaError(f"{prop} names an unknown stage {stage_term}")
        name = plain_identifier(camel_to_upper_snake(self.local(prop)), prop)
        from_classes = expand(self.local(c) for c in self.class_terms(domain))
        to_classes = expand(self.local(c) for c in self.class_terms(range_))
        if not from_classes or not to_classes:
            raise SchemaError(f"{prop} has no concrete class at one end")
        return RelType(
            name=name,
            iri=str(prop),
            labels=self.labels(prop),
            domain=from_classes,
            range=to_classes,
            stage=stage,
            standard_properties=tuple(sorted(str(p) for p in self.g.objects(prop, RDFS.subPropertyOf))),
        )

    def read_stages(self) -> tuple[Stage, ...]:
        stages = []
        for concept in self.g.subjects(SKOS.inScheme, CKG.ChainStageScheme):
            if not isinstance(concept, URIRef):
                raise SchemaError(f"a chain stage must be an IRI, not {concept!r}")
            order = self.g.value(concept, CKG.stageOrder)
            notation = self.g.value(concept, SKOS.notation)
            if not isinstance(order, Literal) or notation is None:
                raise SchemaError(f"stage {concept} needs ckg:stageOrder and skos:notation")
            stages.append(
                Stage(key=str(notation), iri=str(concept), order=int(order.toPython()), labels=self.labels(concept))
            )
        if len(stages) != 5:
            raise SchemaError(f"expected the five chain stages, found {len(stages)}")
        return tuple(sorted(stages, key=lambda s: s.order))


def load_schema(path: Path = ONTOLOGY_PATH) -> Schema:
    """Parse an ontology file into a Schema (uncached; see ``default_schema``)."""
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several parser-specific types
        raise SchemaError(f"cannot parse {path}: {exc}") from exc
    return _OntologyReader(graph).read()


@cache
def default_schema() -> Schema:
    """The schema of the repository's ontology.ttl, parsed once per process."""
    return load_schema(ONTOLOGY_PATH)
