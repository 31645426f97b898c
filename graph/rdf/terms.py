"""From graph records to RDF quads, driven by the schema (and so by ontology.ttl).

Every node becomes an IRI under a configurable base (its id: ``enterprise/<统一社会信用代码>``,
``city/440300``); it is typed with its ontology class and the standard types above it (W3C ORG, Core
Business ``legal:``, schema.org, SKOS, GeoSPARQL, PROV); names are ``skos:prefLabel`` and ``rdfs:label``
with ``@zh`` / ``@en``; values are typed literals; places get a GeoSPARQL point; taxonomies (clusters, chain
stages, industry codes, lab levels) are SKOS concepts in schemes; and every triple sits in the named graph of
the source file it came from, with ``prov:wasDerivedFrom`` the source record (file and row) and
``prov:wasGeneratedBy`` the ingest run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad

from graph.ids import DEFAULT_BASE_IRI, split_ref
from graph.schema import NodeClass, RelType, Schema

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
SPDX = "http://spdx.org/rdf/terms#"
GEO = "http://www.opengis.net/ont/geosparql#"
DCTERMS = "http://purl.org/dc/terms/"
CKG = "https://w3id.org/clusterkg/ontology#"
PREFIXES = {
    "ckg": CKG,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "geo": GEO,
    "dcterms": DCTERMS,
    "dcat": "http://www.w3.org/ns/dcat#",
    "org": "http://www.w3.org/ns/org#",
    "legal": "http://www.w3.org/ns/legal#",
    "schema": "https://schema.org/",
    "spdx": "http://spdx.org/rdf/terms#",
    "owl": "http://www.w3.org/2002/07/owl#",
}
TYPE = NamedNode(RDF + "type")
# Properties rendered otherwise (names as language-tagged labels) or kept out of RDF (store bookkeeping).
SPECIAL = {
    "id",
    "name_zh",
    "name_en",
    "aliases",
    "source_refs",
    "claims_json",
    "record_hash",
    "ingest_run",
    "source_file",
    "source_row",
    "changes_json",
    "report_json",
    "counts_json",
    "files_json",
}
SCHEMES = {"IndustryCluster": "clusters", "IndustryCategory": "gbt4754-2017", "ChainStage": "chain-stages"}


_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")


def path_part(text: str, safe: str = "/-_.~") -> str:
    """``text`` percent-encoded for an IRI's path, its slashes kept, unless it has a segment ``.`` or ``..``: then
    its slashes are encoded too (``%2F``), one segment, which no client normalising the IRI removes or resolves
    into another node's (``org/../city/x`` would have become ``city/x``). A text without one keeps the IRI it had;
    a text that is ``.`` or ``..`` alone is written after a ``!``, which ``quote`` writes as ``%21`` in any text: its
    dots encoded would not do, as a browser's URL parser (WHATWG) reads ``%2E%2E`` as ``..``."""
    if text in (".", ".."):  # the whole text one: base + ".." would be the base's parent
        return "!" + text
    if _DOT_SEGMENT.search(text):
        safe = safe.replace("/", "")
    return quote(text, safe=safe)


