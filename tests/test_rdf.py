"""RDF export: round trips through two parsers, SHACL, the same graph from both stores, SPARQL = Cypher, golden file."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from graph.embedded_store import EmbeddedStore
from graph.rdf.export import FORMATS, export_rdf
from graph.rdf.validate import load_export, validate_export, validate_graph
from graph.schema import ONTOLOGY_PATH, Schema
from graph.store import GraphStore
from queries.catalog import get_query
from queries.scopes import export_scope
from tests.conftest import REPO

ISSUED = datetime(2026, 1, 1, tzinfo=UTC)
GOLDEN = Path(__file__).resolve().parent / "golden"
CKG = "https://w3id.org/clusterkg/ontology#"
BASE = "https://w3id.org/clusterkg/id/"
ONTOLOGY_GRAPH = "https://w3id.org/clusterkg/ontology"


@pytest.fixture(scope="module")
def bundled(loaded_embedded_path: Path, schema: Schema) -> GraphStore:
    return EmbeddedStore(loaded_embedded_path, schema, read_only=True)


@pytest.fixture(scope="module")
def turtle(bundled: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rdf") / "all.ttl"
    export_rdf(bundled, out, fmt="turtle", issued=ISSUED)
    return out


@pytest.fixture(scope="module")
def parsed(turtle: Path) -> rdflib.Graph:
    """The whole export read by rdflib once (about ten seconds); tests read it, none changes it."""
    return rdflib.Graph().parse(turtle, format="turtle")


def _entity_and_edge_counts(triples: list[tuple[str, str, str]], schema: Schema) -> tuple[int, int]:
    rel_iris = {r.iri for r in schema.relationships.values()}
    entities = {s for s, p, _ in triples if p == CKG + "id"}
    edges = sum(1 for _, p, _ in triples if p in rel_iris)
    return len(entities), edges


def test_export_parses_back_with_both_parsers_to_the_stores_counts(
    bundled: GraphStore, turtle: Path, parsed: rdflib.Graph, schema: Schema
) -> None:
    nodes = sum(n for label, n in bundled.node_counts().items() if label not in ("IngestRun", "Tally"))
    rels = sum(bundled.relationship_counts().values())
    with turtle.open("rb") as handle:
        ox_triples = [
            (str(t.subject.value), str(t.predicate.value), str(getattr(t.object, "value", t.object)))
            for t in ox.parse(handle, ox.RdfFormat.TURTLE)
        ]
    assert _entity_and_edge_counts(ox_triples, schema) == (nodes, rels)
    graph = parsed
    rdflib_triples = [(str(s), str(p), str(o)) for s, p, o in graph]
    assert _entity_and_edge_counts(rdflib_triples, schema) == (nodes, rels)
    assert len(graph) == len(set(ox_triples))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_round_trips(bundled: GraphStore, fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"e01{FORMATS[fmt][1]}"
    result = export_scope(bundled, out, fmt=fmt, scope="cluster", cluster="E01", issued=ISSUED)
    graph = load_export(out)
    assert len(graph) == len({(s, p, o) for s, p, o in graph}) > 100
    assert result.nodes >= 20 and (out.with_name(out.name + ".catalog.ttl")).exists()
    catalog = rdflib.Graph().parse(result.catalog_path, format="turtle")
    sizes = [int(str(o)) for o in catalog.objects(None, rdflib.URIRef("http://www.w3.org/ns/dcat#byteSize"))]
    assert sizes == [out.stat().st_size]


def test_compact_jsonld_uses_the_published_context(bundled: GraphStore, tmp_path: Path) -> None:
    out = tmp_path / "e04.jsonld"
    export_scope(bundled, out, fmt="jsonld-compact", scope="cluster", cluster="E04", issued=ISSUED)
    text = out.read_text(encoding="utf-8")
    assert '"@context"' in text and '"skos:prefLabel"' in text
    assert len(load_export(out)) > 100  # named graphs included


def test_every_record_carries_all_its_classes_so_the_ontology_adds_no_target(parsed: rdflib.Graph) -> None:
    """Each record is typed with every superclass the ontology gives its classes. So validating with the ontology
    mixed in (``validate_export``) finds no focus node and no class that validating the shapes alone (below,
    what an agency does) misses: the whole export is validated once, not twice (a minute each)."""
    data = parsed
    ontology = rdflib.Graph().parse(ONTOLOGY_PATH, format="turtle")
    above = {
        cls: set(ontology.transitive_objects(cls, rdflib.RDFS.subClassOf)) - {cls}
        for cls in ontology.subjects(rdflib.RDF.type, rdflib.OWL.Class)
    }
    missing = [
        (record, cls, parent)
        for record, cls in data.subject_objects(rdflib.RDF.type)
        for parent in above.get(cls, ())
        if (record, rdflib.RDF.type, parent) not in data
    ]
    assert not missing, missing[:10]
    assert sum(len(parents) for parents in above.values()) > 20  # the ontology does have a hierarchy to check


def _around(graph: rdflib.Graph, nodes: list[rdflib.URIRef]) -> rdflib.Graph:
    """The nodes' triples and those of every node they point to (what their shapes look at)."""
    keep = set(nodes) | {o for n in nodes for o in graph.objects(n, None) if isinstance(o, rdflib.URIRef)}
    part = rdflib.Graph()
    for node in keep:
        for triple in graph.triples((node, None, None)):
            part.add(triple)
    return part


