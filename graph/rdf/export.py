"""Streaming RDF export: pages of nodes and relationships from the store → quads → pyoxigraph's serialiser.

Memory stays flat whatever the graph's size: nothing is collected but the ids of a scope. Formats: Turtle,
N-Triples, RDF/XML (triples: named graphs folded into the default graph), TriG and N-Quads (one named graph
per source file), JSON-LD (streamed, expanded; ``jsonld-compact`` compacts a small export with the published
``@context`` through rdflib). Every export carries a DCAT 3 dataset description and the PROV activity that
made it; a sidecar ``*.catalog.ttl`` adds each distribution's byte size and SHA-256 checksum, which a file
cannot state about itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, serialize

from graph.exports import ExportError, atomic_path
from graph.ids import DEFAULT_BASE_IRI
from graph.rdf.terms import CKG, DCTERMS, PREFIXES, PROV, TYPE, XSD, RdfMapper
from graph.store import GraphStore

log = logging.getLogger(__name__)

FORMATS: dict[str, tuple[RdfFormat, str]] = {
    "turtle": (RdfFormat.TURTLE, ".ttl"),
    "ntriples": (RdfFormat.N_TRIPLES, ".nt"),
    "rdfxml": (RdfFormat.RDF_XML, ".rdf"),
    "trig": (RdfFormat.TRIG, ".trig"),
    "nquads": (RdfFormat.N_QUADS, ".nq"),
    "jsonld": (RdfFormat.JSON_LD, ".jsonld"),
}
CONTEXT_PATH = Path(__file__).resolve().parent / "context.jsonld"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
VERSION = "0.1.0"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    catalog_path: Path
    format: str
    triples: int
    nodes: int
    relationships: int
    byte_size: int
    sha256: str


@dataclass
class ExportCounter:
    """What an export wrote so far (the benchmarks count with it too)."""

    quads: int = 0
    nodes: int = 0
    relationships: int = 0


def graph_quads(
    store: GraphStore, mapper: RdfMapper, ids: set[str] | None, counter: ExportCounter, *, sourced_only: bool = False
) -> Iterator[Quad]:
    yield from mapper.scheme_quads()
    ids_by_label: dict[str, list[str]] = {}  # the scope's nodes found so far, by class
    unfound = set(ids or ())
    for cls in store.schema.node_classes:
        if cls.name == "IngestRun":
            for run in store.iter_nodes(cls.name):
                yield from mapper.run_quads(run)
            continue
        if not store.schema.is_entity(cls.name):  # other bookkeeping (editions) is not published
            continue
        # a scope is read by id, class by class (not the whole graph filtered); an id has one class
        nodes = store.iter_nodes(cls.name) if ids is None else store.iter_nodes_among(cls.name, sorted(unfound))
        for node in nodes:
            if ids is not None:
                ids_by_label.setdefault(cls.name, []).append(node["id"])
                unfound.discard(node["id"])
            counter.nodes += 1
            yield from mapper.node_quads(cls.name, node)
    for rel in store.schema.relationships.values():
        edges = (
            store.iter_relationships(rel.name)
            if ids is None
            else store.iter_relationships_from(rel.name, ids_by_label, ids_by_label.keys())
        )
        for edge in edges:
            if sourced_only and edge.get("derived"):
                continue  # the agency asked for what sources state, not what rules inferred
            if ids is None or edge["to_id"] in ids:
                counter.relationships += 1
                yield from mapper.relationship_quads(rel, edge)


def metadata_quads(
    mapper: RdfMapper,
    store: GraphStore,
    *,
    fmt: str,
    issued: datetime,
    distribution_name: str,
    describe_run: bool = True,
) -> Iterator[Quad]:
    """DCAT 3 dataset + distribution, the publisher, and the PROV activity of this export.

    ``describe_run=False`` when the graph itself describes every ingest run (``graph_quads``), so that the
    last run's type and end time are not written twice."""
    base = mapper.base
    g = DefaultGraph()
    dataset = NamedNode(base + "dataset/clusterkg")
    dist = NamedNode(base + "dataset/clusterkg/distribution/" + distribution_name)
    activity = NamedNode(base + "export/" + issued.strftime("%Y%m%dT%H%M%S"))
    publisher = NamedNode(base + "agent/clusterkg")
    runs = store.read(
        "MATCH (r:IngestRun) WHERE r.ended_at IS NOT NULL RETURN r.id AS id, r.ended_at AS ended "
        "ORDER BY ended DESC LIMIT 1"
    ).rows
    stamp = Literal(issued.isoformat(timespec="seconds"), datatype=NamedNode(XSD + "dateTime"))

    def q(s: NamedNode, p: str, o: NamedNode | Literal) -> Quad:
        return Quad(s, NamedNode(p), o, g)

    yield Quad(dataset, TYPE, NamedNode(DCAT + "Dataset"), g)
    yield q(dataset, DCTERMS + "title", Literal("广东省战略性产业集群创新生态知识图谱", language="zh"))
    yield q(
        dataset,
        DCTERMS + "title",
        Literal("ClusterKG: the innovation ecosystem of Guangdong's strategic industry clusters", language="en"),
    )
    yield q(
        dataset,
        DCTERMS + "description",
        Literal(
            "20个战略性产业集群的全过程创新生态链（基础研究、技术攻关、成果转化、科技金融、人才支撑）及粤科函高字〔2022〕895号的措施与目标。",
            language="zh",
        ),
    )
    yield q(
        dataset,
        DCTERMS + "description",
        Literal(
            "Entities, relationships and policy targets of the whole-process innovation chain of Guangdong's "
            "20 strategic industry clusters, with the measures and 2025 targets of notice 粤科函高字〔2022〕895号.",
            language="en",
        ),
    )
    yield q(dataset, DCTERMS + "publisher", publisher)
    yield q(dataset, DCTERMS + "license", NamedNode(LICENSE))
    yield q(dataset, DCTERMS + "issued", stamp)
    if runs:
        yield q(dataset, DCTERMS + "modified", Literal(str(runs[0]["ended"]), datatype=NamedNode(XSD + "dateTime")))
    yield q(dataset, DCAT + "version", Literal(VERSION))
    yield q(dataset, DCTERMS + "conformsTo", NamedNode("https://w3id.org/clusterkg/ontology"))
    yield q(dataset, DCAT + "distribution", dist)
    yield q(dataset, PROV + "wasGeneratedBy", activity)
    yield Quad(publisher, TYPE, NamedNode("http://xmlns.com/foaf/0.1/Agent"), g)
    yield Quad(publisher, TYPE, NamedNode(PROV + "Agent"), g)
    yield q(publisher, "http://xmlns.com/foaf/0.1/name", Literal("ClusterKG"))
    yield Quad(dist, TYPE, NamedNode(DCAT + "Distribution"), g)
    fmt_enum = FORMATS[fmt][0]
    yield q(dist, DCAT + "mediaType", NamedNode("https://www.iana.org/assignments/media-types/" + fmt_enum.media_type))
    yield q(dist, DCTERMS + "format", Literal(fmt_enum.name))
    yield q(dist, DCTERMS + "license", NamedNode(LICENSE))
    yield Quad(activity, TYPE, NamedNode(PROV + "Activity"), g)
    yield q(activity, PROV + "startedAtTime", stamp)
    yield q(activity, PROV + "wasAssociatedWith", publisher)
    if runs:
        run = mapper.node(str(runs[0]["id"]))
        yield q(activity, PROV + "used", run)
        if not describe_run:
            return
        yield Quad(run, TYPE, NamedNode(PROV + "Activity"), g)
        yield Quad(run, TYPE, NamedNode(CKG + "IngestRun"), g)
        yield q(run, PROV + "endedAtTime", Literal(str(runs[0]["ended"]), datatype=NamedNode(XSD + "dateTime")))