class RdfMapper:
    def __init__(self, schema: Schema, base: str = DEFAULT_BASE_IRI) -> None:
        self.schema = schema
        self.base = base if base.endswith(("/", "#")) else base + "/"
        self._types: dict[str, list[NamedNode]] = {}
        self._seen_levels: set[str] = set()
        # Source records already described: one bit per row and file, so that a record shared by several
        # nodes (one row can mint a lab and its host) is described once, in memory ~ rows / 8 bytes.
        self._seen_rows: dict[str, bytearray] = {}
        self._seen_refs: set[str] = set()  # refs whose row is not a number
        self._seen_plans: set[str] = set()  # inference rules already typed
        self._seen_versions: set[str] = set()  # file versions (with their checksums) already described

    # ------------------------------------------------------------------ IRIs
    def node(self, node_id: str) -> NamedNode:
        return NamedNode(self.base + path_part(node_id, safe="/-_.~:"))

    def source_file(self, source_file: str) -> NamedNode:
        return NamedNode(self.base + "source/" + path_part(source_file))

    def source_graph(self, source_file: str | None) -> NamedNode | DefaultGraph:
        """The named graph of a source file (the default graph for what no file stated)."""
        return self.source_file(source_file) if source_file else DefaultGraph()

    def source_record(self, ref: str) -> NamedNode:
        file, row = split_ref(ref)
        return NamedNode(self.base + "source/" + path_part(file) + "#row=" + quote(row, safe=""))

    def types_of(self, cls: NodeClass) -> list[NamedNode]:
        if cls.name not in self._types:
            # The whole superclass closure, ckg: classes included: an export must validate and query on its
            # own, without the ontology (a University is stated to be a ResearchInstitution and an Entity).
            found = [NamedNode(cls.iri)]
            todo = [cls]
            while todo:
                current = todo.pop()
                found.extend(NamedNode(t) for t in current.standard_types)
                parents = [self.schema.classes[p] for p in current.parents]
                found.extend(NamedNode(p.iri) for p in parents)
                todo.extend(parents)
            self._types[cls.name] = list(dict.fromkeys(found))
        return self._types[cls.name]

    # ------------------------------------------------------------------ nodes
    def node_quads(self, label: str, props: dict[str, Any]) -> Iterator[Quad]:
        # One node's quads are few: drop repeats among them (a list property holding a value twice).
        # An Edition is store bookkeeping (a snapshot of the facts), never a fact: it has no triples.
        yield from dict.fromkeys(self._node_quads(label, props) if label not in ("Edition", "Tally") else ())

    def _node_quads(self, label: str, props: dict[str, Any]) -> Iterator[Quad]:
        cls = self.schema.node_class(label)
        s = self.node(str(props["id"]))
        g = self.source_graph(props.get("source_file"))
        for t in self.types_of(cls):
            yield Quad(s, TYPE, t, g)
        yield Quad(s, NamedNode(CKG + "id"), Literal(str(props["id"])), g)
        for key, lang in (("name_zh", "zh"), ("name_en", "en")):
            if props.get(key):
                yield Quad(s, NamedNode(SKOS + "prefLabel"), Literal(props[key], language=lang), g)
                yield Quad(s, NamedNode(RDFS + "label"), Literal(props[key], language=lang), g)
        for alias in props.get("aliases") or []:
            yield Quad(s, NamedNode(SKOS + "altLabel"), Literal(alias, language="zh"), g)
        for spec in cls.properties:
            value = props.get(spec.name)
            if spec.name in SPECIAL or value is None:
                continue
            for item in value if spec.multi_valued else [value]:
                yield Quad(s, NamedNode(spec.iri), self.literal(item, spec.datatype), g)
        yield from self._provenance(s, props, g)
        yield from self._extras(cls, s, props, g)

    def literal(self, value: Any, datatype: str) -> Literal:
        if isinstance(value, bool):
            return Literal("true" if value else "false", datatype=NamedNode(XSD + "boolean"))
        if datatype == XSD + "double" and isinstance(value, (int, float)):
            return Literal(repr(float(value)), datatype=NamedNode(datatype))
        return Literal(str(value), datatype=NamedNode(datatype))

    def _provenance(self, s: NamedNode, props: dict[str, Any], g: NamedNode | DefaultGraph) -> Iterator[Quad]:
        if props.get("source_file"):
            yield Quad(s, NamedNode(CKG + "sourceFile"), Literal(str(props["source_file"])), g)
        if props.get("source_row") is not None:
            yield Quad(
                s,
                NamedNode(CKG + "sourceRow"),
                Literal(str(props["source_row"]), datatype=NamedNode(XSD + "integer")),
                g,
            )
        for ref in props.get("source_refs") or []:
            record = self.source_record(ref)
            yield Quad(s, NamedNode(PROV + "wasDerivedFrom"), record, g)
            if self._first_sight(ref):  # described once, in its own file's graph, whoever cites it
                file = split_ref(ref)[0]
                yield Quad(record, TYPE, NamedNode(PROV + "Entity"), self.source_graph(file))
                yield Quad(record, NamedNode(DCTERMS + "isPartOf"), self.source_file(file), self.source_graph(file))
        if props.get("ingest_run"):
            yield Quad(s, NamedNode(PROV + "wasGeneratedBy"), self.node(str(props["ingest_run"])), g)

    def _first_sight(self, ref: str) -> bool:
        """True the first time a source record is met in this export."""
        file, row = split_ref(ref)
        if not row.isdigit() or int(row) > 1 << 27:  # not a row number (or absurd): remember the text
            if ref in self._seen_refs:
                return False
            self._seen_refs.add(ref)
            return True
        index = int(row)
        bits = self._seen_rows.setdefault(file, bytearray())
        if len(bits) <= index >> 3:
            bits.extend(bytes((index >> 3) + 1 - len(bits) + len(bits) // 2))  # grow geometrically
        mask = 1 << (index & 7)
        if bits[index >> 3] & mask:
            return False
        bits[index >> 3] |= mask
        return True

    def _extras(
        self, cls: NodeClass, s: NamedNode, props: dict[str, Any], g: NamedNode | DefaultGraph
    ) -> Iterator[Quad]:
        """GeoSPARQL points, SKOS schemes and the lab-level taxonomy."""
        if props.get("latitude") is not None and props.get("longitude") is not None:
            point = NamedNode(str(s.value) + "#point")
            yield Quad(s, NamedNode(GEO + "hasGeometry"), point, g)
            yield Quad(point, TYPE, NamedNode(GEO + "Geometry"), g)
            wkt = f"POINT({float(props['longitude'])!r} {float(props['latitude'])!r})"
            yield Quad(point, NamedNode(GEO + "asWKT"), Literal(wkt, datatype=NamedNode(GEO + "wktLiteral")), g)
        scheme = SCHEMES.get(cls.name)
        if scheme:
            yield Quad(s, NamedNode(SKOS + "inScheme"), NamedNode(self.base + "scheme/" + scheme), g)
            notation = props.get("cluster_code") or props.get("code") or str(props["id"]).split("/")[-1]
            yield Quad(s, NamedNode(SKOS + "notation"), Literal(str(notation)), g)
        if cls.name == "ChainStage":
            stage = self.schema.stage(str(props["id"]).split("/")[-1])
            yield Quad(s, NamedNode(SKOS + "exactMatch"), NamedNode(stage.iri), g)
        if cls.name == "Laboratory" and props.get("level"):
            concept = NamedNode(self.base + "scheme/lab-levels/" + path_part(str(props["level"]), safe=""))
            yield Quad(s, NamedNode(DCTERMS + "type"), concept, g)
            if props["level"] not in self._seen_levels:
                self._seen_levels.add(str(props["level"]))
                yield Quad(concept, TYPE, NamedNode(SKOS + "Concept"), DefaultGraph())
                yield Quad(
                    concept, NamedNode(SKOS + "prefLabel"), Literal(str(props["level"]), language="en"), DefaultGraph()
                )
                yield Quad(
                    concept, NamedNode(SKOS + "inScheme"), NamedNode(self.base + "scheme/lab-levels"), DefaultGraph()
                )

    # ------------------------------------------------------------------ relationships
    def relationship_quads(self, rel: RelType, edge: dict[str, Any]) -> Iterator[Quad]:
        s, o = self.node(str(edge["from_id"])), self.node(str(edge["to_id"]))
        g = self.source_graph(edge.get("source_file"))
        yield Quad(s, NamedNode(rel.iri), o, g)
        if rel.name == "BROADER":
            yield Quad(s, NamedNode(SKOS + "broader"), o, g)
        if edge.get("derived"):
            yield from self._inferred(s, NamedNode(rel.iri), o, edge, g)

    def _inferred(
        self, s: NamedNode, p: NamedNode, o: NamedNode, edge: dict[str, Any], g: NamedNode | DefaultGraph
    ) -> Iterator[Quad]:
        """An inferred tie says so: the statement, reified, was derived (PROV) by a named rule from a
        crosswalk, with its evidence — so an agency can drop inferred ties or audit them."""
        key = hashlib.sha256(f"{s.value} {p.value} {o.value}".encode()).hexdigest()[:24]
        stmt = NamedNode(self.base + "statement/" + key)
        rule = str(edge.get("rule") or "unknown")
        plan = NamedNode(self.base + "rule/" + path_part(rule, safe="-_.~"))
        yield Quad(stmt, TYPE, NamedNode(RDF + "Statement"), g)
        yield Quad(stmt, TYPE, NamedNode(PROV + "Entity"), g)
        yield Quad(stmt, NamedNode(RDF + "subject"), s, g)
        yield Quad(stmt, NamedNode(RDF + "predicate"), p, g)
        yield Quad(stmt, NamedNode(RDF + "object"), o, g)
        yield Quad(stmt, NamedNode(CKG + "derived"), Literal("true", datatype=NamedNode(XSD + "boolean")), g)
        yield Quad(stmt, NamedNode(CKG + "rule"), Literal(rule), g)
        yield Quad(stmt, NamedNode(PROV + "wasDerivedFrom"), plan, g)
        if rule not in self._seen_plans:
            self._seen_plans.add(rule)
            yield Quad(plan, TYPE, NamedNode(PROV + "Plan"), g)
        if edge.get("evidence"):
            yield Quad(stmt, NamedNode(CKG + "evidence"), Literal(str(edge["evidence"])), g)
        if edge.get("confidence"):
            yield Quad(stmt, NamedNode(CKG + "confidence"), Literal(str(edge["confidence"])), g)
        if edge.get("source_file"):
            yield Quad(stmt, NamedNode(PROV + "wasDerivedFrom"), self.source_file(str(edge["source_file"])), g)

    def run_quads(self, run: dict[str, Any]) -> Iterator[Quad]:
        """An ingest run as the PROV activity that generated the facts it touched."""
        s, g = self.node(str(run["id"])), DefaultGraph()
        for t in self.types_of(self.schema.node_class("IngestRun")):
            yield Quad(s, TYPE, t, g)
        for key, predicate in (("started_at", "startedAtTime"), ("ended_at", "endedAtTime")):
            if run.get(key):
                yield Quad(
                    s, NamedNode(PROV + predicate), Literal(str(run[key]), datatype=NamedNode(XSD + "dateTime")), g
                )
        if run.get("status"):
            yield Quad(s, NamedNode(CKG + "status"), Literal(str(run["status"])), g)
        yield from self._run_files(s, run.get("files_json"), g)

    def _run_files(self, run: NamedNode, files_json: Any, g: DefaultGraph) -> Iterator[Quad]:
        """The file versions a run read, each with its SHA-256 (SPDX), once per export however many runs."""
        try:
            files = json.loads(str(files_json)) if files_json else []
        except ValueError:
            return
        used: set[tuple[str, str]] = set()  # two sources may read one file
        for item in files:
            if not isinstance(item, dict) or not item.get("file") or not item.get("sha256"):
                continue
            if (str(item["file"]), str(item["sha256"])) in used:
                continue
            used.add((str(item["file"]), str(item["sha256"])))
            sha = str(item["sha256"])
            source = self.source_file(str(item["file"]))
            version = NamedNode(f"{source.value}/sha256/{sha}")
            yield Quad(run, NamedNode(PROV + "used"), version, g)
            if version.value in self._seen_versions:
                continue
            self._seen_versions.add(version.value)
            checksum = NamedNode(version.value + "#checksum")
            yield Quad(version, TYPE, NamedNode(PROV + "Entity"), g)
            yield Quad(version, NamedNode(PROV + "specializationOf"), source, g)
            yield Quad(version, NamedNode(SPDX + "checksum"), checksum, g)
            yield Quad(checksum, TYPE, NamedNode(SPDX + "Checksum"), g)
            yield Quad(checksum, NamedNode(SPDX + "algorithm"), NamedNode(SPDX + "checksumAlgorithm_sha256"), g)
            yield Quad(
                checksum, NamedNode(SPDX + "checksumValue"), Literal(sha, datatype=NamedNode(XSD + "hexBinary")), g
            )

    def scheme_quads(self) -> Iterator[Quad]:
        for key, title_zh, title_en in (
            ("clusters", "战略性产业集群", "Strategic industry clusters"),
            ("gbt4754-2017", "国民经济行业分类 GB/T 4754-2017", "Industrial classification GB/T 4754-2017"),
            ("chain-stages", "全过程创新生态链环节", "Stages of the innovation chain"),
            ("lab-levels", "实验室级别", "Laboratory levels"),
        ):
            scheme = NamedNode(self.base + "scheme/" + key)
            yield Quad(scheme, TYPE, NamedNode(SKOS + "ConceptScheme"), DefaultGraph())
            yield Quad(scheme, NamedNode(SKOS + "prefLabel"), Literal(title_zh, language="zh"), DefaultGraph())
            yield Quad(scheme, NamedNode(SKOS + "prefLabel"), Literal(title_en, language="en"), DefaultGraph())
