"""SHACL validation of an export against shapes.ttl (with the ontology for the class hierarchy)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyshacl import validate

from graph.schema import ONTOLOGY_PATH

SHAPES_PATH = ONTOLOGY_PATH.with_name("shapes.ttl")
RDFLIB_FORMATS = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".rdf": "xml", ".jsonld": "json-ld"}


@dataclass(frozen=True)
class Validation:
    conforms: bool
    violations: int
    report: str


def load_export(path: Path, fmt: str | None = None) -> rdflib.Graph:
    """An export as one rdflib graph (named graphs merged: SHACL looks at the whole)."""
    rdf_format = fmt or RDFLIB_FORMATS.get(path.suffix, "turtle")
    if rdf_format in ("nquads", "trig", "json-ld"):
        dataset = rdflib.Dataset()
        dataset.parse(path, format=rdf_format)
        merged = rdflib.Graph()
        for s, p, o, _graph in dataset.quads((None, None, None, None)):
            merged.add((s, p, o))
        return merged
    return rdflib.Graph().parse(path, format=rdf_format)


def validate_graph(data: rdflib.Graph) -> Validation:
    shapes = rdflib.Graph().parse(SHAPES_PATH, format="turtle")
    ontology = rdflib.Graph().parse(ONTOLOGY_PATH, format="turtle")
    conforms, report_graph, report_text = validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=False
    )
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    violations = len(list(report_graph.subjects(rdflib.RDF.type, sh.ValidationResult)))
    return Validation(bool(conforms), violations, str(report_text))


def validate_export(path: Path, fmt: str | None = None) -> Validation:
    return validate_graph(load_export(path, fmt))