def _as_triples(quads: Iterable[Quad]) -> Iterator[Triple]:
    for quad in quads:
        yield quad.triple


def export_rdf(
    store: GraphStore,
    out: Path,
    *,
    fmt: str = "turtle",
    ids: set[str] | None = None,
    base: str = DEFAULT_BASE_IRI,
    issued: datetime | None = None,
    sourced_only: bool = False,
) -> ExportResult:
    """Write the export (and its ``*.catalog.ttl``) through temporary files renamed into place when complete.

    ``ids`` limits the export to those nodes and the relationships between them (None: the whole graph);
    ``queries.scopes`` turns a cluster or a named query into ids, so this layer runs no named query.
    Callers that take the path from a user check it first with ``graph.exports.check_target``."""
    compact = fmt == "jsonld-compact"
    if fmt not in FORMATS and not compact:
        formats = [*FORMATS, "jsonld-compact"]
        raise ExportError(
            f"没有格式 {fmt!r}；可选：{'、'.join(formats)} / unknown format {fmt!r}: {', '.join(formats)}"
        )
    issued = issued or datetime.now(UTC)
    mapper = RdfMapper(store.schema, base)
    counter = ExportCounter()
    name = out.name

    def quads() -> Iterator[Quad]:
        for quad in metadata_quads(
            mapper, store, fmt="jsonld" if compact else fmt, issued=issued, distribution_name=name, describe_run=False
        ):
            counter.quads += 1
            yield quad
        for quad in graph_quads(store, mapper, ids, counter, sourced_only=sourced_only):
            counter.quads += 1
            yield quad

    with atomic_path(out) as partial:
        if compact:
            _write_compact_jsonld(quads(), partial)
        else:
            rdf_format = FORMATS[fmt][0]
            prefixes = PREFIXES if fmt in ("turtle", "trig", "rdfxml") else None
            if rdf_format.supports_datasets:
                serialize(quads(), str(partial), rdf_format, prefixes=prefixes)
            else:  # a triples-only format: the named graphs fold into one graph
                serialize(_as_triples(quads()), str(partial), rdf_format, prefixes=prefixes)
        digest = _sha256_file(partial)  # in blocks: the file may be larger than memory
        size = partial.stat().st_size
        catalog = out.with_name(out.name + ".catalog.ttl")
        with atomic_path(catalog) as partial_catalog:
            _write_catalog(
                mapper,
                store,
                partial_catalog,
                fmt="jsonld" if compact else fmt,
                issued=issued,
                name=name,
                size=size,
                sha256=digest,
            )
    log.info(
        "exported %d quads (%d nodes, %d relationships) to %s", counter.quads, counter.nodes, counter.relationships, out
    )
    return ExportResult(out, catalog, fmt, counter.quads, counter.nodes, counter.relationships, size, digest)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_catalog(
    mapper: RdfMapper, store: GraphStore, path: Path, *, fmt: str, issued: datetime, name: str, size: int, sha256: str
) -> None:
    dist = NamedNode(mapper.base + "dataset/clusterkg/distribution/" + name)
    checksum = NamedNode(str(dist.value) + "#checksum")
    g = DefaultGraph()
    extra = [
        Quad(dist, NamedNode(DCAT + "byteSize"), Literal(str(size), datatype=NamedNode(XSD + "nonNegativeInteger")), g),
        Quad(dist, NamedNode(DCAT + "downloadURL"), NamedNode(mapper.base + "download/" + name), g),
        Quad(dist, NamedNode(SPDX + "checksum"), checksum, g),
        Quad(checksum, TYPE, NamedNode(SPDX + "Checksum"), g),
        Quad(checksum, NamedNode(SPDX + "algorithm"), NamedNode(SPDX + "checksumAlgorithm_sha256"), g),
        Quad(checksum, NamedNode(SPDX + "checksumValue"), Literal(sha256, datatype=NamedNode(XSD + "hexBinary")), g),
    ]
    quads = [*metadata_quads(mapper, store, fmt=fmt, issued=issued, distribution_name=name), *extra]
    serialize((q.triple for q in quads), str(path), RdfFormat.TURTLE, prefixes=PREFIXES)


def _write_compact_jsonld(quads: Iterable[Quad], out: Path) -> None:
    """Small exports only: rdflib holds the graph in memory to compact it with the published context."""
    import rdflib

    dataset = rdflib.Dataset()
    nquads = serialize(quads, None, RdfFormat.N_QUADS)
    dataset.parse(data=nquads, format="nquads")
    context = json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"]
    out.write_text(dataset.serialize(format="json-ld", context=context, auto_compact=True), encoding="utf-8")