def test_a_broken_record_fails_validation_readably(tmp_path: Path, parsed: rdflib.Graph) -> None:
    city = rdflib.URIRef(BASE + "city/440300")
    huawei = rdflib.URIRef(BASE + "enterprise/914403001922038216")
    # the two records and what they point to, not the whole export (checked whole above): a second, not a minute
    graph = _around(parsed, [city, huawei])
    part = tmp_path / "part.nt"
    graph.serialize(part, format="nt", encoding="utf-8")
    assert validate_export(part).conforms  # as `ckg export --validate` checks a file
    graph.remove((city, rdflib.URIRef(CKG + "adminCode"), None))
    graph.add((huawei, rdflib.URIRef(CKG + "uscc"), rdflib.Literal("91440300192203821I")))
    label = rdflib.SKOS.prefLabel
    for name in [o for o in graph.objects(huawei, label) if getattr(o, "language", None) == "zh"]:
        graph.remove((huawei, label, name))
    if not any(graph.objects(huawei, label)):
        graph.add((huawei, label, rdflib.Literal("Huawei", lang="en")))  # named, but not in Chinese
    validation = validate_graph(graph)
    # four results: the missing code; the bad code's pattern; a second code where at most one may be; no @zh name
    assert not validation.conforms and validation.violations == 4
    assert "a name in Chinese (@zh) is required" in validation.report
    assert "6-digit GB/T 2260 code" in validation.report and "440300" in validation.report
    assert "统一社会信用代码" in validation.report


def _volatile(s: rdflib.term.Node, p: rdflib.term.Node, o: rdflib.term.Node) -> bool:
    """Triples naming the store-specific ingest runs, the file versions they read, or this export's activity."""
    return (
        "/run/" in str(s)
        or "/run/" in str(o)
        or "/export/" in str(s)
        or "/sha256/" in str(s)
        or str(p).endswith(("modified", "used"))
    )


def _run_independent(graph: rdflib.Graph) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for s, p, o in graph if not _volatile(s, p, o)}


@pytest.mark.neo4j
def test_both_stores_export_the_same_graph(parsed: rdflib.Graph, loaded_neo4j: GraphStore, tmp_path: Path) -> None:
    other = tmp_path / "all.ttl"  # the same file name: the distribution is named after it
    export_rdf(loaded_neo4j, other, fmt="turtle", issued=ISSUED)
    a = _run_independent(parsed)
    b = _run_independent(rdflib.Graph().parse(other, format="turtle"))
    assert a == b and len(a) > 100_000


@pytest.mark.neo4j
def test_both_stores_export_the_same_cluster(bundled: GraphStore, loaded_neo4j: GraphStore, tmp_path: Path) -> None:
    """A cluster is read by id, class by class (``iter_nodes_among``): both stores give the same triples."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    results = [
        export_scope(store, tmp_path / side / "E01.ttl", fmt="turtle", scope="cluster", cluster="E01", issued=ISSUED)
        for store, side in ((bundled, "a"), (loaded_neo4j, "b"))
    ]
    a, b = (_run_independent(rdflib.Graph().parse(tmp_path / side / "E01.ttl")) for side in ("a", "b"))
    assert a == b and len(a) > 5_000
    assert results[0].nodes == results[1].nodes > 500 and results[0].relationships == results[1].relationships


def test_golden_cluster_export(bundled: GraphStore, tmp_path: Path) -> None:
    out = tmp_path / "E04.ttl"
    # sourced ties only: the golden file pins what sources state; inferred ties have tests of their own
    export_scope(bundled, out, fmt="turtle", scope="cluster", cluster="E04", issued=ISSUED, sourced_only=True)
    produced = rdflib.Graph()
    for s, p, o in rdflib.Graph().parse(out, format="turtle"):
        if not _volatile(s, p, o):
            produced.add((s, p, o))
    golden = GOLDEN / "cluster_E04.nt"
    if os.environ.get("CLUSTERKG_UPDATE_GOLDEN") == "1":  # regenerate only on purpose, then review the diff
        golden.write_text("".join(sorted(produced.serialize(format="nt").splitlines(keepends=True))), encoding="utf-8")
    expected = rdflib.Graph().parse(golden, format="nt")
    assert isomorphic(produced, expected)


# Five questions asked twice: in SPARQL over the export, and as the named Cypher query.
@pytest.fixture(scope="module")
def sparql_store(turtle: Path) -> ox.Store:
    store = ox.Store()
    with turtle.open("rb") as handle:
        store.load(handle, ox.RdfFormat.TURTLE)
    # the class hierarchy, apart, to pick each node's most specific class (the export states all of them)
    with ONTOLOGY_PATH.open("rb") as handle:
        store.load(handle, ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_GRAPH))
    return store


def _most_specific(var: str) -> str:
    """A SPARQL filter: ?t is a ckg: class of the node ``var`` and none of its other classes is below it."""
    subclass = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
    return (
        "FILTER(STRSTARTS(STR(?t), STR(ckg:))) "
        f"FILTER NOT EXISTS {{ {var} a ?sub . GRAPH <{ONTOLOGY_GRAPH}> {{ ?sub {subclass} ?t }} }} "
    )


def _ask(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    prefixes = "PREFIX ckg: <https://w3id.org/clusterkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    return sorted(tuple(str(getattr(v, "value", v)) for v in s) for s in store.query(prefixes + query))  # type: ignore[union-attr]


def test_sparql_and_cypher_agree_on_five_questions(sparql_store: ox.Store, bundled: GraphStore) -> None:
    # 1. nodes per class
    cypher = sorted(
        (r["class"], str(r["nodes"]))
        for r in get_query("dq_counts").run(bundled).rows
        if r["class"] not in ("IngestRun", "Tally")
    )
    sparql = _ask(
        sparql_store,
        "SELECT ?c (COUNT(?n) AS ?k) WHERE { ?n ckg:id ?id ; a ?t . "
        + _most_specific("?n")
        + "BIND(STRAFTER(STR(?t), '#') AS ?c) } GROUP BY ?c",
    )
    assert sparql == cypher
    # 2. labs hosted by 中山大学
    cypher2 = sorted((r["name_zh"],) for r in get_query("lab_hosts").run(bundled).rows if r["host"] == "中山大学")
    sparql2 = _ask(
        sparql_store,
        "SELECT ?n WHERE { ?l ckg:hostedBy ?u . ?u skos:prefLabel '中山大学'@zh . "
        "?l skos:prefLabel ?n FILTER(lang(?n) = 'zh') }",
    )
    assert sparql2 == cypher2 and len(cypher2) >= 3
    # 3. the quantified targets and their values
    cypher3 = sorted((r["metric"], str(r["value"])) for r in get_query("policy_targets").run(bundled).rows)
    sparql3 = [
        (m, str(float(v)))
        for m, v in _ask(
            sparql_store, "SELECT ?m ?v WHERE { ?t a ckg:PolicyTarget ; ckg:metric ?m ; ckg:targetValue ?v }"
        )
    ]
    assert sorted(sparql3) == cypher3 and len(cypher3) == 7
    # 4. entities per class serving the semiconductor cluster
    cypher4 = sorted(
        (r["class"], str(r["entities"]))
        for r in get_query("cluster_chain_classes").run(bundled, {"cluster": "E01"}).rows
    )
    sparql4 = _ask(
        sparql_store,
        "SELECT ?c (COUNT(DISTINCT ?e) AS ?k) WHERE { ?cl ckg:clusterCode 'E01' . "
        "{ ?e ckg:servesCluster ?cl } UNION { ?e ckg:inCluster ?cl } ?e a ?t . "
        + _most_specific("?e")
        + "BIND(STRAFTER(STR(?t), '#') AS ?c) } GROUP BY ?c",
    )
    assert sparql4 == cypher4
    # 5. the city of 中国散裂中子源
    cypher5 = [
        (r["city"],)
        for r in get_query("cluster_entities").run(bundled, {"cluster": "P09"}).rows
        if r["name_zh"] == "中国散裂中子源"
    ]
    sparql5 = _ask(
        sparql_store,
        "SELECT ?city WHERE { ?i skos:prefLabel '中国散裂中子源'@zh ; ckg:locatedIn ?c . "
        "?c a ckg:City ; skos:prefLabel ?city FILTER(lang(?city) = 'zh') }",
    )
    assert sparql5 == cypher5 == [("东莞市",)]


def test_hostile_text_round_trips_exactly(tmp_path: Path, schema: Schema) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb", schema)
    store.setup_schema()
    names = ['含"引号"', "反斜杠\\和\\n字面", "换行\n第二行", "𠀋🚀非BMP", "<script>&amp;", "'单引号'", "tab\tend"]
    store.upsert_nodes(
        "Enterprise",
        [
            {
                "id": f"enterprise/x{i}",
                "name_zh": n,
                "source_file": "t.csv",
                "source_row": i,
                "source_refs": [f"t.csv#{i}"],
            }
            for i, n in enumerate(names)
        ],
    )
    for fmt in ("turtle", "ntriples", "nquads", "rdfxml", "jsonld", "trig"):
        out = tmp_path / f"h{FORMATS[fmt][1]}"
        export_rdf(store, out, fmt=fmt, issued=ISSUED)
        graph = load_export(out)
        got = {str(o) for o in graph.objects(None, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
        assert set(names) <= got, fmt
    store.close()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_triple_is_written_twice_and_the_count_is_of_distinct_triples(
    bundled: GraphStore, fmt: str, tmp_path: Path
) -> None:
    out = tmp_path / f"all{FORMATS[fmt][1]}"
    result = export_rdf(bundled, out, fmt=fmt, issued=ISSUED)
    with out.open("rb") as handle:
        written = list(ox.parse(handle, FORMATS[fmt][0]))  # every statement as written, repeats included
    triples = [getattr(q, "triple", q) for q in written]
    assert len(written) == len(set(written)) == len(set(triples)) == result.triples


def test_the_whole_graph_conforms_to_the_shapes_checked_alone(parsed: rdflib.Graph) -> None:
    """What an agency does: pyshacl with shapes.ttl and the export, no ontology, no inference."""
    from pyshacl import validate

    from graph.rdf.validate import SHAPES_PATH

    data = parsed
    triples = len(data)
    shapes = rdflib.Graph().parse(SHAPES_PATH, format="turtle")
    conforms, _graph, text = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    assert conforms, str(text)[:3000]
    assert len(data) == triples  # the shared parse is left as it was for the other tests


def test_inferred_ties_say_so_in_rdf_and_can_be_left_out(
    sparql_store: ox.Store, bundled: GraphStore, tmp_path: Path
) -> None:
    prefixes = (
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX prov: <http://www.w3.org/ns/prov#> "
        "PREFIX ckg: <https://w3id.org/clusterkg/ontology#> "
    )
    statements = _ask(
        sparql_store,
        prefixes + "SELECT ?st ?rule WHERE { ?st a rdf:Statement ; ckg:derived true ; ckg:rule ?rule ; "
        "ckg:evidence ?e ; prov:wasDerivedFrom ?plan . ?plan a prov:Plan . "
        "?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o . ?s ?p ?o }",
    )
    inferred = bundled.read("MATCH ()-[r]->() WHERE r.derived RETURN count(r) AS n").rows[0]["n"]
    assert len(statements) == inferred > 1000  # every inferred tie, reified, with its rule and evidence
    assert {r for _, r in statements} >= {"cluster.keyword", "cluster.listed_industry", "place.from_coordinates"}

    sourced = tmp_path / "sourced.nt"
    export_rdf(bundled, sourced, fmt="ntriples", issued=ISSUED, sourced_only=True)
    text = sourced.read_text(encoding="utf-8")
    assert "ontology#derived" not in text and "/statement/" not in text


def test_runs_list_their_files_with_checksums_and_sources_are_named_by_dataset_names(
    embedded_store: GraphStore, schema: Schema, tmp_path: Path
) -> None:
    import json

    from ingest.mapping import load_mapping
    from ingest.pipeline import run_ingest
    from ingest.sources import DATA_DIR, bundled_sources, mapping_source

    curator = REPO / "tests" / "data" / "curator"
    sources = [
        *bundled_sources(schema, only="cities"),
        mapping_source(load_mapping(curator / "enterprise_labs.yaml", schema), str(curator / "enterprise_labs.csv")),
    ]
    result = run_ingest(embedded_store, sources, data_dir=DATA_DIR)
    out = tmp_path / "g.nt"
    export_rdf(embedded_store, out, fmt="ntriples", issued=ISSUED)
    graph = rdflib.Graph().parse(out, format="nt")
    run = embedded_store.read("MATCH (r:IngestRun {id: $id}) RETURN r.files_json AS f", {"id": result.run_id}).rows
    files = json.loads(run[0]["f"])
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    checksums = {str(v) for v in graph.objects(None, spdx.checksumValue)}
    assert files and all(f["sha256"] in checksums for f in files)
    sources_iris = {str(o) for o in graph.objects(None, rdflib.URIRef("http://www.w3.org/ns/prov#used"))}
    assert any("/source/enterprise_labs.csv/sha256/" in iri for iri in sources_iris)
    text = out.read_text(encoding="utf-8")
    assert str(REPO) not in text and "/tmp/" not in text and "//source" not in text  # no local path in any IRI
